// The reference forward pass: its pieces against closed forms, whole passes
// of hand-built models whose logits have a closed form, incremental decoding
// through the KV cache against full re-computation for every weight type,
// and the refusals of sessions and Eval.
#include "kernels/llama/llama_reference.h"

#include <cmath>
#include <memory>
#include <numbers>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernels/model/synth_model.h"
#include "kernels/model_quant/model_quantizer.h"
#include "tests/kernels_llama/llama_test_models.h"

namespace gridbench::kernels::llama {
namespace {

using quant::QuantType;
using ::testing::HasSubstr;

// Incremental decoding and a full pass do the same arithmetic per token, so
// they agree to float rounding (relative to the largest logit).
constexpr double kIncrementalTolerance = 1e-4;
// Closed forms computed in double against the pass's float activations.
constexpr double kClosedFormTolerance = 1e-5;

TEST(LlamaPiecesTest, RmsNorm) {
  const float x[] = {3, 4}, w[] = {1, 2};
  float out[2];
  RmsNormRef(x, w, 2, 0.0f, out);
  const double rms = std::sqrt(12.5);
  EXPECT_NEAR(out[0], 3 / rms, 1e-6);
  EXPECT_NEAR(out[1], 8 / rms, 1e-6);
  RmsNormRef(x, w, 2, 1.5f, out);  // eps inside the root.
  EXPECT_NEAR(out[0], 3 / std::sqrt(14.0), 1e-6);
}

TEST(LlamaPiecesTest, Softmax) {
  float x[] = {0, std::log(2.0f), std::log(3.0f)};
  SoftmaxRef(x, 3);
  EXPECT_NEAR(x[0], 1.0 / 6, 1e-7);
  EXPECT_NEAR(x[1], 2.0 / 6, 1e-7);
  EXPECT_NEAR(x[2], 3.0 / 6, 1e-7);
  float big[] = {1000, 1000};  // No overflow: the maximum is subtracted.
  SoftmaxRef(big, 2);
  EXPECT_FLOAT_EQ(big[0], 0.5f);
}

TEST(LlamaPiecesTest, Silu) {
  EXPECT_EQ(SiluRef(0), 0);
  EXPECT_NEAR(SiluRef(1), 1 / (1 + std::exp(-1.0)), 1e-7);
  EXPECT_NEAR(SiluRef(-2), -2 / (1 + std::exp(2.0)), 1e-7);
}

TEST(LlamaPiecesTest, RopeRotatesPairsByPositionAndFrequency) {
  float head[] = {1, 0, 1, 0};
  RopeRef(head, 4, 3, 10000.0f);
  // Pair i turns by pos * base^(-2i / head_dim): 3 and 3 / 100.
  EXPECT_NEAR(head[0], std::cos(3.0), 1e-6);
  EXPECT_NEAR(head[1], std::sin(3.0), 1e-6);
  EXPECT_NEAR(head[2], std::cos(0.03), 1e-6);
  EXPECT_NEAR(head[3], std::sin(0.03), 1e-6);
  float zero_pos[] = {0.5f, -2, 7, 1};
  RopeRef(zero_pos, 4, 0, 10000.0f);
  EXPECT_THAT(zero_pos, ::testing::ElementsAre(0.5f, -2, 7, 1));
}

TEST(LlamaPiecesTest, RopeScoresDependOnlyOnRelativePosition) {
  const std::vector<float> q0 = {0.3f, -1, 0.8f, 0.1f, 2, -0.5f}, k0 = {1, 0.2f, -0.4f, 1.5f, 0, 1};
  const auto score = [&](int qpos, int kpos) {
    std::vector<float> q = q0, k = k0;
    RopeRef(q.data(), 6, qpos, 500.0f);
    RopeRef(k.data(), 6, kpos, 500.0f);
    double s = 0;
    for (int i = 0; i < 6; ++i) s += double(q[i]) * k[i];
    return s;
  };
  EXPECT_NEAR(score(7, 3), score(4, 0), 1e-5);
  EXPECT_NEAR(score(20, 11), score(9, 0), 1e-5);
}

// A one-layer model of width 8 whose blocks reduce to closed forms: norms
// all 1, attn_q = attn_k = 0 (every score 0, so attention averages the values
// of positions 0..pos), attn_v picks the first 4 of the 8 normed values (2
// kv heads of 2 for the 4 query heads), attn_output = ffn_gate = ffn_up =
// ffn_down = identity.
class ClosedFormTest : public LlamaFileTest {
 protected:
  static constexpr int kDim = 8;
  static constexpr float kEps = 1e-5f;

