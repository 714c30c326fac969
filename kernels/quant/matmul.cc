#include "kernels/quant/matmul.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kernels/quant/dot.h"
#include "kernels/quant/kernel_table.h"
#include "kernels/quant/quantize.h"

namespace gridbench::kernels::quant {
namespace {

using internal::KernelTable;
using internal::VecDotFn;

// Activation columns per pass of the generic GEMM: 16 Q8_K rows of 14336
// values are about 260 KB, so they stay in L2 while every weight row of a
// thread's range is dotted with all of them.
constexpr int64_t kGenericColsPerBlock = 16;
// Rows per scheduling chunk: enough work per chunk to hide the hand-out.
constexpr int64_t kMinRowsPerChunk = 16;

// The blocked product for `type` and `batch` at `isa` (the GEMV for one row,
// else the GEMM), if one exists.
internal::BlockGemmFn BlockGemm(QuantType type, int64_t batch, Isa isa, Isa* used) {
  if (type != QuantType::kQ8_0 && type != QuantType::kQ4_0) return nullptr;
  return internal::Resolve(
      isa, batch == 1 ? &KernelTable::gemv_q8_0_q4_0 : &KernelTable::gemm_q8_0_q4_0, used);
}

// Activations quantized to the weight type's activation format, one row per
// activation.
struct QuantizedActivations {
  std::vector<char> data;
  size_t row_bytes = 0;
  const void* Row(int64_t b) const { return data.data() + b * row_bytes; }
};

absl::StatusOr<QuantizedActivations> QuantizeActivations(QuantType weights, const float* x,
                                                         int64_t batch, int64_t cols) {
  GB_ASSIGN_OR_RETURN(const QuantType type, ActivationTypeFor(weights));
  QuantizedActivations out;
  out.row_bytes = RowBytes(type, cols);
  out.data.resize(out.row_bytes * batch);
  GB_RETURN_IF_ERROR(Quantize(type, "x", x, batch, cols, out.data.data()));
  return out;
}

// y[b * rows + r] for b in [b0, b1) and every r, through the dot products.
void GenericProduct(const QuantMatrix& w, VecDotFn dot, const QuantizedActivations& act, int64_t b0,
                    int64_t b1, float* y, ThreadPool* pool) {
  const size_t row_bytes = RowBytes(w.type, w.cols);
  const char* base = static_cast<const char*>(w.data);
  pool->ParallelFor(
      w.rows,
      [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
          for (int64_t b = b0; b < b1; ++b) {
            y[b * w.rows + r] = dot(w.cols, base + r * row_bytes, act.Row(b));
          }
        }
      },
      kMinRowsPerChunk);
}

}  // namespace

absl::Status ValidateQuantMatrix(const QuantMatrix& w) {
  if (w.type == QuantType::kQ8_K) {
    return absl::InvalidArgumentError("Q8_K is an activation format and cannot be used as weights");
  }
  if (w.rows < 1) {
    return absl::InvalidArgumentError(absl::StrCat("weight matrix has ", w.rows, " rows"));
  }
  GB_RETURN_IF_ERROR(CheckRowLength(w.type, w.cols));
  if (w.data == nullptr) return absl::InvalidArgumentError("weight matrix has no data");
  return absl::OkStatus();
}

absl::StatusOr<Isa> MatmulIsa(QuantType type, int64_t batch, Isa requested) {
  if (batch < 1) return absl::InvalidArgumentError(absl::StrCat("batch ", batch, " is below 1"));
  GB_ASSIGN_OR_RETURN(const Isa dot_isa, DotIsa(type, requested));
  Isa used;
  if (BlockGemm(type, batch, requested, &used) != nullptr) return used;
  return dot_isa;
}

absl::Status QuantizedGemv(const QuantMatrix& w, const float* x, float* y, ThreadPool* pool,
                           Isa isa) {
  return QuantizedGemm(w, x, 1, y, pool, isa);
}

absl::Status QuantizedGemm(const QuantMatrix& w, const float* x, int64_t batch, float* y,
                           ThreadPool* pool, Isa isa) {
  GB_RETURN_IF_ERROR(ValidateQuantMatrix(w));
  GB_RETURN_IF_ERROR(CheckIsaSupported(isa));
  if (batch < 1) return absl::InvalidArgumentError(absl::StrCat("batch ", batch, " is below 1"));
  std::optional<ThreadPool> inline_pool;
  if (pool == nullptr) pool = &inline_pool.emplace(1);
  if (internal::BlockGemmFn gemm = BlockGemm(w.type, batch, isa, nullptr)) {
    GB_RETURN_IF_ERROR(CheckFinite("x", x, batch * w.cols, w.cols));
    gemm(w.type, w.data, w.rows, w.cols, x, batch, y, pool);
    return absl::OkStatus();
  }
  GB_ASSIGN_OR_RETURN(const QuantizedActivations act,
                      QuantizeActivations(w.type, x, batch, w.cols));
  GB_ASSIGN_OR_RETURN(VecDotFn KernelTable::*const member, internal::DotMember(w.type));
  const VecDotFn dot = internal::Resolve(isa, member, nullptr);
  for (int64_t b0 = 0; b0 < batch; b0 += kGenericColsPerBlock) {
    GenericProduct(w, dot, act, b0, std::min(batch, b0 + kGenericColsPerBlock), y, pool);
  }
  return absl::OkStatus();
}

}  // namespace gridbench::kernels::quant
