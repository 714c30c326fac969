#include "kernels/quant/fp16.h"

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace gridbench::kernels::quant {
namespace {

TEST(Fp16, KnownValues) {
  EXPECT_EQ(Fp32ToFp16(0.0f), 0x0000);
  EXPECT_EQ(Fp32ToFp16(-0.0f), 0x8000);
  EXPECT_EQ(Fp32ToFp16(1.0f), 0x3C00);
  EXPECT_EQ(Fp32ToFp16(-2.0f), 0xC000);
  EXPECT_EQ(Fp32ToFp16(0.5f), 0x3800);
  EXPECT_EQ(Fp32ToFp16(65504.0f), 0x7BFF);  // Largest half.
  EXPECT_EQ(Fp32ToFp16(65519.0f), 0x7BFF);  // Rounds down.
  EXPECT_EQ(Fp32ToFp16(65520.0f), 0x7C00);  // Tie rounds to even: infinity.
  EXPECT_EQ(Fp32ToFp16(1e6f), 0x7C00);
  EXPECT_EQ(Fp32ToFp16(-std::numeric_limits<float>::infinity()), 0xFC00);
  EXPECT_EQ(Fp32ToFp16(std::numeric_limits<float>::quiet_NaN()), 0x7E00);
  EXPECT_EQ(Fp32ToFp16(0x1p-14f), 0x0400);    // Smallest normal.
  EXPECT_EQ(Fp32ToFp16(0x1p-24f), 0x0001);    // Smallest subnormal.
  EXPECT_EQ(Fp32ToFp16(0x1p-25f), 0x0000);    // Half of it: tie to even (0).
  EXPECT_EQ(Fp32ToFp16(0x1.8p-24f), 0x0002);  // 1.5 ulp: tie to even (2).
  EXPECT_EQ(Fp32ToFp16(0x1.0p-25f * 1.01f), 0x0001);
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even (1.0).
  EXPECT_EQ(Fp32ToFp16(1.0f + 0x1p-11f), 0x3C00);
  EXPECT_EQ(Fp32ToFp16(1.0f + 3 * 0x1p-11f), 0x3C02);
  EXPECT_EQ(Fp16ToFp32(0x3555), 0x1.554p-2f);
  EXPECT_EQ(Fp16ToFp32(0x0001), 0x1p-24f);
  EXPECT_EQ(Fp16ToFp32(0x03FF), 0x1.ff8p-15f);
  EXPECT_TRUE(std::isinf(Fp16ToFp32(0x7C00)));
  EXPECT_TRUE(std::isnan(Fp16ToFp32(0x7E00)));
  EXPECT_TRUE(std::signbit(Fp16ToFp32(0x8000)));
}

TEST(Fp16, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h <= 0xFFFF; ++h) {
    const float f = Fp16ToFp32(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(Fp32ToFp16(f), h) << std::hex << h;
  }
}

// Values that exercise every rounding path, plus random floats over the
// whole half range.
std::vector<float> ConversionInputs() {
  std::vector<float> x = {0.0f,
                          -0.0f,
                          1.0f,
                          65504.0f,
                          65519.99f,
                          65520.0f,
                          0x1p-24f,
                          0x1p-25f,
                          0x1.8p-24f,
                          1.0f + 0x1p-11f,
                          std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity(),
                          std::numeric_limits<float>::quiet_NaN()};
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> exponent(-30, 17);
  std::uniform_real_distribution<float> mantissa(-2.0f, 2.0f);
  for (int i = 0; i < 10000; ++i) x.push_back(std::ldexp(mantissa(rng), exponent(rng)));
  return x;
}

TEST(Fp16, RowConversionMatchesScalarReferenceBitForBit) {
  const std::vector<float> x = ConversionInputs();
  std::vector<uint16_t> ref(x.size()), fast(x.size());
  Fp32ToFp16RowRef(x.data(), ref.data(), x.size());
  Fp32ToFp16Row(x.data(), fast.data(), x.size());
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(fast[i], ref[i]) << "x=" << x[i];

  std::vector<float> back_ref(x.size()), back_fast(x.size());
  Fp16ToFp32RowRef(ref.data(), back_ref.data(), ref.size());
  Fp16ToFp32Row(ref.data(), back_fast.data(), ref.size());
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(back_ref[i])) {
      ASSERT_TRUE(std::isnan(back_fast[i]));
    } else {
      ASSERT_EQ(back_fast[i], back_ref[i]);
    }
  }
}

}  // namespace
}  // namespace gridbench::kernels::quant