  void SetUp() override {
    LlamaFileTest::SetUp();
    model::LlamaSpec spec;
    spec.dim = spec.ff = kDim;
    spec.layers = 1;
    spec.heads = 4;
    spec.kv_heads = 2;
    spec.vocab = model::kMinLlamaVocab;
    spec.context = 16;
    spec.rms_eps = kEps;
    TestModel m = MakeTestModel(spec);
    std::vector<float> identity(kDim * kDim, 0.0f), zero(kDim * kDim, 0.0f), ones(kDim, 1.0f);
    for (int i = 0; i < kDim; ++i) identity[i * kDim + i] = 1;
    m.values["blk.0.attn_v.weight"] =
        std::vector<float>(identity.begin(), identity.begin() + kDim * kDim / 2);
    for (const char* name : {"attn_output", "ffn_gate", "ffn_up", "ffn_down"}) {
      m.values[std::string("blk.0.") + name + ".weight"] = identity;
    }
    m.values["blk.0.attn_q.weight"] = m.values["blk.0.attn_k.weight"] = zero;
    m.values["blk.0.attn_norm.weight"] = m.values["blk.0.ffn_norm.weight"] = ones;
    m.values["output_norm.weight"] = ones;
    absl::StatusOr<LlamaModel> opened = LlamaModel::Open(Write(m, "closed.gguf"));
    ASSERT_TRUE(opened.ok()) << opened.status();
    model_ = std::make_unique<LlamaModel>(*std::move(opened));
  }

  static std::vector<double> Rms(const std::vector<double>& x) {
    double ss = 0;
    for (double v : x) ss += v * v;
    std::vector<double> out(x.size());
    for (size_t i = 0; i < x.size(); ++i) out[i] = x[i] / std::sqrt(ss / x.size() + kEps);
    return out;
  }

  std::vector<double> Row(const WeightView& w, int r) const {
    std::vector<float> f(w.cols);
    EXPECT_TRUE(DequantizeRowRef(w, r, f.data()).ok());
    return {f.begin(), f.end()};
  }

  // The logits of the token at position `pos` of `tokens`, in closed form.
  std::vector<double> Expected(const std::vector<int32_t>& tokens, int pos) const {
    std::vector<double> mean(kDim / 2, 0.0);  // Of the values, over positions 0..pos.
    for (int p = 0; p <= pos; ++p) {
      const std::vector<double> v = Rms(Row(model_->token_embd(), tokens[p]));
      for (int i = 0; i < kDim / 2; ++i) mean[i] += v[i] / (pos + 1);
    }
    // Query heads 0 and 1 read kv head 0 (values 0, 1), heads 2 and 3 kv
    // head 1 (values 2, 3).
    const double attn[kDim] = {mean[0], mean[1], mean[0], mean[1],
                               mean[2], mean[3], mean[2], mean[3]};
    std::vector<double> x = Row(model_->token_embd(), tokens[pos]);
    for (int i = 0; i < kDim; ++i) x[i] += attn[i];
    const std::vector<double> n = Rms(x);
    for (int i = 0; i < kDim; ++i) x[i] += n[i] / (1 + std::exp(-n[i])) * n[i];
    const std::vector<double> out = Rms(x);
    std::vector<double> logits(model_->hparams().vocab);
    for (int r = 0; r < model_->hparams().vocab; ++r) {
      const std::vector<double> w = Row(model_->output(), r);
      for (int i = 0; i < kDim; ++i) logits[r] += w[i] * out[i];
    }
    return logits;
  }

