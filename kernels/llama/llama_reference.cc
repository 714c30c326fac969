#include "kernels/llama/llama_reference.h"

#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kernels/llama/eval_args.h"
#include "kernels/quant/quantize.h"

namespace gridbench::kernels::llama {

void RmsNormRef(const float* x, const float* w, int n, float eps, float* out) {
  double sum_sq = 0;
  for (int i = 0; i < n; ++i) sum_sq += static_cast<double>(x[i]) * x[i];
  const double scale = 1.0 / std::sqrt(sum_sq / n + eps);
  for (int i = 0; i < n; ++i) out[i] = static_cast<float>(x[i] * scale) * w[i];
}

void RopeRef(float* head, int head_dim, int pos, float freq_base) {
  for (int i = 0; i < head_dim / 2; ++i) {
    const double theta = pos * std::pow(static_cast<double>(freq_base), -2.0 * i / head_dim);
    const double c = std::cos(theta), s = std::sin(theta);
    const double x0 = head[2 * i], x1 = head[2 * i + 1];
    head[2 * i] = static_cast<float>(x0 * c - x1 * s);
    head[2 * i + 1] = static_cast<float>(x0 * s + x1 * c);
  }
}

void SoftmaxRef(float* x, int n) {
  float max = x[0];
  for (int i = 1; i < n; ++i) max = std::max(max, x[i]);
  double sum = 0;
  for (int i = 0; i < n; ++i) sum += std::exp(static_cast<double>(x[i]) - max);
  for (int i = 0; i < n; ++i)
    x[i] = static_cast<float>(std::exp(static_cast<double>(x[i]) - max) / sum);
}

float SiluRef(float x) { return static_cast<float>(x / (1.0 + std::exp(-static_cast<double>(x)))); }

absl::Status DequantizeRowRef(const WeightView& w, int64_t row, float* out) {
  return quant::Dequantize(w.type, w.row(row), 1, w.cols, out);
}

absl::Status MatVecRef(const WeightView& w, const float* x, float* out) {
  std::vector<float> row(w.cols);
  for (int64_t r = 0; r < w.rows; ++r) {
    GB_RETURN_IF_ERROR(DequantizeRowRef(w, r, row.data()));
    double sum = 0;
    for (int64_t c = 0; c < w.cols; ++c) sum += static_cast<double>(row[c]) * x[c];
    out[r] = static_cast<float>(sum);
  }
  return absl::OkStatus();
}

absl::StatusOr<LlamaReferenceSession> LlamaReferenceSession::Create(const LlamaModel& model,
                                                                    int context) {
  GB_ASSIGN_OR_RETURN(const int positions, SessionContext(model.hparams(), context));
  return LlamaReferenceSession(model, positions);
}

LlamaReferenceSession::LlamaReferenceSession(const LlamaModel& model, int context)
    : model_(&model), context_(context) {
  const LlamaHparams& h = model.hparams();
  const size_t cache = static_cast<size_t>(h.layers) * context * h.kv_dim();
  keys_.resize(cache);
  values_.resize(cache);
}

size_t LlamaReferenceSession::CacheOffset(int layer, int pos) const {
  return (static_cast<size_t>(layer) * context_ + pos) * model_->hparams().kv_dim();
}

absl::StatusOr<std::vector<float>> LlamaReferenceSession::Eval(std::span<const int32_t> tokens,
                                                               int start_pos, LogitsFor which) {
  GB_RETURN_IF_ERROR(CheckEvalArgs(model_->hparams(), context_, positions_, tokens, start_pos));
  const LlamaHparams& h = model_->hparams();
  const int n = static_cast<int>(tokens.size());
  std::vector<float> x(static_cast<size_t>(n) * h.dim);
  for (int t = 0; t < n; ++t) {
    GB_RETURN_IF_ERROR(DequantizeRowRef(model_->token_embd(), tokens[t], &x[t * h.dim]));
  }
  for (int layer = 0; layer < h.layers; ++layer) {
    GB_RETURN_IF_ERROR(Block(layer, start_pos, n, x));
  }
  positions_ = start_pos + n;

  const int first = which == LogitsFor::kAllTokens ? 0 : n - 1;
  std::vector<float> norm_w(h.dim), normed(h.dim);
  GB_RETURN_IF_ERROR(DequantizeRowRef(model_->output_norm(), 0, norm_w.data()));
  std::vector<float> logits(static_cast<size_t>(n - first) * h.vocab);
  for (int t = first; t < n; ++t) {
    RmsNormRef(&x[t * h.dim], norm_w.data(), h.dim, h.rms_eps, normed.data());
    GB_RETURN_IF_ERROR(MatVecRef(model_->output(), normed.data(),
                                 &logits[static_cast<size_t>(t - first) * h.vocab]));
  }
  return logits;
}

absl::Status LlamaReferenceSession::Block(int layer, int start_pos, int n, std::vector<float>& x) {
  const LlamaHparams& h = model_->hparams();
  const LlamaLayer& w = model_->layers()[layer];
  std::vector<float> attn_norm(h.dim), ffn_norm(h.dim);
  GB_RETURN_IF_ERROR(DequantizeRowRef(w.attn_norm, 0, attn_norm.data()));
  GB_RETURN_IF_ERROR(DequantizeRowRef(w.ffn_norm, 0, ffn_norm.data()));

  // Keys and values of the whole batch go into the cache first, so that each
  // token then attends to every position up to its own.
  std::vector<float> normed(h.dim), q(static_cast<size_t>(n) * h.dim);
  for (int t = 0; t < n; ++t) {
    const int pos = start_pos + t;
    float* qt = &q[t * h.dim];
    float* k = &keys_[CacheOffset(layer, pos)];
    float* v = &values_[CacheOffset(layer, pos)];
    RmsNormRef(&x[t * h.dim], attn_norm.data(), h.dim, h.rms_eps, normed.data());
    GB_RETURN_IF_ERROR(MatVecRef(w.attn_q, normed.data(), qt));
    GB_RETURN_IF_ERROR(MatVecRef(w.attn_k, normed.data(), k));
    GB_RETURN_IF_ERROR(MatVecRef(w.attn_v, normed.data(), v));
    for (int head = 0; head < h.heads; ++head) {
      RopeRef(qt + head * h.head_dim, h.head_dim, pos, h.rope_freq_base);
    }
    for (int head = 0; head < h.kv_heads; ++head) {
      RopeRef(k + head * h.head_dim, h.head_dim, pos, h.rope_freq_base);
    }
  }

  std::vector<float> attn(h.dim), delta(h.dim), gate(h.ff), up(h.ff);
  for (int t = 0; t < n; ++t) {
    float* xt = &x[t * h.dim];
    Attend(layer, start_pos + t, &q[t * h.dim], attn.data());
    GB_RETURN_IF_ERROR(MatVecRef(w.attn_output, attn.data(), delta.data()));
    for (int i = 0; i < h.dim; ++i) xt[i] += delta[i];

    RmsNormRef(xt, ffn_norm.data(), h.dim, h.rms_eps, normed.data());
    GB_RETURN_IF_ERROR(MatVecRef(w.ffn_gate, normed.data(), gate.data()));
    GB_RETURN_IF_ERROR(MatVecRef(w.ffn_up, normed.data(), up.data()));
    for (int i = 0; i < h.ff; ++i) gate[i] = SiluRef(gate[i]) * up[i];
    GB_RETURN_IF_ERROR(MatVecRef(w.ffn_down, gate.data(), delta.data()));
    for (int i = 0; i < h.dim; ++i) xt[i] += delta[i];
  }
  return absl::OkStatus();
}

void LlamaReferenceSession::Attend(int layer, int pos, const float* q, float* out) const {
  const LlamaHparams& h = model_->hparams();
  const int group = h.heads / h.kv_heads;
  const double scale = 1.0 / std::sqrt(static_cast<double>(h.head_dim));
  std::vector<float> scores(pos + 1);
  for (int head = 0; head < h.heads; ++head) {
    const float* qh = q + head * h.head_dim;
    const int kv_head = head / group;
    for (int p = 0; p <= pos; ++p) {
      const float* k = &keys_[CacheOffset(layer, p) + kv_head * h.head_dim];
      double dot = 0;
      for (int i = 0; i < h.head_dim; ++i) dot += static_cast<double>(qh[i]) * k[i];
      scores[p] = static_cast<float>(dot * scale);
    }
    SoftmaxRef(scores.data(), pos + 1);
    for (int i = 0; i < h.head_dim; ++i) {
      double sum = 0;
      for (int p = 0; p <= pos; ++p) {
        sum += static_cast<double>(scores[p]) *
               values_[CacheOffset(layer, p) + kv_head * h.head_dim + i];
      }
      out[head * h.head_dim + i] = static_cast<float>(sum);
    }
  }
}

}  // namespace gridbench::kernels::llama
