// The plain scalar reference forward pass of a llama-architecture model, the
// one the optimised CPU and Vulkan paths are tested against. It favours being
// obviously right over speed: weight rows are dequantized one at a time to
// floats, sums are accumulated in double, and each step is written as in the
// papers and llama.cpp's graph:
//
//   x = token_embd[token]
//   per block: x += attn_output * Attention(RoPE(attn_q * n), RoPE(attn_k * n), attn_v * n)
//                  with n = RMSNorm(x) * attn_norm;
//              x += ffn_down * (silu(ffn_gate * n) * (ffn_up * n)), n = RMSNorm(x) * ffn_norm
//   logits = output * (RMSNorm(x) * output_norm)
//
// Attention is causal and grouped: query head h reads key/value head
// h / (heads / kv_heads), scores are scaled by 1/sqrt(head_dim). RoPE is
// llama.cpp's "normal" mode: pairs (x[2i], x[2i+1]) of each head turn by
// pos * freq_base^(-2i / head_dim).
//
// Activations are never quantized here, so a quantized model's reference
// logits differ from an optimised path that quantizes activations (as ggml
// does) by that rounding; tests bound it with named tolerances.
#ifndef GRIDBENCH_KERNELS_LLAMA_LLAMA_REFERENCE_H_
#define GRIDBENCH_KERNELS_LLAMA_LLAMA_REFERENCE_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kernels/llama/llama_model.h"
#include "kernels/llama/llama_session.h"

namespace gridbench::kernels::llama {

// The pieces of the pass, exposed so tests can check them against closed
// forms. Pure functions.
//
// out[i] = x[i] / sqrt(mean(x^2) + eps) * w[i] for n values (out may be x).
void RmsNormRef(const float* x, const float* w, int n, float eps, float* out);
// Rotates one head of `head_dim` values in place for position `pos`.
void RopeRef(float* head, int head_dim, int pos, float freq_base);
// Replaces x[0..n) by its softmax.
void SoftmaxRef(float* x, int n);
// x * sigmoid(x).
float SiluRef(float x);
// Row `row` of `w` as floats (w.cols values). Errors from quant::Dequantize.
absl::Status DequantizeRowRef(const WeightView& w, int64_t row, float* out);
// out[r] = sum_c w[r][c] * x[c] for every row r; x has w.cols values, out
// w.rows.
absl::Status MatVecRef(const WeightView& w, const float* x, float* out);

// One sequence being evaluated: the model and a KV cache of up to context()
// positions.
//
// Thread-safety: thread-compatible (one call at a time). The model must
// outlive the session.
class LlamaReferenceSession : public LlamaSession {
 public:
  // A session holding up to `context` positions; 0 means the model's
  // context_length. Errors of SessionContext (eval_args.h).
  static absl::StatusOr<LlamaReferenceSession> Create(const LlamaModel& model, int context = 0);

  // LlamaSession. Eval fails only as CheckEvalArgs does.
  absl::StatusOr<std::vector<float>> Eval(std::span<const int32_t> tokens, int start_pos,
                                          LogitsFor which = LogitsFor::kLastToken) override;
  int positions() const override { return positions_; }
  int context() const override { return context_; }

 private:
  LlamaReferenceSession(const LlamaModel& model, int context);

  // One block over the batch `x` (n rows of dim) at positions start_pos...
  absl::Status Block(int layer, int start_pos, int n, std::vector<float>& x);
  // Attention output for query `q` (dim values) at position `pos`.
  void Attend(int layer, int pos, const float* q, float* out) const;
  // Where position `pos` of `layer` starts in keys_ and values_.
  size_t CacheOffset(int layer, int pos) const;

  const LlamaModel* model_;
  int context_;
  int positions_ = 0;
  // [layer][position][kv_dim], after RoPE for keys.
  std::vector<float> keys_;
  std::vector<float> values_;
};

}  // namespace gridbench::kernels::llama

#endif  // GRIDBENCH_KERNELS_LLAMA_LLAMA_REFERENCE_H_
