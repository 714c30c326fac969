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
  for (__m512& v : x) v = _mm512_setzero_ps();
  for (int64_t i = 0; i < iterations; ++i) {
    for (__m512& v : x) v = _mm512_fmadd_ps(v, mul, add);
  }
  __m512 sum = x[0];
  for (int c = 1; c < kChains; ++c) sum = _mm512_add_ps(sum, x[c]);
  // Stored and summed by hand: GCC 12's _mm512_reduce_add_ps trips -Wuninitialized.
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, sum);
  float total = 0.0f;
  for (float v : lanes) total += v;
  return total / (kChains * 16);
}

}  // namespace gridbench::kernels::peak
