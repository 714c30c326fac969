// Internal to kernels/quant: quantizing one block of fp32 activations to
// Q8_0 with AVX-512, bit-identical to QuantizeRowQ8_0Ref, shared by the
// AVX-512 GEMM and GEMV. Include only from files compiled with the AVX-512
// flags (an inline function must compile the same way in every file that
// uses it).
#ifndef GRIDBENCH_KERNELS_QUANT_X86_QUANTIZE_BLOCK_AVX512_H_
#define GRIDBENCH_KERNELS_QUANT_X86_QUANTIZE_BLOCK_AVX512_H_

#include <immintrin.h>

#include "kernels/quant/quantize_ref.h"

namespace gridbench::kernels::quant::x86 {

// One Q8_0 block of activations, exactly as QuantizeRowQ8_0Ref: d = amax/127
// rounded to fp16, q = roundf(x / d) (half away from zero). Returns the
// quants; *d gets the fp16 scale as fp32.
inline __m256i QuantizeBlock(const float* x, float* d) {
  const __m512 v0 = _mm512_loadu_ps(x), v1 = _mm512_loadu_ps(x + 16);
  const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
  const float scale = amax / 127;
  const float inv = InverseScale(scale);
  *d = _cvtsh_ss(_cvtss_sh(scale, _MM_FROUND_TO_NEAREST_INT));
  const __m512 one = _mm512_set1_ps(1.0f), half = _mm512_set1_ps(0.5f);
  auto round = [&](__m512 v) {
    // roundf: truncate, then step away from zero when the dropped part is
    // at least one half (v - trunc(v) is exact for |v| < 2^23).
    const __m512 t = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __mmask16 up = _mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_sub_ps(v, t)), half, _CMP_GE_OQ);
    const __m512 step = _mm512_or_ps(one, _mm512_and_ps(v, _mm512_set1_ps(-0.0f)));
    return _mm512_cvtps_epi32(_mm512_mask_add_ps(t, up, t, step));
  };
  const __m512i q0 = round(_mm512_mul_ps(v0, _mm512_set1_ps(inv)));
  const __m512i q1 = round(_mm512_mul_ps(v1, _mm512_set1_ps(inv)));
  return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm512_cvtepi32_epi8(q0)),
                                 _mm512_cvtepi32_epi8(q1), 1);
}

}  // namespace gridbench::kernels::quant::x86

#endif  // GRIDBENCH_KERNELS_QUANT_X86_QUANTIZE_BLOCK_AVX512_H_