  std::unique_ptr<LlamaModel> model_;
};

TEST_F(ClosedFormTest, EveryPositionMatchesTheClosedForm) {
  absl::StatusOr<LlamaReferenceSession> session = LlamaReferenceSession::Create(*model_);
  ASSERT_TRUE(session.ok()) << session.status();
  const std::vector<int32_t> tokens = {5, 200, 5, 17, 258};
  absl::StatusOr<std::vector<float>> logits = session->Eval(tokens, 0, LogitsFor::kAllTokens);
  ASSERT_TRUE(logits.ok()) << logits.status();
  const int vocab = model_->hparams().vocab;
  ASSERT_EQ(logits->size(), tokens.size() * vocab);
  for (size_t pos = 0; pos < tokens.size(); ++pos) {
    const std::vector<double> expected = Expected(tokens, pos);
    for (int r = 0; r < vocab; ++r) {
      ASSERT_NEAR((*logits)[pos * vocab + r], expected[r], kClosedFormTolerance)
          << "position " << pos << " logit " << r;
    }
  }
}

// PassTestSpec (dim 256: a whole K-quant block per row) with its own seed.
model::LlamaSpec SmallSpec() {
  model::LlamaSpec spec = PassTestSpec();
  spec.seed = 11;
  return spec;
}

double MaxAbs(const float* x, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::abs(double(x[i])));
  return m;
}

// Decodes `tokens` one at a time and checks each step's logits against row t
// of a full pass over the whole sequence in a fresh session.
void ExpectIncrementalMatchesFull(const LlamaModel& model, const std::vector<int32_t>& tokens) {
  absl::StatusOr<LlamaReferenceSession> full = LlamaReferenceSession::Create(model);
  absl::StatusOr<LlamaReferenceSession> step = LlamaReferenceSession::Create(model);
  ASSERT_TRUE(full.ok() && step.ok());
  absl::StatusOr<std::vector<float>> all = full->Eval(tokens, 0, LogitsFor::kAllTokens);
  ASSERT_TRUE(all.ok()) << all.status();
  const int vocab = model.hparams().vocab;
  for (size_t t = 0; t < tokens.size(); ++t) {
    absl::StatusOr<std::vector<float>> one =
        step->Eval(std::span(&tokens[t], 1), static_cast<int>(t));
    ASSERT_TRUE(one.ok()) << one.status();
    const float* row = &(*all)[t * vocab];
    const double scale = MaxAbs(row, vocab);
    ASSERT_GT(scale, 0);
    for (int r = 0; r < vocab; ++r) {
      ASSERT_NEAR((*one)[r], row[r], kIncrementalTolerance * scale)
          << "token " << t << " logit " << r;
    }
  }
  EXPECT_EQ(step->positions(), static_cast<int>(tokens.size()));
}

class ReferenceModelTest : public LlamaFileTest {
 protected:
  std::string WriteF32() {
    const std::string path = Path("f32.gguf");
    const absl::Status s = model::WriteSyntheticLlama(SmallSpec(), path);
    EXPECT_TRUE(s.ok()) << s;
    return path;
  }
  const std::vector<int32_t> tokens_ = {1, 72, 101, 108, 108, 111, 299, 3, 40, 40, 260, 2};
};

TEST_F(ReferenceModelTest, IncrementalMatchesFullF32) {
  absl::StatusOr<LlamaModel> m = LlamaModel::Open(WriteF32());
  ASSERT_TRUE(m.ok()) << m.status();
  ExpectIncrementalMatchesFull(*m, tokens_);
}

TEST_F(ReferenceModelTest, IncrementalMatchesFullF16) {
  model::LlamaSpec spec = SmallSpec();
  spec.type = QuantType::kF16;
  ASSERT_TRUE(model::WriteSyntheticLlama(spec, Path("f16.gguf")).ok());
  absl::StatusOr<LlamaModel> m = LlamaModel::Open(Path("f16.gguf"));
  ASSERT_TRUE(m.ok()) << m.status();
  ExpectIncrementalMatchesFull(*m, tokens_);
}

// Every quantized type, with every matrix quantized (keep nothing) and with
// llama.cpp's default keep list (a mixed model), against full re-computation
// and, loosely, against the F32 original's logits.
class QuantizedReferenceTest : public ReferenceModelTest,
                               public ::testing::WithParamInterface<std::tuple<QuantType, bool>> {};

// The cosine similarity of quantized and F32 last-token logits must exceed
// this. Measured on this model (1 - cosine, all matrices quantized): Q8_0
// 1.8e-4, Q6_K 2.5e-3, Q4_K 0.031, Q4_0 0.057; random weights quantize
// worse than trained ones. A wrong dequantization gives unrelated logits,
// cosine near 0.
double MinCosineToF32(QuantType type) {
  switch (type) {
    case QuantType::kQ8_0:
      return 0.999;
    case QuantType::kQ6_K:
      return 0.99;
    default:
      return 0.9;
  }
}

TEST_P(QuantizedReferenceTest, IncrementalMatchesFullAndStaysNearF32) {
  const auto [type, keep_defaults] = GetParam();
  const std::string f32 = WriteF32();
  model_quant::ModelQuantizeOptions options;
  options.target = type;
  if (!keep_defaults) options.keep.clear();
  const absl::StatusOr<model_quant::ModelQuantizeReport> report =
      model_quant::QuantizeModel(f32, Path("q.gguf"), options);
  ASSERT_TRUE(report.ok()) << report.status();
  absl::StatusOr<LlamaModel> q = LlamaModel::Open(Path("q.gguf"));
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->layers()[1].ffn_down.type, type);
  EXPECT_EQ(q->output().type, keep_defaults ? QuantType::kF32 : type);
  ExpectIncrementalMatchesFull(*q, tokens_);

