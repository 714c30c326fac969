// GgufWriter then GgufReader on real files: what was written is what is read,
// byte for byte, and the writer's bytes are deterministic.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernels/gguf/gguf_reader.h"
#include "kernels/gguf/gguf_writer.h"

namespace gridbench::kernels::gguf {
namespace {

using quant::QuantType;
using ::testing::HasSubstr;

class GgufRoundTripTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("gguf_roundtrip_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

GgufMetadata EveryValueType() {
  GgufMetadata m;
  auto add = [&](std::string key, GgufValue::Storage v) {
    ASSERT_TRUE(m.Add(std::move(key), GgufValue{std::move(v)}).ok());
  };
  add("general.architecture", std::string("llama"));
  add("t.u8", uint8_t{200});
  add("t.i8", int8_t{-100});
  add("t.u16", uint16_t{60000});
  add("t.i16", int16_t{-30000});
  add("t.u32", uint32_t{4000000000u});
  add("t.i32", int32_t{-2000000000});
  add("t.f32", 0.125f);
  add("t.bool", true);
  add("t.u64", uint64_t{1} << 60);
  add("t.i64", -(int64_t{1} << 60));
  add("t.f64", -2.5);
  add("t.strings", GgufArray{std::vector<std::string>{"<unk>", "", "héllo"}});
  add("t.floats", GgufArray{std::vector<float>{1.5f, -0.0f, 3e38f}});
  add("t.bools", GgufArray{std::vector<bool>{true, false, true}});
  add("t.i32s", GgufArray{std::vector<int32_t>{1, 2, 3}});
  add("t.nested", GgufArray{std::vector<GgufArray>{GgufArray{std::vector<std::string>{"a", "b"}},
                                                   GgufArray{std::vector<std::string>{}}}});
  add("general.alignment", uint32_t{64});
  return m;
}

std::vector<uint8_t> RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> bytes(n);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
  return bytes;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::vector<GgufTensorSpec> kSpecs = {
    {"token_embd.weight", QuantType::kF16, {64, 10}},
    {"blk.0.attn_norm.weight", QuantType::kF32, {64}},
    {"blk.0.q4_0", QuantType::kQ4_0, {64, 3}},
    {"blk.0.q8_0", QuantType::kQ8_0, {32, 2, 2}},
    {"blk.0.q4_k", QuantType::kQ4_K, {256, 2}},
    {"blk.0.q6_k", QuantType::kQ6_K, {512}},
    {"blk.0.q8_k", QuantType::kQ8_K, {256, 1, 1, 2}},
};

// Writes kSpecs with seeded bytes; the chunk size exercises Append across
// tensor boundaries.
std::vector<std::vector<uint8_t>> WriteModel(const std::string& path, size_t chunk) {
  absl::StatusOr<GgufWriter> writer = GgufWriter::Create(path, EveryValueType(), kSpecs);
  EXPECT_TRUE(writer.ok()) << writer.status();
  std::vector<std::vector<uint8_t>> data;
  std::vector<uint8_t> all;
  for (size_t i = 0; i < kSpecs.size(); ++i) {
    data.push_back(RandomBytes(writer->tensors()[i].byte_size, static_cast<uint32_t>(i)));
    all.insert(all.end(), data.back().begin(), data.back().end());
  }
  for (size_t at = 0; at < all.size(); at += chunk) {
    EXPECT_TRUE(writer->Append(std::span(all).subspan(at, std::min(chunk, all.size() - at))).ok());
  }
  EXPECT_EQ(writer->next_tensor(), nullptr);
  EXPECT_TRUE(writer->Finish().ok());
  return data;
}

TEST_F(GgufRoundTripTest, MetadataAndTensorsReadBackIdentical) {
  const std::string path = Path("model.gguf");
  const std::vector<std::vector<uint8_t>> data = WriteModel(path, 1000);
  absl::StatusOr<GgufReader> reader = GgufReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(reader->metadata(), EveryValueType());
  EXPECT_EQ(reader->alignment(), 64u);
  EXPECT_EQ(reader->data_offset() % 64, 0u);
  EXPECT_EQ(reader->file_size(), std::filesystem::file_size(path));
  ASSERT_EQ(reader->tensors().size(), kSpecs.size());
  for (size_t i = 0; i < kSpecs.size(); ++i) {
    const GgufTensorInfo& t = reader->tensors()[i];
    EXPECT_EQ(t.name, kSpecs[i].name);
    EXPECT_EQ(t.type, kSpecs[i].type);
    EXPECT_EQ(t.shape, kSpecs[i].shape);
    EXPECT_EQ(t.offset % 64, 0u);
    const std::span<const uint8_t> bytes = reader->TensorBytes(t);
    EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), data[i].begin(), data[i].end())) << t.name;
  }
  EXPECT_EQ(reader->tensors()[2].byte_size, 3 * 2 * sizeof(quant::BlockQ4_0));
  EXPECT_EQ((*reader->FindTensor("blk.0.q6_k"))->byte_size, 2 * sizeof(quant::BlockQ6_K));
  EXPECT_EQ(reader->FindTensor("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*reader->metadata().Get<uint32_t>("t.u32"), 4000000000u);
  EXPECT_EQ((*reader->metadata().GetArray<std::string>("t.strings"))->at(2), "héllo");
  EXPECT_THAT(reader->metadata().Get<float>("t.u32").status().message(),
              HasSubstr("'t.u32' is UINT32, expected FLOAT32"));
  EXPECT_THAT(reader->metadata().GetArray<int32_t>("t.floats").status().message(),
              HasSubstr("is an array of FLOAT32, expected an array of INT32"));
  EXPECT_EQ(reader->metadata().Get<float>("missing").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(GgufRoundTripTest, SameInputGivesSameBytes) {
  WriteModel(Path("a.gguf"), 7);
  WriteModel(Path("b.gguf"), 100000);
  const std::string a = ReadFile(Path("a.gguf"));
  EXPECT_GT(a.size(), 0u);
  EXPECT_EQ(a, ReadFile(Path("b.gguf")));
}

TEST_F(GgufRoundTripTest, TruncatedFilesAreRefusedWithTheirPath) {
  const std::string path = Path("model.gguf");
  WriteModel(path, 4096);
  const std::string whole = ReadFile(path);
  absl::StatusOr<GgufReader> full = GgufReader::Open(path);
  ASSERT_TRUE(full.ok()) << full.status();
  // The padding after the last tensor is optional; its last byte is not.
  const GgufTensorInfo& last = full->tensors().back();
  const size_t last_end = full->data_offset() + last.offset + last.byte_size;
  for (size_t n : {size_t{0}, size_t{3}, size_t{23}, size_t{100}, whole.size() / 2, last_end - 1}) {
    const std::string cut_path = Path("cut.gguf");
    std::ofstream(cut_path, std::ios::binary).write(whole.data(), static_cast<std::streamsize>(n));
    absl::StatusOr<GgufReader> reader = GgufReader::Open(cut_path);
    ASSERT_FALSE(reader.ok()) << n;
    EXPECT_EQ(reader.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(reader.status().message(), HasSubstr(cut_path + ": ")) << n;
  }
  EXPECT_EQ(GgufReader::Open(Path("missing.gguf")).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(GgufReader::Open(dir_.string()).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(GgufRoundTripTest, WriterRefusesBadInputAndLeavesNoFile) {
  const std::string path = Path("model.gguf");
  GgufMetadata metadata;
  ASSERT_TRUE(metadata.Add("general.alignment", GgufValue{uint32_t{24}}).ok());
  EXPECT_THAT(GgufWriter::Create(path, metadata, {}).status().message(),
              HasSubstr("general.alignment must be a UINT32 power of two"));
  EXPECT_THAT(GgufWriter::Create(path, {}, {{"x", QuantType::kQ8_0, {33}}}).status().message(),
              HasSubstr("tensor 'x': row length 33 is not a multiple of Q8_0's block size 32"));
  EXPECT_THAT(
      GgufWriter::Create(path, {}, {{"x", QuantType::kF32, {1}}, {"x", QuantType::kF32, {1}}})
          .status()
          .message(),
      HasSubstr("tensor 'x' appears twice"));
  EXPECT_THAT(GgufWriter::Create(path, {}, {{std::string(64, 'n'), QuantType::kF32, {1}}})
                  .status()
                  .message(),
              HasSubstr("must be 1 to 63 bytes"));
  EXPECT_THAT(metadata.Add("general.alignment", GgufValue{uint32_t{32}}).message(),
              HasSubstr("appears twice"));
  {
    absl::StatusOr<GgufWriter> writer = GgufWriter::Create(path, {}, {{"x", QuantType::kF32, {4}}});
    ASSERT_TRUE(writer.ok()) << writer.status();
    const std::vector<uint8_t> eight(8);
    ASSERT_TRUE(writer->Append(eight).ok());
    EXPECT_THAT(writer->Finish().message(), HasSubstr("tensor 'x' has 8 of its 16 bytes"));
    ASSERT_TRUE(writer->Append(eight).ok());
    EXPECT_EQ(writer->Append(eight).code(), absl::StatusCode::kFailedPrecondition);
  }
  // Abandoned before Finish: neither the target nor a temporary file remains.
  EXPECT_TRUE(std::filesystem::is_empty(dir_));
}

TEST(GgufValueTextTest, PrintsValuesForPeople) {
  EXPECT_EQ(GgufValueText(GgufValue{std::string("a\"b\n")}), "\"a\\\"b\\n\"");
  EXPECT_EQ(GgufValueText(GgufValue{uint8_t{200}}), "200");
  EXPECT_EQ(GgufValueText(GgufValue{int8_t{-3}}), "-3");
  EXPECT_EQ(GgufValueText(GgufValue{false}), "false");
  EXPECT_EQ(GgufValueText(GgufValue{0.5f}), "0.5");
  EXPECT_EQ(GgufValueText(GgufValue{GgufArray{std::vector<int32_t>{1, 2, 3}}}, 2),
            "[3 x INT32] 1, 2, ...");
  EXPECT_EQ(GgufValueText(GgufValue{
                GgufArray{std::vector<GgufArray>{GgufArray{std::vector<std::string>{"x"}}}}}),
            "[1 x ARRAY] [1 x STRING] \"x\"");
  EXPECT_EQ(GgufValueText(GgufValue{GgufArray{std::vector<float>{}}}), "[0 x FLOAT32]");
}

}  // namespace
}  // namespace gridbench::kernels::gguf
