#include "kernels/llama/llama_cpu.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "common/status_macros.h"
#include "kernels/llama/eval_args.h"
#include "kernels/llama/llama_cpu_attention.h"
#include "kernels/llama/llama_cpu_blas.h"
#include "kernels/quant/matmul.h"
#include "kernels/quant/quantize.h"

namespace gridbench::kernels::llama {
namespace {

quant::QuantMatrix AsMatrix(const WeightView& w) { return {w.type, w.rows, w.cols, w.data}; }

std::vector<float> Dequantized(const WeightView& w) {
  std::vector<float> out(w.cols * w.rows);
  // The model checked the type and shape at Open, so this cannot fail.
  (void)quant::Dequantize(w.type, w.data, w.rows, w.cols, out.data());
  return out;
}

void RmsNorm(const float* x, const float* w, int n, float eps, float* out) {
  float sum_sq = 0;
  for (int i = 0; i < n; ++i) sum_sq += x[i] * x[i];
  const float scale = 1.0f / std::sqrt(sum_sq / n + eps);
  for (int i = 0; i < n; ++i) out[i] = x[i] * scale * w[i];
}

}  // namespace

absl::StatusOr<LlamaCpuSession> LlamaCpuSession::Create(const LlamaModel& model, ThreadPool* pool,
                                                        int context, quant::Isa isa) {
  GB_ASSIGN_OR_RETURN(const int positions, SessionContext(model.hparams(), context));
  GB_RETURN_IF_ERROR(quant::MatmulIsa(quant::QuantType::kF32, 1, isa).status());
  return LlamaCpuSession(model, pool, positions, isa);
}

LlamaCpuSession::LlamaCpuSession(const LlamaModel& model, ThreadPool* pool, int context,
                                 quant::Isa isa)
    : model_(&model), pool_(pool), context_(context), isa_(isa), blas_(pool) {
  const LlamaHparams& h = model.hparams();
  for (const LlamaLayer& layer : model.layers()) {
    attn_norm_.push_back(Dequantized(layer.attn_norm));
    ffn_norm_.push_back(Dequantized(layer.ffn_norm));
  }
  output_norm_ = Dequantized(model.output_norm());
  for (int i = 0; i < h.head_dim / 2; ++i) {
    inv_freq_.push_back(
        static_cast<float>(std::pow(static_cast<double>(h.rope_freq_base), -2.0 * i / h.head_dim)));
  }
  const size_t cache = static_cast<size_t>(h.layers) * context * h.kv_dim();
  keys_.resize(cache);
  values_.resize(cache);
}

size_t LlamaCpuSession::KeyRow(int layer, int j) const {
  return (static_cast<size_t>(layer) * model_->hparams().kv_dim() + j) * context_;
}

size_t LlamaCpuSession::ValueOffset(int layer, int pos) const {
  return (static_cast<size_t>(layer) * context_ + pos) * model_->hparams().kv_dim();
}

void LlamaCpuSession::ParallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (pool_ != nullptr) {
    pool_->ParallelFor(n, fn);
  } else if (n > 0) {
    fn(0, n);
  }
}

absl::Status LlamaCpuSession::MatMul(const WeightView& w, const float* x, int n, float* y) {
  if (internal::UseBlasBatchProduct(w, n)) return blas_.Multiply(w, x, n, y);
  if (n == 1) return quant::QuantizedGemv(AsMatrix(w), x, y, pool_, isa_);
  return quant::QuantizedGemm(AsMatrix(w), x, n, y, pool_, isa_);
}

