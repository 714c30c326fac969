// The Vulkan pass against the reference for every weight type, for prompt
// batches and single-token steps, on the default device (lavapipe on the
// test machines) with the validation layer on: every test fails if the layer
// reported an error. Skipped only where there is no Vulkan device at all.
#include "kernels/llama/llama_vulkan.h"

#include <cmath>
#include <memory>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernels/llama/llama_reference.h"
#include "kernels/model/synth_model.h"
#include "kernels/vulkan/context.h"
#include "kernels/vulkan/device_info.h"
#include "tests/kernels_llama/llama_test_models.h"

namespace gridbench::kernels::llama {
namespace {

using quant::QuantType;
using ::testing::HasSubstr;

// max |vulkan - reference| over all logits, relative to max |reference|.
// Neither path quantizes activations and both dequantize weights to the same
// floats, so what is left is float (device) against double (reference)
// accumulation, for every weight type alike. Measured on this model (batch
// and single-token steps, lavapipe): below 6e-7 for every type. A wrong
// shader or graph step gives errors of order 1.
constexpr double kTolerance = 1e-5;

// One validated Context for the whole program: lavapipe compiles pipelines
// slowly, and its pipeline cache then serves every test. Destroyed after the
// last test (SharedContextEnvironment), so the driver's allocations are freed
// before LeakSanitizer looks. A null context with an OK status means this
// machine has no Vulkan device; a failure to open one is an error.
struct SharedContextState {
  std::unique_ptr<vulkan::Context> ctx;
  absl::Status status;
};

SharedContextState& SharedContextSlot() {
  static SharedContextState state = [] {
    SharedContextState state;
    absl::StatusOr<std::vector<vulkan::DeviceInfo>> devices = vulkan::EnumerateDevices();
    if (!devices.ok() || devices->empty()) return state;
    vulkan::ContextOptions options;
    options.validation = true;
    absl::StatusOr<std::unique_ptr<vulkan::Context>> ctx = vulkan::Context::Create(options);
    if (ctx.ok()) {
      state.ctx = *std::move(ctx);
    } else {
      state.status = ctx.status();
    }
    return state;
  }();
  return state;
}

class SharedContextEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { SharedContextSlot().ctx.reset(); }
};

const ::testing::Environment* const kSharedContextEnvironment =
    ::testing::AddGlobalTestEnvironment(new SharedContextEnvironment);

// A model file per test, and the validation layer's error count checked
// after it.
class LlamaVulkanFileTest : public LlamaFileTest {
 protected:
  void SetUp() override {
    ctx_ = SharedContextSlot().ctx.get();
    // Fatal, so the test body does not run without a context.
    ASSERT_TRUE(SharedContextSlot().status.ok()) << SharedContextSlot().status;
    if (ctx_ == nullptr) GTEST_SKIP() << "no Vulkan device here";
    ASSERT_TRUE(ctx_->validation_enabled());
    errors_before_ = ctx_->validation_error_count();
    LlamaFileTest::SetUp();
  }
  void TearDown() override {
    if (ctx_ == nullptr) return;
    EXPECT_EQ(ctx_->validation_error_count(), errors_before_)
        << absl::StrJoin(ctx_->validation_messages(), "\n");
    LlamaFileTest::TearDown();
  }

  std::unique_ptr<LlamaVulkanSession> Session(
      const LlamaModel& model, int context = 0,
      int batch_rows = LlamaVulkanSession::kDefaultBatchRows) {
    absl::StatusOr<std::unique_ptr<LlamaVulkanSession>> session =
        LlamaVulkanSession::Create(model, *ctx_, context, batch_rows);
    EXPECT_TRUE(session.ok()) << session.status();
    return session.ok() ? *std::move(session) : nullptr;
  }

