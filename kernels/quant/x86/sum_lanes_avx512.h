// Internal to kernels/quant: horizontal sum of a zmm register, shared by the
// AVX-512 files. Include only from files compiled with the AVX-512 flags (an
// inline function must compile the same way in every file that uses it).
#ifndef GRIDBENCH_KERNELS_QUANT_X86_SUM_LANES_AVX512_H_
#define GRIDBENCH_KERNELS_QUANT_X86_SUM_LANES_AVX512_H_

#include <immintrin.h>

namespace gridbench::kernels::quant::x86 {

// GCC 12's _mm512_reduce_add_ps trips -Wuninitialized inside its header.
inline float SumLanes(__m512 v) {
  const __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  s4 = _mm_add_ss(s4, _mm_movehdup_ps(s4));
  return _mm_cvtss_f32(s4);
}

}  // namespace gridbench::kernels::quant::x86

#endif  // GRIDBENCH_KERNELS_QUANT_X86_SUM_LANES_AVX512_H_
