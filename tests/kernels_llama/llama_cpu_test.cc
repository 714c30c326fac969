// The optimised CPU pass against the reference for every weight type, for
// prompt batches (GEMM) and single-token steps (GEMV), on any thread count.
#include "kernels/llama/llama_cpu.h"

#include <cmath>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernels/llama/llama_cpu_attention.h"
#include "kernels/llama/llama_reference.h"
#include "kernels/model/synth_model.h"
#include "kernels/parallel/thread_pool.h"
#include "tests/kernels_llama/llama_test_models.h"

namespace gridbench::kernels::llama {
namespace {

using quant::QuantType;
using ::testing::HasSubstr;

// max |cpu - reference| over all logits, relative to max |reference|. The
// CPU path quantizes activations to Q8_0 / Q8_K for quantized weights (as
// ggml does) and the reference does not, so quantized types get more room.
// Measured on this model (batch and single-token steps, any ISA): F32 and
// F16 below 8e-7 (1.3e-6 for prompts of 16 or more tokens, which go through
// OpenBLAS); Q8_0 0.023, Q4_0 0.022, Q4_K 0.030, Q6_K 0.030 (activation
// rounding of the same size as 8-bit weight rounding). A wrong kernel or
// graph step gives errors of order 1.
double Tolerance(QuantType type) {
  switch (type) {
    case QuantType::kF32:
    case QuantType::kF16:
      return 1e-5;
    default:
      return 0.06;
  }
}

// (weight type, keep llama.cpp's default tensors unquantized)
class LlamaCpuTest : public LlamaFileTest,
                     public ::testing::WithParamInterface<std::tuple<QuantType, bool>> {
 protected:
  void SetUp() override {
    LlamaFileTest::SetUp();
    const auto [type, keep_defaults] = GetParam();
    const absl::Status loaded = LoadPassTestModel(type, keep_defaults, tokens_, model_, reference_);
    ASSERT_TRUE(loaded.ok()) << loaded;
  }

  QuantType type() const { return std::get<0>(GetParam()); }

  const std::vector<int32_t> tokens_ = {1, 300 - 1, 72, 101, 108, 3, 3, 200, 17, 2};
  std::unique_ptr<LlamaModel> model_;
  std::vector<float> reference_;  // Every token's logits.
};

TEST_P(LlamaCpuTest, PromptBatchMatchesReference) {
  ThreadPool pool(2);
  absl::StatusOr<LlamaCpuSession> cpu = LlamaCpuSession::Create(*model_, &pool);
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  absl::StatusOr<std::vector<float>> logits = cpu->Eval(tokens_, 0, LogitsFor::kAllTokens);
  ASSERT_TRUE(logits.ok()) << logits.status();
  ASSERT_EQ(logits->size(), reference_.size());
  EXPECT_LT(RelativeMaxDiff(*logits, reference_), Tolerance(type()));
  EXPECT_EQ(cpu->positions(), static_cast<int>(tokens_.size()));
}

TEST_P(LlamaCpuTest, SingleTokenStepsMatchReference) {
  ThreadPool pool(2);
  absl::StatusOr<LlamaCpuSession> cpu = LlamaCpuSession::Create(*model_, &pool);
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  const int vocab = model_->hparams().vocab;
  // A two-token prompt, then one token at a time through the KV cache.
  absl::StatusOr<std::vector<float>> logits = cpu->Eval(std::span(tokens_).first(2), 0);
  ASSERT_TRUE(logits.ok()) << logits.status();
  for (size_t t = 2; t < tokens_.size(); ++t) {
    logits = cpu->Eval(std::span(&tokens_[t], 1), static_cast<int>(t));
    ASSERT_TRUE(logits.ok()) << logits.status();
    const std::vector<float> want(reference_.begin() + t * vocab,
                                  reference_.begin() + (t + 1) * vocab);
    EXPECT_LT(RelativeMaxDiff(*logits, want), Tolerance(type())) << "token " << t;
  }
}

TEST_P(LlamaCpuTest, SameLogitsOnAnyThreadCount) {
  ThreadPool two(2), three(3);
  std::vector<std::vector<float>> results;
  for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &two, &three}) {
    absl::StatusOr<LlamaCpuSession> cpu = LlamaCpuSession::Create(*model_, pool);
    ASSERT_TRUE(cpu.ok()) << cpu.status();
    absl::StatusOr<std::vector<float>> logits = cpu->Eval(tokens_, 0, LogitsFor::kAllTokens);
    ASSERT_TRUE(logits.ok()) << logits.status();
    results.push_back(*std::move(logits));
  }
  EXPECT_EQ(results[0], results[1]);
  EXPECT_EQ(results[0], results[2]);
}

