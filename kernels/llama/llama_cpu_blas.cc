#include "kernels/llama/llama_cpu_blas.h"

#include <algorithm>
#include <cstdint>
#include <functional>

#include "common/status_macros.h"
#include "kernels/cpu/blas.h"
#include "kernels/quant/quantize.h"

namespace gridbench::kernels::llama::internal {
namespace {

// Below this many activation rows the F32 conversion of the weights costs
// more than the dot-product GEMM saves.
constexpr int kMinBlasBatch = 16;
// F32 weights per converted block (8 MiB): large enough for sgemm to run at
// full speed, small enough to stay in the last-level cache until it does.
constexpr int64_t kBlockFloats = int64_t{2} << 20;
// Side of the square tiles transposes move, so both sides stay in L1.
constexpr int64_t kTransposeTile = 32;

// fn(begin, end) over [0, n) on the pool, or inline without one.
void ForRanges(ThreadPool* pool, int64_t n, const std::function<void(int64_t, int64_t)>& fn) {
  if (pool != nullptr) {
    pool->ParallelFor(n, fn);
  } else if (n > 0) {
    fn(0, n);
  }
}

}  // namespace

bool UseBlasBatchProduct(const WeightView& w, int batch) {
  return (w.type == quant::QuantType::kF32 || w.type == quant::QuantType::kF16) &&
         batch >= kMinBlasBatch;
}

BlasBatchProduct::BlasBatchProduct(ThreadPool* pool)
    : pool_(pool),
      sgemm_threads_(std::clamp(pool == nullptr ? 1 : pool->num_threads(), 1,
                                GetOpenBlasInfo().max_threads)) {}

absl::Status BlasBatchProduct::Multiply(const WeightView& w, const float* x, int batch, float* y) {
  x_t_.resize(static_cast<size_t>(w.cols) * batch);
  y_t_.resize(static_cast<size_t>(w.rows) * batch);
  Transpose(x, batch, w.cols, x_t_.data());
  GB_RETURN_IF_ERROR(MultiplyTransposed(w, x_t_.data(), batch, y_t_.data()));
  Transpose(y_t_.data(), w.rows, batch, y);
  return absl::OkStatus();
}

absl::Status BlasBatchProduct::MultiplyTransposed(const WeightView& w, const float* x_t, int batch,
                                                  float* y_t) {
  // sgemm's operands are row-major without transposes, so it computes
  // y^T = w x^T: block rows of w against x^T give rows of y^T.
  const int64_t block_rows = std::max<int64_t>(1, kBlockFloats / w.cols);
  for (int64_t r0 = 0; r0 < w.rows; r0 += block_rows) {
    const int64_t rows = std::min(block_rows, w.rows - r0);
    const float* block;
    if (w.type == quant::QuantType::kF32) {
      block = reinterpret_cast<const float*>(w.row(r0));
    } else {
      weights_.resize(static_cast<size_t>(rows) * w.cols);
      ForRanges(pool_, rows, [&](int64_t b0, int64_t b1) {
        // The model checked type and shape at Open, so this cannot fail.
        (void)quant::Dequantize(w.type, w.row(r0 + b0), b1 - b0, w.cols,
                                &weights_[static_cast<size_t>(b0) * w.cols]);
      });
      block = weights_.data();
    }
    GB_RETURN_IF_ERROR(Sgemm(static_cast<int>(rows), batch, static_cast<int>(w.cols), block, x_t,
                             &y_t[static_cast<size_t>(r0) * batch], sgemm_threads_));
  }
  return absl::OkStatus();
}

// In square tiles, so both sides stay in L1; tile rows of `out` on the pool.
void BlasBatchProduct::Transpose(const float* in, int64_t rows, int64_t cols, float* out) {
  ForRanges(pool_, (cols + kTransposeTile - 1) / kTransposeTile, [&](int64_t t0, int64_t t1) {
    for (int64_t c0 = t0 * kTransposeTile; c0 < std::min(cols, t1 * kTransposeTile);
         c0 += kTransposeTile) {
      const int64_t c1 = std::min(cols, c0 + kTransposeTile);
      for (int64_t r0 = 0; r0 < rows; r0 += kTransposeTile) {
        const int64_t r1 = std::min(rows, r0 + kTransposeTile);
        for (int64_t c = c0; c < c1; ++c) {
          for (int64_t r = r0; r < r1; ++r) out[c * rows + r] = in[r * cols + c];
        }
      }
    }
  });
}

}  // namespace gridbench::kernels::llama::internal