  vulkan::Context* ctx_ = nullptr;
  uint64_t errors_before_ = 0;
};

// (weight type, keep llama.cpp's default tensors unquantized)
class LlamaVulkanTest : public LlamaVulkanFileTest,
                        public ::testing::WithParamInterface<std::tuple<QuantType, bool>> {
 protected:
  void SetUp() override {
    LlamaVulkanFileTest::SetUp();
    if (IsSkipped()) return;
    const auto [type, keep_defaults] = GetParam();
    const absl::Status loaded = LoadPassTestModel(type, keep_defaults, tokens_, model_, reference_);
    ASSERT_TRUE(loaded.ok()) << loaded;
  }

  // Row `t` of the reference logits.
  std::vector<float> ReferenceRow(size_t t) const {
    const int vocab = model_->hparams().vocab;
    return std::vector<float>(reference_.begin() + t * vocab, reference_.begin() + (t + 1) * vocab);
  }

  const std::vector<int32_t> tokens_ = {1, 300 - 1, 72, 101, 108, 3, 3, 200, 17, 2};
  std::unique_ptr<LlamaModel> model_;
  std::vector<float> reference_;  // Every token's logits.
};

TEST_P(LlamaVulkanTest, PromptBatchMatchesReference) {
  std::unique_ptr<LlamaVulkanSession> vk = Session(*model_);
  ASSERT_NE(vk, nullptr);
  absl::StatusOr<std::vector<float>> logits = vk->Eval(tokens_, 0, LogitsFor::kAllTokens);
  ASSERT_TRUE(logits.ok()) << logits.status();
  ASSERT_EQ(logits->size(), reference_.size());
  EXPECT_LT(RelativeMaxDiff(*logits, reference_), kTolerance);
  EXPECT_EQ(vk->positions(), static_cast<int>(tokens_.size()));
  // The last token's logits alone are the same numbers.
  absl::StatusOr<std::vector<float>> last = vk->Eval(tokens_, 0);
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(*last, std::vector<float>(logits->end() - model_->hparams().vocab, logits->end()));
}

TEST_P(LlamaVulkanTest, SingleTokenStepsMatchReferenceAndTheFullBatch) {
  std::unique_ptr<LlamaVulkanSession> full = Session(*model_);
  std::unique_ptr<LlamaVulkanSession> steps = Session(*model_);
  ASSERT_NE(full, nullptr);
  ASSERT_NE(steps, nullptr);
  absl::StatusOr<std::vector<float>> all = full->Eval(tokens_, 0, LogitsFor::kAllTokens);
  ASSERT_TRUE(all.ok()) << all.status();
  const int vocab = model_->hparams().vocab;
  // A two-token prompt, then one token at a time through the KV cache.
  absl::StatusOr<std::vector<float>> logits = steps->Eval(std::span(tokens_).first(2), 0);
  ASSERT_TRUE(logits.ok()) << logits.status();
  EXPECT_LT(RelativeMaxDiff(*logits, ReferenceRow(1)), kTolerance);
  for (size_t t = 2; t < tokens_.size(); ++t) {
    logits = steps->Eval(std::span(&tokens_[t], 1), static_cast<int>(t));
    ASSERT_TRUE(logits.ok()) << logits.status();
    EXPECT_LT(RelativeMaxDiff(*logits, ReferenceRow(t)), kTolerance) << "token " << t;
    // Every output value is one workgroup's sum in a fixed order, whatever
    // the batch, so the numbers are the same, not just close.
    EXPECT_EQ(*logits, std::vector<float>(all->begin() + t * vocab, all->begin() + (t + 1) * vocab))
        << "token " << t;
  }
  EXPECT_EQ(steps->positions(), static_cast<int>(tokens_.size()));
}

TEST_P(LlamaVulkanTest, RewindingAndSmallBatchesGiveTheSameLogits) {
  std::unique_ptr<LlamaVulkanSession> one_batch = Session(*model_);
  // 10 tokens in command buffers of 3.
  std::unique_ptr<LlamaVulkanSession> batches_of_3 = Session(*model_, 0, 3);
  ASSERT_NE(one_batch, nullptr);
  ASSERT_NE(batches_of_3, nullptr);
  absl::StatusOr<std::vector<float>> want = one_batch->Eval(tokens_, 0, LogitsFor::kAllTokens);
  ASSERT_TRUE(want.ok()) << want.status();
  absl::StatusOr<std::vector<float>> got = batches_of_3->Eval(tokens_, 0, LogitsFor::kAllTokens);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, *want);
  const int vocab = model_->hparams().vocab;
  absl::StatusOr<std::vector<float>> last = batches_of_3->Eval(tokens_, 0);
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(*last, std::vector<float>(want->end() - vocab, want->end()));
  // A different continuation from position 4, then the original again.
  const std::vector<int32_t> other = {5, 6, 7};
  ASSERT_TRUE(one_batch->Eval(other, 4).ok());
  EXPECT_EQ(one_batch->positions(), 7);
  absl::StatusOr<std::vector<float>> again =
      one_batch->Eval(std::span(tokens_).subspan(4), 4, LogitsFor::kAllTokens);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, std::vector<float>(want->begin() + 4 * vocab, want->end()));
}