absl::StatusOr<std::vector<float>> LlamaCpuSession::Eval(std::span<const int32_t> tokens,
                                                         int start_pos, LogitsFor which) {
  const LlamaHparams& h = model_->hparams();
  GB_RETURN_IF_ERROR(CheckEvalArgs(h, context_, positions_, tokens, start_pos));
  const int n = static_cast<int>(tokens.size());
  const size_t rows = n;
  x_.resize(rows * h.dim);
  normed_.resize(rows * h.dim);
  q_.resize(rows * h.dim);
  k_.resize(rows * h.kv_dim());
  v_.resize(rows * h.kv_dim());
  attn_.resize(rows * h.dim);
  proj_.resize(rows * h.dim);
  gate_.resize(rows * h.ff);
  up_.resize(rows * h.ff);
  const WeightView& embd = model_->token_embd();
  for (int t = 0; t < n; ++t) {
    GB_RETURN_IF_ERROR(quant::Dequantize(embd.type, embd.row(tokens[t]), 1, h.dim, &x_[t * h.dim]));
  }
  // A failure below leaves the cache partly written for positions from
  // start_pos on; positions_ then stops before them.
  positions_ = std::min(positions_, start_pos);
  for (int layer = 0; layer < h.layers; ++layer) GB_RETURN_IF_ERROR(Block(layer, start_pos, n));
  positions_ = start_pos + n;

  const int first = which == LogitsFor::kAllTokens ? 0 : n - 1;
  const int count = n - first;
  for (int t = first; t < n; ++t) {
    RmsNorm(&x_[t * h.dim], output_norm_.data(), h.dim, h.rms_eps, &normed_[(t - first) * h.dim]);
  }
  std::vector<float> logits(static_cast<size_t>(count) * h.vocab);
  GB_RETURN_IF_ERROR(MatMul(model_->output(), normed_.data(), count, logits.data()));
  return logits;
}

absl::Status LlamaCpuSession::Block(int layer, int start_pos, int n) {
  const LlamaHparams& h = model_->hparams();
  const LlamaLayer& w = model_->layers()[layer];
  const int kv_dim = h.kv_dim();
  for (int t = 0; t < n; ++t) {
    RmsNorm(&x_[t * h.dim], attn_norm_[layer].data(), h.dim, h.rms_eps, &normed_[t * h.dim]);
  }
  GB_RETURN_IF_ERROR(MatMul(w.attn_q, normed_.data(), n, q_.data()));
  GB_RETURN_IF_ERROR(MatMul(w.attn_k, normed_.data(), n, k_.data()));
  GB_RETURN_IF_ERROR(MatMul(w.attn_v, normed_.data(), n, v_.data()));
  Rope(q_.data(), n, h.dim, h.heads, start_pos);
  Rope(k_.data(), n, kv_dim, h.kv_heads, start_pos);
  for (int t = 0; t < n; ++t) {
    for (int j = 0; j < kv_dim; ++j) keys_[KeyRow(layer, j) + start_pos + t] = k_[t * kv_dim + j];
    std::memcpy(&values_[ValueOffset(layer, start_pos + t)], &v_[t * kv_dim],
                kv_dim * sizeof(float));
  }
  Attend(layer, start_pos, n);
  GB_RETURN_IF_ERROR(MatMul(w.attn_output, attn_.data(), n, proj_.data()));
  for (size_t i = 0; i < static_cast<size_t>(n) * h.dim; ++i) x_[i] += proj_[i];

  for (int t = 0; t < n; ++t) {
    RmsNorm(&x_[t * h.dim], ffn_norm_[layer].data(), h.dim, h.rms_eps, &normed_[t * h.dim]);
  }
  GB_RETURN_IF_ERROR(FeedForward(w, n));
  for (size_t i = 0; i < static_cast<size_t>(n) * h.dim; ++i) x_[i] += proj_[i];
  return absl::OkStatus();
}

