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
  for (__m256& v : x) v = _mm256_setzero_ps();
  for (int64_t i = 0; i < iterations; ++i) {
    for (__m256& v : x) v = _mm256_fmadd_ps(v, mul, add);
  }
  __m256 sum = x[0];
  for (int c = 1; c < kChains; ++c) sum = _mm256_add_ps(sum, x[c]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  float total = 0.0f;
  for (float v : lanes) total += v;
  return total / (kChains * 8);
}

}  // namespace gridbench::kernels::peak
