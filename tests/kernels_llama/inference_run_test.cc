// MeasureInference, SeededTokens, the fidelity comparison and the model
// footprint, on a small synthetic model run by the reference session.
#include "kernels/llama/inference_run.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernels/llama/fidelity.h"
#include "kernels/llama/llama_cpu.h"
#include "kernels/llama/llama_reference.h"
#include "kernels/llama/model_footprint.h"
#include "kernels/model/synth_model.h"
#include "tests/kernels_llama/llama_test_models.h"

namespace gridbench::kernels::llama {
namespace {

using ::testing::HasSubstr;

class InferenceRunTest : public LlamaFileTest {
 protected:
  void SetUp() override {
    LlamaFileTest::SetUp();
    model::LlamaSpec spec;
    spec.dim = 64;
    spec.layers = 2;
    spec.heads = 4;
    spec.kv_heads = 2;
    spec.ff = 128;
    spec.vocab = 260;
    spec.context = 32;
    const std::string path = Path("model.gguf");
    const absl::Status written = model::WriteSyntheticLlama(spec, path);
    ASSERT_TRUE(written.ok()) << written;
    absl::StatusOr<LlamaModel> model = LlamaModel::Open(path);
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = std::make_unique<LlamaModel>(*std::move(model));
  }

  std::unique_ptr<LlamaModel> model_;
};

TEST(SeededTokensTest, SameSeedSameTokensInRange) {
  const std::vector<int32_t> a = SeededTokens(100, 500, 7);
  EXPECT_EQ(a, SeededTokens(100, 500, 7));
  EXPECT_NE(a, SeededTokens(100, 500, 8));
  std::set<int32_t> distinct(a.begin(), a.end());
  EXPECT_GT(distinct.size(), 90u);
  for (int32_t t : a) {
    EXPECT_GE(t, 0);
    EXPECT_LT(t, 100);
  }
}

TEST_F(InferenceRunTest, RecordsEverySampleOfEveryRepetition) {
  absl::StatusOr<LlamaReferenceSession> session = LlamaReferenceSession::Create(*model_, 16);
  ASSERT_TRUE(session.ok()) << session.status();
  InferenceRunOptions options{.prompt_tokens = 6, .gen_tokens = 4, .repetitions = 3, .warmup = 1};
  int progress_calls = 0;
  absl::StatusOr<InferenceMeasurement> m =
      MeasureInference(*session, model_->hparams().vocab, options,
                       [&](double, const std::string&) { ++progress_calls; });
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->prompt, SeededTokens(model_->hparams().vocab, 6, 1));
  EXPECT_EQ(m->generation, SeededTokens(model_->hparams().vocab, 4, 2));
  EXPECT_EQ(m->prompt_seconds.size(), 3u);
  EXPECT_EQ(m->first_token_seconds.size(), 3u);
  EXPECT_EQ(m->generation_seconds.size(), 3u);
  EXPECT_EQ(m->token_seconds.size(), 12u);
  EXPECT_EQ(progress_calls, 4);
  for (size_t i = 0; i < 3; ++i) EXPECT_GE(m->first_token_seconds[i], m->prompt_seconds[i]);

  // The greedy first token is the argmax of the prompt's last logits.
  absl::StatusOr<std::vector<float>> logits = session->Eval(m->prompt, 0);
  ASSERT_TRUE(logits.ok());
  EXPECT_EQ(m->first_token, std::max_element(logits->begin(), logits->end()) - logits->begin());
}

TEST_F(InferenceRunTest, RefusesBadOptionsAndShortSessions) {
  absl::StatusOr<LlamaReferenceSession> session = LlamaReferenceSession::Create(*model_, 8);
  ASSERT_TRUE(session.ok());
  const int vocab = model_->hparams().vocab;
  EXPECT_THAT(
      MeasureInference(*session, vocab, {.prompt_tokens = 0, .gen_tokens = 0}).status().message(),
      HasSubstr("nothing to measure"));
  EXPECT_THAT(
      MeasureInference(*session, vocab, {.prompt_tokens = 9, .gen_tokens = 2}).status().message(),
      HasSubstr("needs 9 positions, the session holds 8"));
  EXPECT_THAT(
      MeasureInference(*session, vocab, {.prompt_tokens = 2, .gen_tokens = 2, .repetitions = 0})
          .status()
          .message(),
      HasSubstr("repetitions"));
}

TEST_F(InferenceRunTest, IdenticalSessionsAreFullyFaithful) {
  absl::StatusOr<LlamaReferenceSession> a = LlamaReferenceSession::Create(*model_, 8);
  absl::StatusOr<LlamaReferenceSession> b = LlamaReferenceSession::Create(*model_, 8);
  ASSERT_TRUE(a.ok() && b.ok());
  const std::vector<int32_t> tokens = SeededTokens(model_->hparams().vocab, 8, 3);
  absl::StatusOr<FidelityReport> r = CompareSessions(*a, *b, model_->hparams().vocab, tokens);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->positions, 8);
  EXPECT_EQ(r->top1_agreement, 1.0);
  EXPECT_EQ(r->kl_max, 0.0);
  EXPECT_EQ(r->max_abs_logit_diff, 0.0);
}