INSTANTIATE_TEST_SUITE_P(
    AllTypes, LlamaVulkanTest,
    ::testing::Values(std::tuple(QuantType::kF32, false), std::tuple(QuantType::kF16, false),
                      std::tuple(QuantType::kQ8_0, false), std::tuple(QuantType::kQ4_0, false),
                      std::tuple(QuantType::kQ4_K, false), std::tuple(QuantType::kQ4_K, true),
                      std::tuple(QuantType::kQ6_K, false)),
    [](const auto& info) {
      return std::string(quant::QuantTypeName(std::get<0>(info.param))) +
             (std::get<1>(info.param) ? "_mixed" : "");
    });

class LlamaVulkanModelTest : public LlamaVulkanFileTest {
 protected:
  // Every token's logits of `tokens` from the Vulkan pass (in command buffers
  // of `batch_rows`) and from the reference, for the model at `path`.
  void ExpectMatchesReference(const std::string& path, const std::vector<int32_t>& tokens,
                              int batch_rows) {
    absl::StatusOr<LlamaModel> m = LlamaModel::Open(path);
    ASSERT_TRUE(m.ok()) << m.status();
    absl::StatusOr<LlamaReferenceSession> ref = LlamaReferenceSession::Create(*m);
    ASSERT_TRUE(ref.ok()) << ref.status();
    absl::StatusOr<std::vector<float>> want = ref->Eval(tokens, 0, LogitsFor::kAllTokens);
    ASSERT_TRUE(want.ok()) << want.status();
    std::unique_ptr<LlamaVulkanSession> vk = Session(*m, 0, batch_rows);
    ASSERT_NE(vk, nullptr);
    absl::StatusOr<std::vector<float>> got = vk->Eval(tokens, 0, LogitsFor::kAllTokens);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_EQ(got->size(), want->size());
    EXPECT_LT(RelativeMaxDiff(*got, *want), kTolerance);
  }
};

// llama_attention.comp takes 64 positions at a time; later tokens here attend
// over two tiles, so the running maximum and sum are rescaled between them.
TEST_F(LlamaVulkanModelTest, LongPromptMatchesReferenceAcrossAttentionTiles) {
  model::LlamaSpec spec = PassTestSpec();
  spec.context = 96;
  ASSERT_TRUE(model::WriteSyntheticLlama(spec, Path("m.gguf")).ok());
  std::vector<int32_t> tokens(80);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int32_t>(i * 37 % 300);
  ExpectMatchesReference(Path("m.gguf"), tokens, 32);
}

// Without output.weight the token embeddings are the output matrix.
TEST_F(LlamaVulkanModelTest, TiedEmbeddingsMatchReference) {
  TestModel model = MakeTestModel(PassTestSpec());
  ASSERT_EQ(model.tensors.back().name, "output.weight");
  model.tensors.pop_back();
  ExpectMatchesReference(Write(model, "tied.gguf"), {1, 299, 72, 101}, 256);
}

class LlamaVulkanRefusalTest : public LlamaVulkanFileTest {};

TEST_F(LlamaVulkanRefusalTest, RefusesLikeTheReference) {
  ASSERT_TRUE(model::WriteSyntheticLlama(PassTestSpec(), Path("m.gguf")).ok());
  absl::StatusOr<LlamaModel> m = LlamaModel::Open(Path("m.gguf"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(LlamaVulkanSession::Create(*m, *ctx_, 33).status().message(),
              HasSubstr("context 33 is longer than the model allows (llama.context_length 32)"));
  EXPECT_THAT(LlamaVulkanSession::Create(*m, *ctx_, 4, 0).status().message(),
              HasSubstr("batch_rows must be positive, got 0"));
  std::unique_ptr<LlamaVulkanSession> vk = Session(*m, 4);
  ASSERT_NE(vk, nullptr);
  const std::vector<int32_t> five(5, 7);
  EXPECT_THAT(vk->Eval(five, 0).status().message(),
              HasSubstr("positions 0 to 4 do not fit the session's context of 4 positions"));
  const std::vector<int32_t> bad = {7, 300};
  EXPECT_THAT(vk->Eval(bad, 0).status().message(), HasSubstr("token 1 is 300"));
  EXPECT_EQ(vk->positions(), 0);
  EXPECT_EQ(vk->context(), 4);
}

}  // namespace
}  // namespace gridbench::kernels::llama
