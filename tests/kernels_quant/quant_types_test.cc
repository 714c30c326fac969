#include "kernels/quant/quant_types.h"

#include "gtest/gtest.h"
#include "kernels/quant/isa.h"

namespace gridbench::kernels::quant {
namespace {

TEST(QuantTypes, NamesIdsAndSizesMatchGguf) {
  struct Expected {
    QuantType type;
    const char* name;
    int ggml_id;
    int block_size;
    size_t block_bytes;
  };
  const Expected expected[] = {
      {QuantType::kF32, "F32", 0, 1, 4},        {QuantType::kF16, "F16", 1, 1, 2},
      {QuantType::kQ4_0, "Q4_0", 2, 32, 18},    {QuantType::kQ8_0, "Q8_0", 8, 32, 34},
      {QuantType::kQ4_K, "Q4_K", 12, 256, 144}, {QuantType::kQ6_K, "Q6_K", 14, 256, 210},
      {QuantType::kQ8_K, "Q8_K", 15, 256, 292},
  };
  ASSERT_EQ(AllQuantTypes().size(), std::size(expected));
  for (const Expected& e : expected) {
    EXPECT_EQ(QuantTypeName(e.type), e.name);
    EXPECT_EQ(GgmlTypeId(e.type), e.ggml_id);
    EXPECT_EQ(BlockSize(e.type), e.block_size);
    EXPECT_EQ(BlockBytes(e.type), e.block_bytes);
    EXPECT_EQ(*QuantTypeFromName(e.name), e.type);
    EXPECT_EQ(*QuantTypeFromGgmlId(e.ggml_id), e.type);
  }
}

TEST(QuantTypes, UnknownNamesAndIdsAreErrors) {
  const absl::StatusOr<QuantType> by_name = QuantTypeFromName("q4_k");
  EXPECT_EQ(by_name.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(by_name.status().message().find("q4_k"), std::string::npos);
  EXPECT_EQ(QuantTypeFromGgmlId(3).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(QuantTypes, RowLengthMustBeWholeBlocks) {
  EXPECT_TRUE(CheckRowLength(QuantType::kQ4_K, 512).ok());
  EXPECT_TRUE(CheckRowLength(QuantType::kF16, 3).ok());
  const absl::Status bad = CheckRowLength(QuantType::kQ4_K, 300);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("300"), std::string::npos) << bad;
  EXPECT_NE(bad.message().find("256"), std::string::npos) << bad;
  EXPECT_NE(bad.message().find("Q4_K"), std::string::npos) << bad;
  EXPECT_EQ(CheckRowLength(QuantType::kQ8_0, 0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RowBytes(QuantType::kQ6_K, 512), 420u);
}

TEST(Isa, NamesRoundTripAndSupportIsOrdered) {
  for (Isa isa : {Isa::kRef, Isa::kAvx2, Isa::kAvx512Vnni}) {
    EXPECT_EQ(*IsaFromName(IsaName(isa)), isa);
  }
  EXPECT_EQ(IsaName(Isa::kAvx512Vnni), "avx512_vnni");
  EXPECT_EQ(IsaFromName("avx512").status().code(), absl::StatusCode::kInvalidArgument);
  const std::vector<Isa> supported = SupportedIsas();
  ASSERT_FALSE(supported.empty());
  EXPECT_EQ(supported.front(), Isa::kRef);
  EXPECT_EQ(supported.back(), BestIsa());
  EXPECT_TRUE(CheckIsaSupported(BestIsa()).ok());
}

}  // namespace
}  // namespace gridbench::kernels::quant
