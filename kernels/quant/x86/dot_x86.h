// Internal to kernels/quant: the x86 dot products, written once over the
// instruction that multiplies u8 by s8 bytes and sums groups of four into
// 32-bit lanes. dot_avx2.cc instantiates them with vpmaddubsw + vpmaddwd,
// dot_avx512.cc with AVX512_VNNI's vpdpbusd (256-bit form).
//
// Everything here is a member of the class template, so each instantiation
// is compiled only with its own file's -m flags: no shared inline function
// can leak AVX-512 code into the AVX2 build (which a plain inline helper
// could, through the linker's choice of one copy).
#ifndef GRIDBENCH_KERNELS_QUANT_X86_DOT_X86_H_
#define GRIDBENCH_KERNELS_QUANT_X86_DOT_X86_H_

#include <immintrin.h>

#include <cstdint>

#include "kernels/quant/quant_types.h"

namespace gridbench::kernels::quant::x86 {

// P::DotU8S8(acc, u, s): acc + per 32-bit lane sum of the four products
// u[i] * s[i] (u unsigned, s signed). Callers keep u <= 128 so that the AVX2
// form, which saturates pairs at 16 bits, is exact.
template <typename P>
struct Dots {
  static float Hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }

  static float Half(uint16_t h) { return _cvtsh_ss(h); }

  // Prefetches the cache lines 2 KiB past the `bytes` at p: the weights are
  // streamed once, and software prefetch keeps more misses in flight than
  // the hardware prefetcher does for one stream per core.
  template <size_t bytes>
  static void PrefetchAhead(const void* p) {
#pragma GCC unroll 4
    for (size_t off = 0; off < bytes; off += 64) {
      _mm_prefetch(static_cast<const char*>(p) + 2048 + off, _MM_HINT_T0);
    }
  }

