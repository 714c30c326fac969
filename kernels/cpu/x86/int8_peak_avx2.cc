// AVX2 variant of the int8 dot-product peak kernel: vpmaddubsw (u8 x s8 ->
// s16 pairs), vpmaddwd with ones (-> s32), vpaddd. Compiled with -mavx2 and
// only called when DetectCpuFeatures() reports it.
#include <immintrin.h>

#include "kernels/cpu/peak_kernels.h"

namespace gridbench::kernels::peak {

int32_t Int8DotPeakAvx2(int64_t iterations) {
  constexpr int kChains = 8;
  static_assert(kChains * 32 * 2 == kInt8Avx2OpsPerIteration);
  const __m256i u = _mm256_set1_epi32(0x04030201);  // {1, 2, 3, 4}
  const __m256i s = _mm256_set1_epi32(0x0001ff01);  // {1, -1, 1, 0}
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i acc[kChains];
  // Chains start equal; hiding each start value keeps the compiler from
  // merging them into one chain.
#pragma GCC unroll 16
  for (__m256i& a : acc) {
    a = _mm256_setzero_si256();
    __asm__ volatile("" : "+x"(a));
  }
  for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
    for (__m256i& a : acc) {
      // The inputs are loop-invariant; hiding them per chain makes the
      // compiler issue both multiplies for every chain, as a real kernel does
      // (volatile: an ordinary asm with equal inputs would be merged and hoisted).
      __m256i ui = u;
      __asm__ volatile("" : "+x"(ui));
      const __m256i pairs = _mm256_maddubs_epi16(ui, s);
      a = _mm256_add_epi32(a, _mm256_madd_epi16(pairs, ones));
    }
  }
  alignas(32) int32_t lanes[8 * kChains];
#pragma GCC unroll 16
  for (int c = 0; c < kChains; ++c) {
    _mm256_store_si256(reinterpret_cast<__m256i*>(lanes + 8 * c), acc[c]);
  }
  for (int32_t v : lanes) {
    if (v != lanes[0]) return kInt8LanesDisagree;
  }
  return lanes[0];
}

}  // namespace gridbench::kernels::peak