  absl::StatusOr<LlamaModel> original = LlamaModel::Open(f32);
  ASSERT_TRUE(original.ok());
  absl::StatusOr<LlamaReferenceSession> sq = LlamaReferenceSession::Create(*q);
  absl::StatusOr<LlamaReferenceSession> so = LlamaReferenceSession::Create(*original);
  absl::StatusOr<std::vector<float>> lq = sq->Eval(tokens_, 0);
  absl::StatusOr<std::vector<float>> lo = so->Eval(tokens_, 0);
  ASSERT_TRUE(lq.ok() && lo.ok());
  double dot = 0, nq = 0, no = 0;
  for (size_t i = 0; i < lq->size(); ++i) {
    dot += double((*lq)[i]) * (*lo)[i];
    nq += double((*lq)[i]) * (*lq)[i];
    no += double((*lo)[i]) * (*lo)[i];
  }
  EXPECT_GT(dot / std::sqrt(nq * no), MinCosineToF32(type));
}

INSTANTIATE_TEST_SUITE_P(AllTypes, QuantizedReferenceTest,
                         ::testing::Combine(::testing::Values(QuantType::kQ8_0, QuantType::kQ4_0,
                                                              QuantType::kQ4_K, QuantType::kQ6_K),
                                            ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(quant::QuantTypeName(std::get<0>(info.param))) +
                                  (std::get<1>(info.param) ? "_mixed" : "_all");
                         });

TEST_F(ReferenceModelTest, RewindingReplacesTheCachedSuffix) {
  absl::StatusOr<LlamaModel> m = LlamaModel::Open(WriteF32());
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<LlamaReferenceSession> session = LlamaReferenceSession::Create(*m);
  ASSERT_TRUE(session.ok());
  ASSERT_TRUE(session->Eval(tokens_, 0).ok());
  const std::vector<int32_t> suffix = {9, 8, 7};
  absl::StatusOr<std::vector<float>> rewound = session->Eval(suffix, 4);
  ASSERT_TRUE(rewound.ok()) << rewound.status();
  EXPECT_EQ(session->positions(), 7);

  std::vector<int32_t> combined(tokens_.begin(), tokens_.begin() + 4);
  combined.insert(combined.end(), suffix.begin(), suffix.end());
  absl::StatusOr<LlamaReferenceSession> fresh = LlamaReferenceSession::Create(*m);
  absl::StatusOr<std::vector<float>> expected = fresh->Eval(combined, 0);
  ASSERT_TRUE(expected.ok());
  const double scale = MaxAbs(expected->data(), expected->size());
  for (size_t r = 0; r < expected->size(); ++r) {
    ASSERT_NEAR((*rewound)[r], (*expected)[r], kIncrementalTolerance * scale) << r;
  }
}

TEST_F(ReferenceModelTest, RefusesContextLongerThanTheModelAllows) {
  absl::StatusOr<LlamaModel> m = LlamaModel::Open(WriteF32());
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<LlamaReferenceSession> s = LlamaReferenceSession::Create(*m, 33);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.status().message(),
              HasSubstr("context 33 is longer than the model allows (llama.context_length 32)"));
  EXPECT_THAT(LlamaReferenceSession::Create(*m, -1).status().message(),
              HasSubstr("context -1 is negative"));

  s = LlamaReferenceSession::Create(*m, 8);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->context(), 8);
  const std::vector<int32_t> nine(9, 5);
  EXPECT_THAT(s->Eval(nine, 0).status().message(),
              HasSubstr("positions 0 to 8 do not fit the session's context of 8 positions"));
  ASSERT_TRUE(s->Eval(std::span(nine).first(8), 0).ok());
  EXPECT_THAT(s->Eval(std::span(nine).first(1), 8).status().message(),
              HasSubstr("positions 8 to 8 do not fit"));
}

TEST_F(ReferenceModelTest, RefusesBadEvalArgumentsLeavingTheCache) {
  absl::StatusOr<LlamaModel> m = LlamaModel::Open(WriteF32());
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<LlamaReferenceSession> s = LlamaReferenceSession::Create(*m);
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->Eval(std::span(tokens_).first(3), 0).ok());
  const auto message = [&](std::vector<int32_t> tokens, int start) {
    const absl::StatusOr<std::vector<float>> r = s->Eval(tokens, start);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    return std::string(r.status().message());
  };
  EXPECT_THAT(message({}, 3), HasSubstr("no tokens to evaluate"));
  EXPECT_THAT(message({4, 300}, 3), HasSubstr("token 1 is 300, outside the vocabulary [0, 300)"));
  EXPECT_THAT(message({-1}, 3), HasSubstr("token 0 is -1"));
  EXPECT_THAT(message({4}, 4), HasSubstr("start position 4 is not within the 3 cached positions"));
  EXPECT_THAT(message({4}, -1), HasSubstr("start position -1"));
  EXPECT_EQ(s->positions(), 3);
}

}  // namespace
}  // namespace gridbench::kernels::llama
