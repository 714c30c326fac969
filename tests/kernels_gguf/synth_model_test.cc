// Synthetic llama models read back through GgufReader: llama.cpp's keys and
// tensor names, the vocabulary, weight statistics, and the same bytes for the
// same seed (pinned by a hash, so a change of PRNG, layout or rounding on any
// machine fails here).
#include "kernels/model/synth_model.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernels/gguf/gguf_reader.h"
#include "kernels/quant/fp16.h"

namespace gridbench::kernels::model {
namespace {

using gguf::GgufReader;
using gguf::GgufTensorInfo;
using quant::QuantType;
using ::testing::HasSubstr;

LlamaSpec SmallSpec() {
  LlamaSpec spec;
  spec.dim = 64;
  spec.layers = 2;
  spec.heads = 4;
  spec.kv_heads = 2;
  spec.ff = 96;
  spec.vocab = 300;
  spec.seed = 42;
  return spec;
}

class SynthModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("synth_model_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const LlamaSpec& spec, const std::string& name) {
    const std::string path = (dir_ / name).string();
    const absl::Status status = WriteSyntheticLlama(spec, path);
    EXPECT_TRUE(status.ok()) << status;
    return path;
  }

  std::filesystem::path dir_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

uint64_t Fnv1a64(const std::string& bytes) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001B3ull;
  return h;
}

std::vector<float> Values(const GgufReader& reader, const GgufTensorInfo& t) {
  const std::span<const uint8_t> bytes = reader.TensorBytes(t);
  std::vector<float> v(static_cast<size_t>(t.element_count()));
  for (size_t i = 0; i < v.size(); ++i) {
    if (t.type == QuantType::kF16) {
      uint16_t h;
      std::memcpy(&h, bytes.data() + 2 * i, 2);
      v[i] = quant::Fp16ToFp32(h);
    } else {
      std::memcpy(&v[i], bytes.data() + 4 * i, 4);
    }
  }
  return v;
}

TEST_F(SynthModelTest, HasLlamaCppMetadataAndVocabulary) {
  absl::StatusOr<GgufReader> reader = GgufReader::Open(Write(SmallSpec(), "m.gguf"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  const gguf::GgufMetadata& m = reader->metadata();
  EXPECT_EQ(*m.Get<std::string>("general.architecture"), "llama");
  EXPECT_EQ(*m.Get<uint32_t>("general.file_type"), 0u);
  EXPECT_EQ(*m.Get<uint32_t>("llama.context_length"), 2048u);
  EXPECT_EQ(*m.Get<uint32_t>("llama.embedding_length"), 64u);
  EXPECT_EQ(*m.Get<uint32_t>("llama.block_count"), 2u);
  EXPECT_EQ(*m.Get<uint32_t>("llama.feed_forward_length"), 96u);
  EXPECT_EQ(*m.Get<uint32_t>("llama.attention.head_count"), 4u);
  EXPECT_EQ(*m.Get<uint32_t>("llama.attention.head_count_kv"), 2u);
  EXPECT_EQ(*m.Get<uint32_t>("llama.rope.dimension_count"), 16u);
  EXPECT_EQ(*m.Get<float>("llama.rope.freq_base"), 10000.0f);
  EXPECT_EQ(*m.Get<float>("llama.attention.layer_norm_rms_epsilon"), 1e-5f);
  EXPECT_EQ(*m.Get<std::string>("tokenizer.ggml.model"), "llama");
  EXPECT_EQ(*m.Get<uint32_t>("tokenizer.ggml.bos_token_id"), 1u);
  EXPECT_EQ(*m.Get<uint32_t>("tokenizer.ggml.eos_token_id"), 2u);
  EXPECT_EQ(*m.Get<uint32_t>("tokenizer.ggml.unknown_token_id"), 0u);
  const std::vector<std::string>& tokens = **m.GetArray<std::string>("tokenizer.ggml.tokens");
  ASSERT_EQ(tokens.size(), 300u);
  EXPECT_EQ(tokens[0], "<unk>");
  EXPECT_EQ(tokens[2], "</s>");
  EXPECT_EQ(tokens[3], "<0x00>");
  EXPECT_EQ(tokens[3 + 0x0A], "<0x0A>");
  EXPECT_EQ(tokens[258], "<0xFF>");
  EXPECT_EQ(tokens[299], "tok299");
  const std::vector<int32_t>& types = **m.GetArray<int32_t>("tokenizer.ggml.token_type");
  EXPECT_EQ(types[0], 2);
  EXPECT_EQ(types[1], 3);
  EXPECT_EQ(types[100], 6);
  EXPECT_EQ(types[299], 1);
  EXPECT_EQ((*m.GetArray<float>("tokenizer.ggml.scores"))->size(), 300u);
}

TEST_F(SynthModelTest, TensorsHaveLlamaNamesShapesAndTypes) {
  LlamaSpec spec = SmallSpec();
  spec.type = QuantType::kF16;
  absl::StatusOr<GgufReader> reader = GgufReader::Open(Write(spec, "m.gguf"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(*reader->metadata().Get<uint32_t>("general.file_type"), 1u);
  ASSERT_EQ(reader->tensors().size(), 1 + 2 * 9 + 2u);
  auto expect = [&](const std::string& name, QuantType type, std::vector<int64_t> shape) {
    absl::StatusOr<const GgufTensorInfo*> t = reader->FindTensor(name);
    ASSERT_TRUE(t.ok()) << name;
    EXPECT_EQ((*t)->type, type) << name;
    EXPECT_EQ((*t)->shape, shape) << name;
  };
  expect("token_embd.weight", QuantType::kF16, {64, 300});
  expect("blk.1.attn_norm.weight", QuantType::kF32, {64});
  expect("blk.1.attn_q.weight", QuantType::kF16, {64, 64});
  expect("blk.1.attn_k.weight", QuantType::kF16, {64, 32});
  expect("blk.1.attn_v.weight", QuantType::kF16, {64, 32});
  expect("blk.1.attn_output.weight", QuantType::kF16, {64, 64});
  expect("blk.0.ffn_norm.weight", QuantType::kF32, {64});
  expect("blk.0.ffn_gate.weight", QuantType::kF16, {64, 96});
  expect("blk.0.ffn_up.weight", QuantType::kF16, {64, 96});
  expect("blk.0.ffn_down.weight", QuantType::kF16, {96, 64});
  expect("output_norm.weight", QuantType::kF32, {64});
  expect("output.weight", QuantType::kF16, {64, 300});
}

TEST_F(SynthModelTest, WeightsHaveTheDocumentedScale) {
  absl::StatusOr<GgufReader> reader = GgufReader::Open(Write(SmallSpec(), "m.gguf"));
  ASSERT_TRUE(reader.ok()) << reader.status();
  for (const char* name : {"blk.0.ffn_down.weight", "token_embd.weight", "blk.1.ffn_norm.weight"}) {
    const GgufTensorInfo& t = **reader->FindTensor(name);
    const std::vector<float> v = Values(*reader, t);
    double sum = 0, sq = 0;
    for (float x : v) sum += x;
    const double mean = sum / v.size();
    for (float x : v) sq += (x - mean) * (x - mean);
    const double stddev = std::sqrt(sq / v.size());
    const bool norm = t.shape.size() == 1;
    const double want = norm ? 0.01 : 1.0 / std::sqrt(static_cast<double>(t.shape[0]));
    EXPECT_NEAR(mean, norm ? 1.0 : 0.0, norm ? 0.005 : 0.05 * want) << name;
    EXPECT_NEAR(stddev, want, (norm ? 0.25 : 0.05) * want) << name;
    for (float x : v) ASSERT_LE(std::abs(x - (norm ? 1.0 : 0.0)), 3.47 * want) << name;
  }
}

TEST_F(SynthModelTest, SameSeedSameBytesOnEveryMachine) {
  const std::string a = ReadFile(Write(SmallSpec(), "a.gguf"));
  EXPECT_EQ(a, ReadFile(Write(SmallSpec(), "b.gguf")));
  LlamaSpec other = SmallSpec();
  other.seed = 43;
  EXPECT_NE(a, ReadFile(Write(other, "c.gguf")));
  LlamaSpec f16 = SmallSpec();
  f16.type = QuantType::kF16;
  // Pinned: any change to the PRNG, the layout or the rounding shows here.
  EXPECT_EQ(Fnv1a64(a), 0xb0bbf1f8267928c7ull) << std::hex << Fnv1a64(a);
  const std::string b = ReadFile(Write(f16, "d.gguf"));
  EXPECT_EQ(Fnv1a64(b), 0x4a600a1af5bef8c3ull) << std::hex << Fnv1a64(b);
}

TEST(SynthModelSpecTest, RefusesInconsistentShapes) {
  auto error = [](auto change) {
    LlamaSpec spec = SmallSpec();
    change(spec);
    return std::string(ValidateLlamaSpec(spec).message());
  };
  EXPECT_EQ(error([](LlamaSpec&) {}), "");
  EXPECT_EQ(error([](LlamaSpec& s) { s.dim = 0; }), "dim is 0; it must be between 1 and 1048576");
  EXPECT_EQ(error([](LlamaSpec& s) { s.vocab = 100; }),
            "vocab is 100; it must be between 259 and 1048576");
  EXPECT_EQ(error([](LlamaSpec& s) { s.dim = 66; }), "dim 66 is not a multiple of heads 4");
  EXPECT_EQ(error([](LlamaSpec& s) { s.kv_heads = 3; }), "heads 4 is not a multiple of kv_heads 3");
  EXPECT_THAT(error([](LlamaSpec& s) { s.dim = 20; }),
              HasSubstr("head size dim / heads = 5 is odd"));
  EXPECT_THAT(error([](LlamaSpec& s) { s.type = QuantType::kQ8_0; }),
              HasSubstr("type Q8_0 is not F32 or F16"));
  EXPECT_THAT(error([](LlamaSpec& s) { s.rms_eps = 0; }), HasSubstr("must be positive"));
  EXPECT_EQ(WriteSyntheticLlama(LlamaSpec(), "/nonexistent/never.gguf").code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gridbench::kernels::model
