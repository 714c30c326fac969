// LlamaModel::Open on real GGUF files: hyperparameters and tensor views of a
// good model, and every kind of bad file refused with a message naming the
// problem.
#include "kernels/llama/llama_model.h"

#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernels/gguf/gguf_value.h"
#include "kernels/model/synth_model.h"
#include "tests/kernels_llama/llama_test_models.h"

namespace gridbench::kernels::llama {
namespace {

using gguf::GgufValue;
using quant::QuantType;
using ::testing::HasSubstr;

model::LlamaSpec Spec() {
  model::LlamaSpec spec;
  spec.dim = 64;
  spec.layers = 2;
  spec.heads = 4;
  spec.kv_heads = 2;
  spec.ff = 128;
  spec.vocab = 300;
  spec.context = 96;
  spec.rope_freq_base = 5000.0f;
  spec.rms_eps = 1e-6f;
  return spec;
}

class LlamaModelTest : public LlamaFileTest {
 protected:
  // Opens `model` written to a file; the test expects it refused with
  // INVALID_ARGUMENT and a message containing `text`.
  void ExpectRefused(const TestModel& model, const std::string& text) {
    const absl::StatusOr<LlamaModel> opened = LlamaModel::Open(Write(model, "bad.gguf"));
    ASSERT_FALSE(opened.ok()) << "expected refusal containing: " << text;
    EXPECT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(opened.status().message(), HasSubstr(text));
    EXPECT_THAT(opened.status().message(), HasSubstr("bad.gguf"));
  }
};

TEST_F(LlamaModelTest, ReadsHparamsAndViews) {
  model::LlamaSpec spec = Spec();
  spec.type = QuantType::kF16;
  const std::string path = Path("f16.gguf");
  ASSERT_TRUE(model::WriteSyntheticLlama(spec, path).ok());
  absl::StatusOr<LlamaModel> m = LlamaModel::Open(path);
  ASSERT_TRUE(m.ok()) << m.status();
  const LlamaHparams& h = m->hparams();
  EXPECT_EQ(h.dim, 64);
  EXPECT_EQ(h.layers, 2);
  EXPECT_EQ(h.heads, 4);
  EXPECT_EQ(h.kv_heads, 2);
  EXPECT_EQ(h.head_dim, 16);
  EXPECT_EQ(h.kv_dim(), 32);
  EXPECT_EQ(h.ff, 128);
  EXPECT_EQ(h.context, 96);
  EXPECT_EQ(h.vocab, 300);
  EXPECT_FLOAT_EQ(h.rope_freq_base, 5000.0f);
  EXPECT_FLOAT_EQ(h.rms_eps, 1e-6f);
  ASSERT_EQ(m->layers().size(), 2u);
  EXPECT_EQ(m->layers()[1].attn_k.type, QuantType::kF16);
  EXPECT_EQ(m->layers()[1].attn_k.cols, 64);
  EXPECT_EQ(m->layers()[1].attn_k.rows, 32);
  EXPECT_EQ(m->layers()[0].ffn_norm.type, QuantType::kF32);
  EXPECT_EQ(m->layers()[0].ffn_down.cols, 128);
  EXPECT_EQ(m->output().rows, 300);
  EXPECT_NE(m->output().data, m->token_embd().data);
  // 2 bytes per matrix value, 4 per norm value.
  const uint64_t matrices = 2 * 64 * 300 + 2 * (2 * 64 * 64 + 2 * 64 * 32 + 3 * 64 * 128);
  const uint64_t norms = 64 * (2 * 2 + 1);
  EXPECT_EQ(m->weight_bytes(), 2 * matrices + 4 * norms);
}

TEST_F(LlamaModelTest, MovedModelKeepsItsViews) {
  const std::string path = Path("f32.gguf");
  ASSERT_TRUE(model::WriteSyntheticLlama(Spec(), path).ok());
  absl::StatusOr<LlamaModel> m = LlamaModel::Open(path);
  ASSERT_TRUE(m.ok()) << m.status();
  const uint8_t* embd = m->token_embd().data;
  const float first = *reinterpret_cast<const float*>(embd);
  LlamaModel moved = *std::move(m);
  EXPECT_EQ(moved.token_embd().data, embd);
  EXPECT_EQ(*reinterpret_cast<const float*>(moved.token_embd().data), first);
}

TEST_F(LlamaModelTest, DefaultsForOptionalKeys) {
  TestModel model = MakeTestModel(Spec());
  model.metadata = WithKey(model.metadata, "llama.rope.freq_base", std::nullopt);
  model.metadata = WithKey(model.metadata, "llama.rope.dimension_count", std::nullopt);
  // Without head_count_kv every head has its own keys and values.
  model.metadata = WithKey(model.metadata, "llama.attention.head_count_kv", std::nullopt);
  for (gguf::GgufTensorSpec& t : model.tensors) {
    if (t.name.find("attn_k") != std::string::npos || t.name.find("attn_v") != std::string::npos) {
      t.shape = {64, 64};
    }
  }
  absl::StatusOr<LlamaModel> m = LlamaModel::Open(Write(model, "defaults.gguf"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_FLOAT_EQ(m->hparams().rope_freq_base, 10000.0f);
  EXPECT_EQ(m->hparams().kv_heads, 4);
}

TEST_F(LlamaModelTest, TiedOutputUsesTokenEmbeddings) {
  TestModel model = MakeTestModel(Spec());
  model.tensors.pop_back();  // output.weight
  absl::StatusOr<LlamaModel> m = LlamaModel::Open(Write(model, "tied.gguf"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->output().data, m->token_embd().data);
}

TEST_F(LlamaModelTest, MixedTypesPerTensor) {
  TestModel model = MakeTestModel(Spec());
  const QuantType types[] = {QuantType::kF16, QuantType::kQ8_0, QuantType::kQ4_0};
  int i = 0;
  for (gguf::GgufTensorSpec& t : model.tensors) {
    if (t.shape.size() == 2) t.type = types[i++ % 3];
  }
  absl::StatusOr<LlamaModel> m = LlamaModel::Open(Write(model, "mixed.gguf"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->token_embd().type, QuantType::kF16);
  EXPECT_EQ(m->layers()[0].attn_q.type, QuantType::kQ8_0);
  EXPECT_EQ(m->layers()[0].attn_k.type, QuantType::kQ4_0);
}

TEST_F(LlamaModelTest, RefusesOtherArchitecture) {
  TestModel model = MakeTestModel(Spec());
  model.metadata = WithKey(model.metadata, "general.architecture", GgufValue{std::string("gpt2")});
  ExpectRefused(model, "architecture is \"gpt2\", only llama is supported");
}

TEST_F(LlamaModelTest, RefusesMissingTensor) {
  TestModel model = MakeTestModel(Spec());
  std::erase_if(model.tensors, [](const auto& t) { return t.name == "blk.1.ffn_up.weight"; });
  ExpectRefused(model, "missing tensor blk.1.ffn_up.weight");
}

TEST_F(LlamaModelTest, RefusesShapeDisagreeingWithMetadata) {
  TestModel model = MakeTestModel(Spec());
  for (auto& t : model.tensors) {
    if (t.name == "blk.0.attn_k.weight") t.shape = {64, 64};
  }
  ExpectRefused(model,
                "tensor blk.0.attn_k.weight has shape [64, 64], expected [64, 32] from the "
                "metadata");
}

TEST_F(LlamaModelTest, RefusesEmbeddingOfWrongWidth) {
  TestModel model = MakeTestModel(Spec());
  model.metadata = WithKey(model.metadata, "llama.embedding_length", GgufValue{uint32_t{128}});
  model.metadata = WithKey(model.metadata, "llama.rope.dimension_count", GgufValue{uint32_t{32}});
  ExpectRefused(model, "tensor token_embd.weight has shape [64, 300], expected [128, 300]");
}

TEST_F(LlamaModelTest, RefusesActivationOnlyType) {
  model::LlamaSpec wide = Spec();  // Q8_K rows are whole 256-value blocks.
  wide.dim = 256;
  TestModel model = MakeTestModel(wide);
  for (auto& t : model.tensors) {
    if (t.name == "output.weight") t.type = QuantType::kQ8_K;
  }
  ExpectRefused(model, "tensor output.weight is Q8_K, which is not a weight type");
}

TEST_F(LlamaModelTest, RefusesHeadsNotDividingDim) {
  TestModel model = MakeTestModel(Spec());
  model.metadata = WithKey(model.metadata, "llama.attention.head_count", GgufValue{uint32_t{5}});
  ExpectRefused(model, "llama.attention.head_count 5 does not divide llama.embedding_length 64");
}

TEST_F(LlamaModelTest, RefusesKvHeadsNotDividingHeads) {
  TestModel model = MakeTestModel(Spec());
  model.metadata = WithKey(model.metadata, "llama.attention.head_count_kv", GgufValue{uint32_t{3}});
  ExpectRefused(model, "llama.attention.head_count_kv 3 does not divide");
}

TEST_F(LlamaModelTest, RefusesOddHeadSize) {
  model::LlamaSpec spec = Spec();
  TestModel model = MakeTestModel(spec);
  model.metadata = WithKey(model.metadata, "llama.attention.head_count", GgufValue{uint32_t{64}});
  model.metadata =
      WithKey(model.metadata, "llama.attention.head_count_kv", GgufValue{uint32_t{64}});
  ExpectRefused(model, "head size 1 (embedding_length / head_count) is odd");
}

TEST_F(LlamaModelTest, RefusesPartialRope) {
  TestModel model = MakeTestModel(Spec());
  model.metadata = WithKey(model.metadata, "llama.rope.dimension_count", GgufValue{uint32_t{8}});
  ExpectRefused(model, "llama.rope.dimension_count 8 is not the head size 16");
}

TEST_F(LlamaModelTest, RefusesMissingOrBadKeys) {
  TestModel model = MakeTestModel(Spec());
  model.metadata = WithKey(model.metadata, "llama.block_count", std::nullopt);
  ExpectRefused(model, "missing metadata key llama.block_count");

  model = MakeTestModel(Spec());
  model.metadata = WithKey(model.metadata, "llama.context_length", GgufValue{uint32_t{0}});
  ExpectRefused(model, "metadata key llama.context_length is 0, expected 1 to");

  model = MakeTestModel(Spec());
  model.metadata =
      WithKey(model.metadata, "llama.feed_forward_length", GgufValue{std::string("128")});
  ExpectRefused(model, "metadata key llama.feed_forward_length is STRING, expected an integer");

  model = MakeTestModel(Spec());
  model.metadata =
      WithKey(model.metadata, "llama.attention.layer_norm_rms_epsilon", GgufValue{-1.0f});
  ExpectRefused(model, "llama.attention.layer_norm_rms_epsilon is -1, expected > 0");
}

TEST_F(LlamaModelTest, AcceptsOtherIntegerTypes) {
  TestModel model = MakeTestModel(Spec());
  model.metadata = WithKey(model.metadata, "llama.block_count", GgufValue{uint64_t{2}});
  model.metadata = WithKey(model.metadata, "llama.context_length", GgufValue{int32_t{96}});
  absl::StatusOr<LlamaModel> m = LlamaModel::Open(Write(model, "ints.gguf"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->hparams().layers, 2);
  EXPECT_EQ(m->hparams().context, 96);
}

TEST_F(LlamaModelTest, RefusesFileThatIsNotGguf) {
  const std::string path = Path("junk.gguf");
  std::ofstream(path) << "not a model at all";
  const absl::StatusOr<LlamaModel> m = LlamaModel::Open(path);
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("junk.gguf"));
}

}  // namespace
}  // namespace gridbench::kernels::llama
