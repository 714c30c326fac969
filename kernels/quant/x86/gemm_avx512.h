// Internal to kernels/quant: the AVX-512 VNNI GEMM and GEMV for Q8_0 and
// Q4_0 weights (BlockGemmFns, see kernel_table.h).
#ifndef GRIDBENCH_KERNELS_QUANT_X86_GEMM_AVX512_H_
#define GRIDBENCH_KERNELS_QUANT_X86_GEMM_AVX512_H_

#include <cstdint>

#include "kernels/parallel/thread_pool.h"
#include "kernels/quant/quant_types.h"

namespace gridbench::kernels::quant::x86 {

void GemmQ8_0Q4_0Avx512(QuantType type, const void* w, int64_t rows, int64_t cols, const float* x,
                        int64_t batch, float* y, ThreadPool* pool);

// For one activation row (gemv_avx512.cc); a larger batch runs row by row.
void GemvQ8_0Q4_0Avx512(QuantType type, const void* w, int64_t rows, int64_t cols, const float* x,
                        int64_t batch, float* y, ThreadPool* pool);

}  // namespace gridbench::kernels::quant::x86

#endif  // GRIDBENCH_KERNELS_QUANT_X86_GEMM_AVX512_H_
