// AVX2 + FMA variant of the FMA peak kernel; compiled with -mavx2 -mfma and
// only called when DetectCpuFeatures() reports both.
#include <immintrin.h>

#include "kernels/cpu/peak_kernels.h"

namespace gridbench::kernels::peak {

float FmaPeakAvx2(int64_t iterations) {
  // 12 chains cover FMA latency (4-5 cycles) x 2 ports and leave registers for
  // the constants.
  constexpr int kChains = 12;
  static_assert(kChains * 8 * 2 == kFmaAvx2FlopsPerIteration);
  const __m256 mul = _mm256_set1_ps(kFmaMul);
  const __m256 add = _mm256_set1_ps(kFmaAdd);
  __m256 x[kChains];
  // Chains start equal; hiding each start value keeps the compiler from
  // merging them into one chain.
#pragma GCC unroll 16
  for (__m256& v : x) {
    v = _mm256_setzero_ps();
    __asm__ volatile("" : "+x"(v));
  }
  for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
    for (__m256& v : x) v = _mm256_fmadd_ps(v, mul, add);
  }
  // Every lane of every chain did the same steps, so all must be equal.
  const __m256 first = _mm256_set1_ps(_mm256_cvtss_f32(x[0]));
  int agree = 0xff;
#pragma GCC unroll 16
  for (const __m256& v : x) agree &= _mm256_movemask_ps(_mm256_cmp_ps(v, first, _CMP_EQ_OQ));
  return agree == 0xff ? _mm256_cvtss_f32(x[0]) : kFmaLanesDisagree;
}

}  // namespace gridbench::kernels::peak