  static __m256i Load(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

  // Signed x . y for s8 vectors, moving x's sign onto y so the unsigned
  // operand is |x| <= 128.
  static __m256i DotS8S8(__m256i x, __m256i y) {
    return P::DotU8S8(_mm256_setzero_si256(), _mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
  }

  // Q4_0 quants of one block as s8 in value order (low nibbles then high).
  static __m256i UnpackQ4_0(const uint8_t* qs) {
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
    const __m256i v =
        _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(0x0F));
    return _mm256_sub_epi8(v, _mm256_set1_epi8(8));
  }

  static float DotF32(int64_t n, const void* w, const void* a) {
    const float* x = static_cast<const float*>(w);
    const float* y = static_cast<const float*>(a);
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                     _mm256_setzero_ps()};
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
      PrefetchAhead<32 * sizeof(float)>(x + i);
#pragma GCC unroll 4
      for (int k = 0; k < 4; ++k) {
        acc[k] =
            _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8 * k), _mm256_loadu_ps(y + i + 8 * k), acc[k]);
      }
    }
    for (; i + 8 <= n; i += 8) {
      acc[0] = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), acc[0]);
    }
    float sum = Hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
    for (; i < n; ++i) sum += x[i] * y[i];
    return sum;
  }

  static float DotF16(int64_t n, const void* w, const void* a) {
    const uint16_t* x = static_cast<const uint16_t*>(w);
    const float* y = static_cast<const float*>(a);
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
      PrefetchAhead<16 * sizeof(uint16_t)>(x + i);
#pragma GCC unroll 2
      for (int k = 0; k < 2; ++k) {
        const __m256 wx =
            _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i + 8 * k)));
        acc[k] = _mm256_fmadd_ps(wx, _mm256_loadu_ps(y + i + 8 * k), acc[k]);
      }
    }
    float sum = Hsum(_mm256_add_ps(acc[0], acc[1]));
    for (; i < n; ++i) sum += Half(x[i]) * y[i];
    return sum;
  }

  // Runs block(b, acc) over [0, nb) alternating two accumulators, so
  // consecutive blocks' FMAs do not wait on each other (indexing an array of
  // accumulators with b & 1 would put them in memory), and prefetch(b) once
  // per two blocks.
  template <typename PrefetchFn, typename BlockFn>
  static float SumBlocks(int64_t nb, PrefetchFn prefetch, BlockFn block) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int64_t b = 0;
    for (; b + 2 <= nb; b += 2) {
      prefetch(b);
      acc0 = block(b, acc0);
      acc1 = block(b + 1, acc1);
    }
    if (b < nb) acc0 = block(b, acc0);
    return Hsum(_mm256_add_ps(acc0, acc1));
  }

  static float DotQ8_0(int64_t n, const void* w, const void* a) {
    const BlockQ8_0* x = static_cast<const BlockQ8_0*>(w);
    const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
    return SumBlocks(
        n / kQK0, [x](int64_t b) { PrefetchAhead<2 * sizeof(BlockQ8_0)>(x + b); },
        [x, y](int64_t b, __m256 acc) {
          const __m256i dot = DotS8S8(Load(x[b].qs), Load(y[b].qs));
          const __m256 d = _mm256_set1_ps(Half(x[b].d) * Half(y[b].d));
          return _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), d, acc);
        });
  }

  static float DotQ4_0(int64_t n, const void* w, const void* a) {
    const BlockQ4_0* x = static_cast<const BlockQ4_0*>(w);
    const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
    return SumBlocks(
        n / kQK0, [x](int64_t b) { PrefetchAhead<2 * sizeof(BlockQ4_0)>(x + b); },
        [x, y](int64_t b, __m256 acc) {
          const __m256i dot = DotS8S8(UnpackQ4_0(x[b].qs), Load(y[b].qs));
          const __m256 d = _mm256_set1_ps(Half(x[b].d) * Half(y[b].d));
          return _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), d, acc);
        });
  }

  // Scale and min of Q4_K sub-block j (same as UnpackQ4KScaleMin).
  static void Q4KScaleMin(int j, const uint8_t* s, int* scale, int* min) {
    if (j < 4) {
      *scale = s[j] & 63;
      *min = s[j + 4] & 63;
    } else {
      *scale = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
      *min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
  }

  static float DotQ4_K(int64_t n, const void* w, const void* a) {
    const BlockQ4_K* x = static_cast<const BlockQ4_K*>(w);
    const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    float mins = 0;
    for (int64_t b = 0; b < n / kQKK; ++b) {
      PrefetchAhead<sizeof(BlockQ4_K)>(x + b);
      const float d = Half(x[b].d) * y[b].d;
      int msum = 0;
      for (int c = 0; c < 4; ++c) {
        const __m256i q = Load(x[b].qs + 32 * c);
        const __m256i lo = _mm256_and_si256(q, low4);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low4);
        int sc0, m0, sc1, m1;
        Q4KScaleMin(2 * c, x[b].scales, &sc0, &m0);
        Q4KScaleMin(2 * c + 1, x[b].scales, &sc1, &m1);
        const __m256i dot0 = P::DotU8S8(_mm256_setzero_si256(), lo, Load(y[b].qs + 64 * c));
        const __m256i dot1 = P::DotU8S8(_mm256_setzero_si256(), hi, Load(y[b].qs + 64 * c + 32));
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot0), _mm256_set1_ps(d * sc0), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot1), _mm256_set1_ps(d * sc1), acc1);
        msum += m0 * (y[b].bsums[4 * c] + y[b].bsums[4 * c + 1]) +
                m1 * (y[b].bsums[4 * c + 2] + y[b].bsums[4 * c + 3]);
      }
      mins += Half(x[b].dmin) * y[b].d * msum;
    }
    return Hsum(_mm256_add_ps(acc0, acc1)) - mins;
  }

  static float DotQ6_K(int64_t n, const void* w, const void* a) {
    const BlockQ6_K* x = static_cast<const BlockQ6_K*>(w);
    const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    const __m256i bits45 = _mm256_set1_epi8(0x30);
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    float offset = 0;  // The -32 in every quant, applied through bsums.
    for (int64_t b = 0; b < n / kQKK; ++b) {
      PrefetchAhead<sizeof(BlockQ6_K)>(x + b);
      const float d = Half(x[b].d) * y[b].d;
      const int8_t* sc = x[b].scales;
      for (int h = 0; h < 2; ++h) {
        const __m256i ql0 = Load(x[b].ql + 64 * h);
        const __m256i ql1 = Load(x[b].ql + 64 * h + 32);
        const __m256i qh = Load(x[b].qh + 32 * h);
        // 6-bit quants of values 128h + 32g .. +31, g = 0..3 (layout in
        // quantize_kquants_ref.cc); 16-bit shifts are safe after masking.
        const __m256i q[4] = {
            _mm256_or_si256(_mm256_and_si256(ql0, low4),
                            _mm256_and_si256(_mm256_slli_epi16(qh, 4), bits45)),
            _mm256_or_si256(_mm256_and_si256(ql1, low4),
                            _mm256_and_si256(_mm256_slli_epi16(qh, 2), bits45)),
            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4),
                            _mm256_and_si256(qh, bits45)),
            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                            _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45)),
        };
#pragma GCC unroll 4
        for (int g = 0; g < 4; ++g) {
          const int s = 8 * h + 2 * g;  // Sub-blocks s (lanes 0-3) and s+1 (4-7).
          const __m256i dot =
              P::DotU8S8(_mm256_setzero_si256(), q[g], Load(y[b].qs + 128 * h + 32 * g));
          const __m256 scale = _mm256_set_m128(_mm_set1_ps(d * sc[s + 1]), _mm_set1_ps(d * sc[s]));
          acc[g & 1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), scale, acc[g & 1]);
        }
      }
      int bias = 0;
      for (int j = 0; j < 16; ++j) bias += sc[j] * y[b].bsums[j];
      offset += d * 32 * bias;
    }
    return Hsum(_mm256_add_ps(acc[0], acc[1])) - offset;
  }

  static void ToFp16(const float* x, uint16_t* y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i),
                       _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < n; ++i) y[i] = _cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT);
  }

  static void FromFp16(const uint16_t* x, float* y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
      _mm256_storeu_ps(y + i,
                       _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i))));
    }
    for (; i < n; ++i) y[i] = _cvtsh_ss(x[i]);
  }
};

}  // namespace gridbench::kernels::quant::x86

#endif  // GRIDBENCH_KERNELS_QUANT_X86_DOT_X86_H_