absl::Status LlamaCpuSession::FeedForward(const LlamaLayer& w, int n) {
  const LlamaHparams& h = model_->hparams();
  // Through OpenBLAS the three products run on transposed activations
  // (SwiGLU does not care which way they lie), transposing only normed_ in
  // and proj_ out.
  const bool transposed = internal::UseBlasBatchProduct(w.ffn_gate, n) &&
                          internal::UseBlasBatchProduct(w.ffn_up, n) &&
                          internal::UseBlasBatchProduct(w.ffn_down, n);
  const float* in = normed_.data();
  float* out = proj_.data();
  if (transposed) {
    ffn_in_t_.resize(static_cast<size_t>(n) * h.dim);
    ffn_out_t_.resize(static_cast<size_t>(n) * h.dim);
    blas_.Transpose(normed_.data(), n, h.dim, ffn_in_t_.data());
    in = ffn_in_t_.data();
    out = ffn_out_t_.data();
  }
  auto product = [&](const WeightView& weights, const float* x, float* y) {
    return transposed ? blas_.MultiplyTransposed(weights, x, n, y) : MatMul(weights, x, n, y);
  };
  GB_RETURN_IF_ERROR(product(w.ffn_gate, in, gate_.data()));
  GB_RETURN_IF_ERROR(product(w.ffn_up, in, up_.data()));
  // SwiGLU on the pool: a prompt batch has millions of exponentials.
  constexpr int64_t kSwigluChunk = 4096;
  const int64_t values = static_cast<int64_t>(n) * h.ff;
  ParallelFor((values + kSwigluChunk - 1) / kSwigluChunk, [&](int64_t c0, int64_t c1) {
    for (int64_t i = c0 * kSwigluChunk; i < std::min(values, c1 * kSwigluChunk); ++i) {
      gate_[i] = gate_[i] / (1.0f + std::exp(-gate_[i])) * up_[i];
    }
  });
  GB_RETURN_IF_ERROR(product(w.ffn_down, gate_.data(), out));
  if (transposed) blas_.Transpose(ffn_out_t_.data(), h.dim, n, proj_.data());
  return absl::OkStatus();
}

void LlamaCpuSession::Rope(float* x, int n, int stride, int heads, int start_pos) {
  const int head_dim = model_->hparams().head_dim;
  for (int t = 0; t < n; ++t) {
    const float pos = static_cast<float>(start_pos + t);
    for (int i = 0; i < head_dim / 2; ++i) {
      const float theta = pos * inv_freq_[i];
      const float c = std::cos(theta), s = std::sin(theta);
      for (int head = 0; head < heads; ++head) {
        float* pair = x + static_cast<size_t>(t) * stride + head * head_dim + 2 * i;
        const float x0 = pair[0], x1 = pair[1];
        pair[0] = x0 * c - x1 * s;
        pair[1] = x0 * s + x1 * c;
      }
    }
  }
}

void LlamaCpuSession::Attend(int layer, int start_pos, int n) {
  const LlamaHparams& h = model_->hparams();
  const int group = h.heads / h.kv_heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(h.head_dim));
  const internal::AttendGroupFn attend = internal::AttendGroupFor(isa_, h.head_dim);
  // One work item per (token, key/value head): its group of query heads.
  ParallelFor(static_cast<int64_t>(n) * h.kv_heads, [&](int64_t begin, int64_t end) {
    std::vector<float> scores(static_cast<size_t>(group) * (start_pos + n));
    for (int64_t item = begin; item < end; ++item) {
      const int t = static_cast<int>(item / h.kv_heads), kv = static_cast<int>(item % h.kv_heads);
      const size_t q_off = static_cast<size_t>(t) * h.dim + kv * group * h.head_dim;
      const internal::AttentionGroup args = {
          .q = &q_[q_off],
          .heads = group,
          .keys_t = &keys_[KeyRow(layer, kv * h.head_dim)],
          .key_stride = context_,
          .values = &values_[ValueOffset(layer, 0) + kv * h.head_dim],
          .value_stride = h.kv_dim(),
          .positions = start_pos + t + 1,
          .head_dim = h.head_dim,
          .scale = scale,
      };
      attend(args, scores.data(), &attn_[q_off]);
    }
  });
}

}  // namespace gridbench::kernels::llama