// 24 tokens: past the batch at which F32 and F16 weights go through
// OpenBLAS (llama_cpu_blas.h), which must also not depend on the thread count.
TEST_P(LlamaCpuTest, LongPromptMatchesReferenceOnAnyThreadCount) {
  std::vector<int32_t> tokens;
  for (int i = 0; i < 24; ++i) tokens.push_back((i * 37 + 11) % 300);
  absl::StatusOr<LlamaReferenceSession> ref = LlamaReferenceSession::Create(*model_);
  ASSERT_TRUE(ref.ok());
  absl::StatusOr<std::vector<float>> want = ref->Eval(tokens, 0, LogitsFor::kAllTokens);
  ASSERT_TRUE(want.ok()) << want.status();
  ThreadPool two(2), three(3);
  std::vector<std::vector<float>> results;
  for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &two, &three}) {
    absl::StatusOr<LlamaCpuSession> cpu = LlamaCpuSession::Create(*model_, pool);
    ASSERT_TRUE(cpu.ok()) << cpu.status();
    absl::StatusOr<std::vector<float>> logits = cpu->Eval(tokens, 0, LogitsFor::kAllTokens);
    ASSERT_TRUE(logits.ok()) << logits.status();
    EXPECT_LT(RelativeMaxDiff(*logits, *want), Tolerance(type()));
    results.push_back(*std::move(logits));
  }
  EXPECT_EQ(results[0], results[1]);
  EXPECT_EQ(results[0], results[2]);
}

TEST_P(LlamaCpuTest, PortableKernelsMatchReference) {
  absl::StatusOr<LlamaCpuSession> cpu =
      LlamaCpuSession::Create(*model_, nullptr, 0, quant::Isa::kRef);
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  absl::StatusOr<std::vector<float>> logits = cpu->Eval(tokens_, 0, LogitsFor::kAllTokens);
  ASSERT_TRUE(logits.ok()) << logits.status();
  EXPECT_LT(RelativeMaxDiff(*logits, reference_), Tolerance(type()));
}

INSTANTIATE_TEST_SUITE_P(
    AllTypes, LlamaCpuTest,
    ::testing::Values(std::tuple(QuantType::kF32, false), std::tuple(QuantType::kF16, false),
                      std::tuple(QuantType::kQ8_0, false), std::tuple(QuantType::kQ8_0, true),
                      std::tuple(QuantType::kQ4_0, false), std::tuple(QuantType::kQ4_0, true),
                      std::tuple(QuantType::kQ4_K, false), std::tuple(QuantType::kQ4_K, true),
                      std::tuple(QuantType::kQ6_K, false), std::tuple(QuantType::kQ6_K, true)),
    [](const auto& info) {
      return std::string(quant::QuantTypeName(std::get<0>(info.param))) +
             (std::get<1>(info.param) ? "_mixed" : "");
    });

// Four query heads per key/value head, the 1B shape's grouping (the
// parameterised model has two), for a prompt batch and single-token steps.
class LlamaCpuGroupedQueryTest : public LlamaFileTest {};

