// AVX-512F variant of the FMA peak kernel; compiled with -mavx512f and only
// called when DetectCpuFeatures() reports it.
#include <immintrin.h>

#include "kernels/cpu/peak_kernels.h"

namespace gridbench::kernels::peak {

float FmaPeakAvx512(int64_t iterations) {
  // 16 chains cover FMA latency (4 cycles) x 2 ports with room to spare; 32
  // zmm registers hold them and the constants.
  constexpr int kChains = 16;
  static_assert(kChains * 16 * 2 == kFmaAvx512FlopsPerIteration);
  const __m512 mul = _mm512_set1_ps(kFmaMul);
  const __m512 add = _mm512_set1_ps(kFmaAdd);
  __m512 x[kChains];
  // Chains start equal; hiding each start value keeps the compiler from
  // merging them into one chain.
#pragma GCC unroll 16
  for (__m512& v : x) {
    v = _mm512_setzero_ps();
    __asm__ volatile("" : "+v"(v));
  }
  for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
    for (__m512& v : x) v = _mm512_fmadd_ps(v, mul, add);
  }
  // Every lane of every chain did the same steps, so all must be equal.
  __mmask16 agree = 0xffff;
  const __m512 first = _mm512_set1_ps(_mm512_cvtss_f32(x[0]));
#pragma GCC unroll 16
  for (const __m512& v : x) agree &= _mm512_cmp_ps_mask(v, first, _CMP_EQ_OQ);
  return agree == 0xffff ? _mm512_cvtss_f32(x[0]) : kFmaLanesDisagree;
}

}  // namespace gridbench::kernels::peak
