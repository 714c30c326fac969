// The optimised CPU forward pass of a llama-architecture model: the same
// graph as the reference (llama_reference.h), with the matrix products done
// by kernels/quant's quantized kernels (GEMV for single-token steps, GEMM for
// prompt batches), work split over a ThreadPool. Prompt batches of F32 and
// F16 weights go through OpenBLAS instead (llama_cpu_blas.h). Activations
// are quantized to each weight type's activation format (Q8_0 or Q8_K) as
// ggml does, so the logits differ from the reference's by that rounding;
// tests bound it per weight type. Attention (llama_cpu_attention.h), norms
// and RoPE run in float on the pool.
#ifndef GRIDBENCH_KERNELS_LLAMA_LLAMA_CPU_H_
#define GRIDBENCH_KERNELS_LLAMA_LLAMA_CPU_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kernels/llama/llama_cpu_blas.h"
#include "kernels/llama/llama_model.h"
#include "kernels/llama/llama_session.h"
#include "kernels/parallel/thread_pool.h"
#include "kernels/quant/isa.h"

namespace gridbench::kernels::llama {

// One sequence on the CPU: the model, a float KV cache of up to context()
// positions, and scratch space reused between calls.
//
// Thread-safety: thread-compatible (one call at a time). The model and the
// pool must outlive the session; the pool may be shared with other work
// (calls take turns on it, thread_pool.h).
class LlamaCpuSession : public LlamaSession {
 public:
  // A session holding up to `context` positions (0: the model's
  // context_length) whose work runs on `pool` (nullptr: on the calling
  // thread) with the kernels of `isa`. Errors of SessionContext
  // (eval_args.h); FAILED_PRECONDITION if this CPU cannot run `isa`.
  static absl::StatusOr<LlamaCpuSession> Create(const LlamaModel& model, ThreadPool* pool,
                                                int context = 0, quant::Isa isa = quant::BestIsa());

  // As LlamaReferenceSession::Eval: runs `tokens` at positions start_pos...
  // (rewinding the cache to start_pos) and returns the last token's logits
  // or every token's. Errors of CheckEvalArgs, cache unchanged; errors of
  // the quantized kernels (INVALID_ARGUMENT naming a NaN or infinity that
  // reached an activation).
  absl::StatusOr<std::vector<float>> Eval(std::span<const int32_t> tokens, int start_pos,
                                          LogitsFor which = LogitsFor::kLastToken) override;
  int positions() const override { return positions_; }
  int context() const override { return context_; }

 private:
  LlamaCpuSession(const LlamaModel& model, ThreadPool* pool, int context, quant::Isa isa);

  // y (n rows of w.rows) = x (n rows of w.cols) times w transposed.
  absl::Status MatMul(const WeightView& w, const float* x, int n, float* y);
  // fn(begin, end) over [0, n) on the pool, or inline without one.
  void ParallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn);
  absl::Status Block(int layer, int start_pos, int n);
  // proj_ (n rows of dim) = the feed-forward block of normed_.
  absl::Status FeedForward(const LlamaLayer& w, int n);
  // Rotates `heads` heads of each of the n rows of `x` (row stride `stride`).
  void Rope(float* x, int n, int stride, int heads, int start_pos);
  // attn_ (n rows of dim) from q_ and the cache, for tokens at start_pos...
  void Attend(int layer, int start_pos, int n);
  // Where keys_ holds dimension j (of kv_dim) of every position, and where
  // values_ holds position pos.
  size_t KeyRow(int layer, int j) const;
  size_t ValueOffset(int layer, int pos) const;

  // Constant after construction.
  const LlamaModel* model_;
  ThreadPool* pool_;
  int context_;
  quant::Isa isa_;
  std::vector<std::vector<float>> attn_norm_, ffn_norm_;  // Per layer, dequantized.
  std::vector<float> output_norm_;
  std::vector<float> inv_freq_;  // RoPE: freq_base^(-2i / head_dim) per pair i.

  internal::BlasBatchProduct blas_;  // Prompt batches of F32 and F16 weights.
  int positions_ = 0;
  // Keys after RoPE, transposed so attention reads consecutive positions
  // together: [layer][kv_dim][position]. Values: [layer][position][kv_dim].
  std::vector<float> keys_, values_;
  // Scratch, n rows each: residual stream, normed input, q, k, v, attention
  // output, projection, ffn gate and up.
  std::vector<float> x_, normed_, q_, k_, v_, attn_, proj_, gate_, up_;
  // normed_ and proj_ transposed, for feed-forward blocks through OpenBLAS.
  std::vector<float> ffn_in_t_, ffn_out_t_;
};

}  // namespace gridbench::kernels::llama

#endif  // GRIDBENCH_KERNELS_LLAMA_LLAMA_CPU_H_
