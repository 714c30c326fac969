// Internal to kernels/quant: the per-ISA tables of kernel functions that
// dispatch (dot.cc, matmul.cc, fp16.cc) picks from. Each x86/ file fills one
// table; an entry a level does not specialise is nullptr, and dispatch then
// uses the next lower level's entry (the reference table is complete).
#ifndef GRIDBENCH_KERNELS_QUANT_KERNEL_TABLE_H_
#define GRIDBENCH_KERNELS_QUANT_KERNEL_TABLE_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "kernels/parallel/thread_pool.h"
#include "kernels/quant/isa.h"
#include "kernels/quant/quant_types.h"

namespace gridbench::kernels::quant::internal {

// Dot product of a row of n weights with a row of n activations stored in
// the weight type's activation format (dot.h: ActivationTypeFor). n is a
// multiple of the weight type's block size.
using VecDotFn = float (*)(int64_t n, const void* w, const void* a);
using ToFp16Fn = void (*)(const float* x, uint16_t* y, int64_t n);
using FromFp16Fn = void (*)(const uint16_t* x, float* y, int64_t n);

// Y = W X^T for Q8_0 or Q4_0 weights W (rows x cols) and `batch` fp32
// activation rows X (batch x cols, already checked finite): y[b * rows + r].
// Quantizes X itself, the way the dot products' activations are quantized,
// so results match the dot-product path up to float rounding.
using BlockGemmFn = void (*)(QuantType type, const void* w, int64_t rows, int64_t cols,
                             const float* x, int64_t batch, float* y, ThreadPool* pool);

struct KernelTable {
  Isa isa;
  VecDotFn dot_f32 = nullptr;
  VecDotFn dot_f16 = nullptr;
  VecDotFn dot_q8_0 = nullptr;
  VecDotFn dot_q4_0 = nullptr;
  VecDotFn dot_q4_K = nullptr;
  VecDotFn dot_q6_K = nullptr;
  ToFp16Fn to_fp16 = nullptr;
  FromFp16Fn from_fp16 = nullptr;
  BlockGemmFn gemm_q8_0_q4_0 = nullptr;  // For batches of more than one row.
  BlockGemmFn gemv_q8_0_q4_0 = nullptr;  // For a single row.
};

const KernelTable& RefKernelTable();
const KernelTable& Avx2KernelTable();
const KernelTable& Avx512VnniKernelTable();

// The member holding weight type `weights`' dot product; INVALID_ARGUMENT for
// Q8_K, which is only an activation format. (Defined in dot.cc.)
absl::StatusOr<VecDotFn KernelTable::*> DotMember(QuantType weights);

// The table for `isa` (which must be supported by the CPU).
const KernelTable& TableFor(Isa isa);

// The entry `member` from the highest table at or below `isa` that has one,
// and that table's level.
template <typename Fn>
Fn Resolve(Isa isa, Fn KernelTable::*member, Isa* used) {
  for (int level = static_cast<int>(isa); level >= 0; --level) {
    const KernelTable& table = TableFor(static_cast<Isa>(level));
    if (table.*member != nullptr) {
      if (used != nullptr) *used = table.isa;
      return table.*member;
    }
  }
  if (used != nullptr) *used = Isa::kRef;
  return nullptr;
}

}  // namespace gridbench::kernels::quant::internal

#endif  // GRIDBENCH_KERNELS_QUANT_KERNEL_TABLE_H_
