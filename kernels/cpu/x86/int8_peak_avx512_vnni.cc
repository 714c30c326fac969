// AVX512_VNNI variant of the int8 dot-product peak kernel: one vpdpbusd does
// 64 u8 x s8 multiplies and their sums into 16 s32 lanes. Compiled with
// -mavx512f -mavx512vnni and only called when DetectCpuFeatures() reports
// avx512_vnni.
#include <immintrin.h>

#include "kernels/cpu/peak_kernels.h"

namespace gridbench::kernels::peak {

int32_t Int8DotPeakAvx512Vnni(int64_t iterations) {
  // 16 chains cover vpdpbusd latency (5 cycles) x 2 ports.
  constexpr int kChains = 16;
  static_assert(kChains * 64 * 2 == kInt8Avx512VnniOpsPerIteration);
  const __m512i u = _mm512_set1_epi32(0x04030201);  // {1, 2, 3, 4}
  const __m512i s = _mm512_set1_epi32(0x0001ff01);  // {1, -1, 1, 0}
  __m512i acc[kChains];
  // Chains start equal; hiding each start value keeps the compiler from
  // merging them into one chain.
#pragma GCC unroll 16
  for (__m512i& a : acc) {
    a = _mm512_setzero_si512();
    __asm__ volatile("" : "+v"(a));
  }
  for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
    for (__m512i& a : acc) {
      // One instruction with the accumulator in place: through the intrinsic,
      // GCC 12 adds a register copy per step.
      __asm__("vpdpbusd %[s], %[u], %[a]" : [a] "+v"(a) : [u] "v"(u), [s] "v"(s));
    }
  }
  __mmask16 agree = 0xffff;
#pragma GCC unroll 16
  for (int c = 1; c < kChains; ++c) agree &= _mm512_cmpeq_epi32_mask(acc[c], acc[0]);
  const int32_t lane0 = _mm512_cvtsi512_si32(acc[0]);
  agree &= _mm512_cmpeq_epi32_mask(acc[0], _mm512_set1_epi32(lane0));
  return agree == 0xffff ? lane0 : kInt8LanesDisagree;
}

}  // namespace gridbench::kernels::peak