TEST_F(LlamaCpuGroupedQueryTest, FourQueryHeadsPerKeyValueHeadMatchReference) {
  model::LlamaSpec spec = PassTestSpec();
  spec.heads = 8;
  spec.kv_heads = 2;
  ASSERT_TRUE(model::WriteSyntheticLlama(spec, Path("gqa.gguf")).ok());
  absl::StatusOr<LlamaModel> m = LlamaModel::Open(Path("gqa.gguf"));
  ASSERT_TRUE(m.ok()) << m.status();
  std::vector<int32_t> tokens;
  for (int i = 0; i < 20; ++i) tokens.push_back((i * 53 + 7) % 300);
  absl::StatusOr<LlamaReferenceSession> ref = LlamaReferenceSession::Create(*m);
  ASSERT_TRUE(ref.ok());
  absl::StatusOr<std::vector<float>> want = ref->Eval(tokens, 0, LogitsFor::kAllTokens);
  ASSERT_TRUE(want.ok()) << want.status();
  ThreadPool pool(2);
  absl::StatusOr<LlamaCpuSession> cpu = LlamaCpuSession::Create(*m, &pool);
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  absl::StatusOr<std::vector<float>> prompt = cpu->Eval(tokens, 0, LogitsFor::kAllTokens);
  ASSERT_TRUE(prompt.ok()) << prompt.status();
  EXPECT_LT(RelativeMaxDiff(*prompt, *want), Tolerance(QuantType::kF32));
  const int vocab = m->hparams().vocab;
  for (int t = 17; t < 20; ++t) {
    absl::StatusOr<std::vector<float>> step = cpu->Eval(std::span(&tokens[t], 1), t);
    ASSERT_TRUE(step.ok()) << step.status();
    const std::vector<float> row(want->begin() + t * vocab, want->begin() + (t + 1) * vocab);
    EXPECT_LT(RelativeMaxDiff(*step, row), Tolerance(QuantType::kF32)) << "token " << t;
  }
}

// The AVX-512 attention against its scalar reference on random data: head
// sizes 16 to 128 (1 to 8 registers), groups of 1 to 5 query heads (sets of
// 4 or 2, then single heads), and position counts around multiples of 16.
TEST(LlamaCpuAttention, Avx512MatchesReference) {
  if (!quant::IsaSupported(quant::Isa::kAvx512Vnni)) GTEST_SKIP() << "CPU lacks AVX-512";
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int head_dim = 16; head_dim <= 128; head_dim += 16) {
    ASSERT_TRUE(internal::AttendGroupAvx512Handles(head_dim));
    for (int heads = 1; heads <= 5; ++heads) {
      for (int positions : {1, 15, 16, 17, 40}) {
        const int stride = 2 * head_dim, context = 48;
        std::vector<float> q(heads * head_dim), keys_t(head_dim * context),
            values(context * stride);
        for (std::vector<float>* v : {&q, &keys_t, &values}) {
          for (float& x : *v) x = normal(rng);
        }
        const internal::AttentionGroup group = {
            .q = q.data(),
            .heads = heads,
            .keys_t = keys_t.data(),
            .key_stride = context,
            .values = values.data() + head_dim,  // Not the first head of a row.
            .value_stride = stride,
            .positions = positions,
            .head_dim = head_dim,
            .scale = 0.125f,
        };
        std::vector<float> scores(heads * positions), want(heads * head_dim), got(heads * head_dim);
        internal::AttendGroupRef(group, scores.data(), want.data());
        internal::AttendGroupAvx512(group, scores.data(), got.data());
        // Outputs are averages of values of size ~1: float rounding and the
        // polynomial exp leave differences near 1e-6.
        for (size_t i = 0; i < want.size(); ++i) {
          ASSERT_NEAR(got[i], want[i], 1e-5) << "head_dim " << head_dim << " heads " << heads
                                             << " positions " << positions << " at " << i;
        }
      }
    }
  }
}

class LlamaCpuRefusalTest : public LlamaFileTest {};

TEST_F(LlamaCpuRefusalTest, RefusesLikeTheReference) {
  ASSERT_TRUE(model::WriteSyntheticLlama(PassTestSpec(), Path("m.gguf")).ok());
  absl::StatusOr<LlamaModel> m = LlamaModel::Open(Path("m.gguf"));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_THAT(LlamaCpuSession::Create(*m, nullptr, 33).status().message(),
              HasSubstr("context 33 is longer than the model allows (llama.context_length 32)"));
  absl::StatusOr<LlamaCpuSession> cpu = LlamaCpuSession::Create(*m, nullptr, 4);
  ASSERT_TRUE(cpu.ok());
  const std::vector<int32_t> five(5, 7);
  EXPECT_THAT(cpu->Eval(five, 0).status().message(),
              HasSubstr("positions 0 to 4 do not fit the session's context of 4 positions"));
  const std::vector<int32_t> bad = {7, 300};
  EXPECT_THAT(cpu->Eval(bad, 0).status().message(), HasSubstr("token 1 is 300"));
  EXPECT_EQ(cpu->positions(), 0);
}

}  // namespace
}  // namespace gridbench::kernels::llama
