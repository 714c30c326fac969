// Scalar reference quantizers and dequantizers, one per block format.
//
// Each follows ggml's reference procedure (quantize_row_*_ref in
// ggml-quants.c) step for step, including its rounding choices, so a tensor
// quantized here is bit-identical to one quantized by ggml from the same
// floats. Use these for tests and as the definition of each format; the
// checked entry points for callers are in quantize.h.
//
// Preconditions (not checked here): n is a multiple of the type's block size,
// inputs are finite, outputs hold n values / n / BlockSize blocks.
// Thread-safety: pure functions.
#ifndef GRIDBENCH_KERNELS_QUANT_QUANTIZE_REF_H_
#define GRIDBENCH_KERNELS_QUANT_QUANTIZE_REF_H_

#include <cstdint>

#include "kernels/quant/quant_types.h"

namespace gridbench::kernels::quant {

// 1 / d as ggml's Q8_0 and Q4_0 quantizers use it (0 for d = 0), except that
// a d so small (|d| < 2^-128) that 1 / d overflows also gives 0: such a block
// quantizes to zeros instead of converting infinities to int8.
float InverseScale(float d);

// Q8_0: d = max|x| / 127, q = round-half-away(x / d).
void QuantizeRowQ8_0Ref(const float* x, BlockQ8_0* y, int64_t n);
void DequantizeRowQ8_0(const BlockQ8_0* x, float* y, int64_t n);

// Q4_0: d = (value of largest magnitude) / -8, q = min(15, trunc(x/d + 8.5)).
void QuantizeRowQ4_0Ref(const float* x, BlockQ4_0* y, int64_t n);
void DequantizeRowQ4_0(const BlockQ4_0* x, float* y, int64_t n);

// Q8_K: d = -(value of largest magnitude) / 127, q = round-half-even(x / d),
// plus the 16-value sums of q.
void QuantizeRowQ8_KRef(const float* x, BlockQ8_K* y, int64_t n);
void DequantizeRowQ8_K(const BlockQ8_K* x, float* y, int64_t n);

// Q4_K: per 32-value sub-block a weighted least-squares fit of scale and min
// (ggml's make_qkx2_quants), then 6-bit quantized scales and mins.
void QuantizeRowQ4_KRef(const float* x, BlockQ4_K* y, int64_t n);
void DequantizeRowQ4_K(const BlockQ4_K* x, float* y, int64_t n);

// Q6_K: per 16-value sub-block a symmetric fit (ggml's make_qx_quants), then
// 8-bit quantized scales.
void QuantizeRowQ6_KRef(const float* x, BlockQ6_K* y, int64_t n);
void DequantizeRowQ6_K(const BlockQ6_K* x, float* y, int64_t n);

}  // namespace gridbench::kernels::quant

#endif  // GRIDBENCH_KERNELS_QUANT_QUANTIZE_REF_H_