TEST_F(InferenceRunTest, SummationOrderShowsAsATinyDivergence) {
  // With F32 weights the CPU path differs from the reference (which sums in
  // double) by float summation order alone: measurable, but tiny.
  absl::StatusOr<LlamaReferenceSession> ref = LlamaReferenceSession::Create(*model_, 8);
  absl::StatusOr<LlamaCpuSession> cpu = LlamaCpuSession::Create(*model_, nullptr, 8);
  ASSERT_TRUE(ref.ok() && cpu.ok());
  const std::vector<int32_t> tokens = SeededTokens(model_->hparams().vocab, 8, 3);
  absl::StatusOr<FidelityReport> r = CompareSessions(*ref, *cpu, model_->hparams().vocab, tokens);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GT(r->max_abs_logit_diff, 0.0);
  EXPECT_LT(r->max_abs_logit_diff, 1e-3);
  EXPECT_LT(r->kl_max, 1e-6);
  EXPECT_GE(r->kl_mean, 0.0);
}

TEST(FidelityAccumulatorTest, MatchesHandComputedValues) {
  // P = softmax(0, ln 3) = (1/4, 3/4); Q = softmax(ln 3, 0) = (3/4, 1/4).
  const float ln3 = std::log(3.0f);
  FidelityAccumulator acc;
  ASSERT_TRUE(acc.Add(std::vector<float>{0, ln3}, std::vector<float>{ln3, 0}).ok());
  ASSERT_TRUE(acc.Add(std::vector<float>{1, 2}, std::vector<float>{1, 2}).ok());
  const FidelityReport r = acc.Report();
  const double kl = 0.25 * std::log(1.0 / 3.0) + 0.75 * std::log(3.0);  // = ln(3) / 2
  EXPECT_EQ(r.positions, 2);
  EXPECT_DOUBLE_EQ(r.top1_agreement, 0.5);
  EXPECT_NEAR(r.kl_max, kl, 1e-7);
  EXPECT_NEAR(r.kl_mean, kl / 2, 1e-7);
  EXPECT_NEAR(r.max_abs_logit_diff, ln3, 1e-6);
}

TEST(FidelityAccumulatorTest, RefusesMismatchedOrNonFiniteLogits) {
  FidelityAccumulator acc;
  EXPECT_THAT(acc.Add(std::vector<float>{1, 2}, std::vector<float>{1}).message(),
              HasSubstr("reference 2, test 1"));
  EXPECT_THAT(acc.Add(std::vector<float>{1, NAN}, std::vector<float>{1, 2}).message(),
              HasSubstr("reference logit 1 is not finite"));
  EXPECT_EQ(acc.Report().positions, 0);
}

TEST_F(InferenceRunTest, FootprintCountsWeightsOnceAndTheCacheByPosition) {
  const LlamaHparams& h = model_->hparams();
  const uint64_t kv_one = 2ull * h.layers * h.kv_dim() * sizeof(float);
  EXPECT_EQ(KvCacheBytes(h, 3), 3 * kv_one);
  const WeightView& embd = model_->token_embd();
  const uint64_t embd_bytes = embd.rows * embd.row_bytes();
  EXPECT_EQ(BytesReadPerToken(*model_, 0),
            model_->weight_bytes() - embd_bytes + embd.row_bytes() + kv_one);
  EXPECT_EQ(BytesReadPerToken(*model_, 9) - BytesReadPerToken(*model_, 0), 9 * kv_one);
  EXPECT_DOUBLE_EQ(MeanBytesReadPerToken(*model_, 3),
                   static_cast<double>(BytesReadPerToken(*model_, 1)));
  EXPECT_GT(SessionResidentBytes(*model_, 1000, 16, 4), 1000 + KvCacheBytes(h, 16));
}

}  // namespace
}  // namespace gridbench::kernels::llama
