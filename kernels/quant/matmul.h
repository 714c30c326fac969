// Matrix-vector and matrix-matrix products with quantized weights.
//
// W is a `rows` x `cols` matrix stored as in a GGUF tensor (each row
// RowBytes(type, cols) bytes). Activations arrive as fp32 and are quantized
// on the fly to the weight type's activation format (dot.h), the way ggml
// does it, so results agree with ggml's up to float rounding.
//
//   GEMV: y[r] = sum_k W[r][k] * x[k]              x: cols floats, y: rows
//   GEMM: y[b * rows + r] = sum_k W[r][k] * x[b * cols + k]
//         x: `batch` activation rows of cols floats, y: batch rows of `rows`
//
// Work is split over rows of W on the caller's thread pool (nullptr runs on
// the calling thread). Results do not depend on the number of threads.
//
// Thread-safety: calls are independent; W and x are only read. Concurrent
// calls sharing a pool take turns on it (thread_pool.h).
#ifndef GRIDBENCH_KERNELS_QUANT_MATMUL_H_
#define GRIDBENCH_KERNELS_QUANT_MATMUL_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kernels/parallel/thread_pool.h"
#include "kernels/quant/isa.h"
#include "kernels/quant/quant_types.h"

namespace gridbench::kernels::quant {

// A weight matrix; does not own `data`.
struct QuantMatrix {
  QuantType type = QuantType::kF32;
  int64_t rows = 0;
  int64_t cols = 0;
  const void* data = nullptr;
};

// OK if w can be multiplied: INVALID_ARGUMENT for Q8_K weights, rows < 1,
// cols not a positive multiple of the block size, or null data.
absl::Status ValidateQuantMatrix(const QuantMatrix& w);

// The level whose code runs a product with `batch` activation rows (1 for
// GEMV) of weight type `type` when `requested` is asked for: results record
// it. FAILED_PRECONDITION if the CPU cannot run `requested`; INVALID_ARGUMENT
// for Q8_K or batch < 1.
absl::StatusOr<Isa> MatmulIsa(QuantType type, int64_t batch, Isa requested);

// GEMV. Q8_0 and Q4_0 weights at avx512_vnni use a kernel that prepares the
// activations once for every row (x86/gemv_avx512.cc). Errors
// (INVALID_ARGUMENT, y untouched): as ValidateQuantMatrix; a NaN
// or infinity in x (naming "x" and the index). FAILED_PRECONDITION if the CPU
// cannot run `isa`.
absl::Status QuantizedGemv(const QuantMatrix& w, const float* x, float* y, ThreadPool* pool,
                           Isa isa = BestIsa());

// GEMM. Q8_0 and Q4_0 weights at avx512_vnni use a blocked, compute-bound
// kernel that reads the weights from memory once per 512 activation rows
// (x86/gemm_avx512.cc); other cases run the dot products over blocks of 16
// activation rows, reading the weights once per block. Errors as
// QuantizedGemv, and INVALID_ARGUMENT for batch < 1.
absl::Status QuantizedGemm(const QuantMatrix& w, const float* x, int64_t batch, float* y,
                           ThreadPool* pool, Isa isa = BestIsa());

}  // namespace gridbench::kernels::quant

#endif  // GRIDBENCH_KERNELS_QUANT_MATMUL_H_
