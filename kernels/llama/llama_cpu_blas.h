// Internal to kernels/llama: prompt-batch products with F32 or F16 weights
// through OpenBLAS's sgemm, which is several times faster than kernels/quant's
// dot-product GEMM for these types. F16 weights are converted to F32 a block
// of rows at a time (the block stays in cache for the sgemm that reads it);
// the products are exact-weight fp32, as llama.cpp's BLAS path computes them.
//
// Results do not depend on the thread count: OpenBLAS splits sgemm over
// output rows and columns, never over the summed dimension.
//
// Thread-safety: thread-compatible (one call at a time per BlasBatchProduct).
#ifndef GRIDBENCH_KERNELS_LLAMA_LLAMA_CPU_BLAS_H_
#define GRIDBENCH_KERNELS_LLAMA_LLAMA_CPU_BLAS_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "kernels/llama/llama_model.h"
#include "kernels/parallel/thread_pool.h"

namespace gridbench::kernels::llama::internal {

// Whether BlasBatchProduct takes products of `batch` rows with weights `w`:
// F32 or F16 weights and a batch large enough to repay the conversion.
bool UseBlasBatchProduct(const WeightView& w, int batch);

// y (batch rows of w.rows) = x (batch rows of w.cols) times w transposed,
// with scratch space reused between calls.
class BlasBatchProduct {
 public:
  // sgemm runs on as many threads as `pool` has (1 without one), at most
  // OpenBLAS's own maximum; conversions and transposes run on `pool`.
  explicit BlasBatchProduct(ThreadPool* pool);

  // Errors of Sgemm (blas.h), e.g. INVALID_ARGUMENT for sizes past
  // OpenBLAS's 32-bit indices.
  absl::Status Multiply(const WeightView& w, const float* x, int batch, float* y);

  // The same product on transposed activations: x_t (w.cols rows of batch)
  // gives y_t (w.rows rows of batch), which is what sgemm computes, so a
  // chain of products (the feed-forward block) transposes only at its ends.
  absl::Status MultiplyTransposed(const WeightView& w, const float* x_t, int batch, float* y_t);

  // out[c * rows + r] = in[r * cols + c], on the pool.
  void Transpose(const float* in, int64_t rows, int64_t cols, float* out);

 private:
  ThreadPool* pool_;
  int sgemm_threads_;
  std::vector<float> x_t_;      // x transposed: cols rows of batch.
  std::vector<float> weights_;  // A block of w's rows as F32.
  std::vector<float> y_t_;      // y transposed: w.rows rows of batch.
};

}  // namespace gridbench::kernels::llama::internal

#endif  // GRIDBENCH_KERNELS_LLAMA_LLAMA_CPU_BLAS_H_
