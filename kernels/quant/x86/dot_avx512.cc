// AVX-512 + AVX512_VNNI kernels (compiled with -mavx512f -mavx512bw
// -mavx512vl -mavx512dq -mavx512vnni -mavx2 -mfma -mf16c). Q8_0 and Q4_0 take
// two blocks per zmm register, Q4_K two sub-blocks and Q6_K four; an odd last
// Q8_0/Q4_0 block goes through the shared x86 code (dot_x86.h) with vpdpbusd
// as its u8 x s8 multiply-add. The F32/F16 dot products and conversions are
// memory-bound, so the AVX2 ones serve this level too.
#include <cstring>

#include "kernels/quant/kernel_table.h"
#include "kernels/quant/x86/dot_x86.h"
#include "kernels/quant/x86/gemm_avx512.h"
#include "kernels/quant/x86/sum_lanes_avx512.h"

namespace gridbench::kernels::quant::internal {
namespace {

struct Vnni {
  static __m256i DotU8S8(__m256i acc, __m256i u, __m256i s) {
    return _mm256_dpbusd_epi32(acc, u, s);
  }
};

using Kernels = x86::Dots<Vnni>;

// GEMV streams the weights once; software prefetches this far ahead keep
// more misses in flight than the hardware prefetcher does for one stream per
// core (about 1.5x GEMV bandwidth here).
constexpr int kPrefetchBytes = 2048;

// Prefetches the cache lines `kPrefetchBytes` past the `bytes` at p.
template <size_t bytes>
[[gnu::always_inline]] inline void PrefetchAhead(const void* p) {
#pragma GCC unroll 4
  for (size_t off = 0; off < bytes; off += 64) {
    _mm_prefetch(static_cast<const char*>(p) + kPrefetchBytes + off, _MM_HINT_T0);
  }
}

// Per int32 lane, the sum of 4 products w[i] * a[i] with w = u - offset for
// unsigned bytes u: vpdpbusd(u, a) - vpdpbusd(offset, a). Both sums are
// exact integers, so the subtraction is too.
[[gnu::always_inline]] inline __m512i OffsetDot(__m512i u, __m512i offset, __m512i a) {
  return _mm512_sub_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), u, a),
                          _mm512_dpbusd_epi32(_mm512_setzero_si512(), offset, a));
}

// Activation blocks b and b + 1 in one register.
[[gnu::always_inline]] inline __m512i LoadPair(const BlockQ8_0* y, int64_t b) {
  return _mm512_inserti64x4(
      _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[b].qs))),
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[b + 1].qs)), 1);
}

// Lanes 0-7 scaled by block b's d_w * d_a, lanes 8-15 by block b + 1's.
// Always inlined: GCC otherwise calls it, which costs a third of the time.
template <typename WeightBlock>
[[gnu::always_inline]] inline __m512 PairScales(const WeightBlock* x, const BlockQ8_0* y,
                                                int64_t b) {
  return _mm512_insertf32x8(_mm512_set1_ps(_cvtsh_ss(x[b].d) * _cvtsh_ss(y[b].d)),
                            _mm256_set1_ps(_cvtsh_ss(x[b + 1].d) * _cvtsh_ss(y[b + 1].d)), 1);
}

// d_w * d_a of blocks b .. b + 3 in lanes 0, 2, 4, 6: the eight fp16 scales
// are gathered in two general registers and converted with one vcvtph2ps,
// which spares the shuffle port a scalar insert per scale.
template <typename WeightBlock>
[[gnu::always_inline]] inline __m256 Scales4(const WeightBlock* x, const BlockQ8_0* y, int64_t b) {
  auto pack = [&](int64_t i) {
    return static_cast<long long>(uint64_t{x[i].d} | uint64_t{y[i].d} << 16 |
                                  uint64_t{x[i + 1].d} << 32 | uint64_t{y[i + 1].d} << 48);
  };
  const __m256 f = _mm256_cvtph_ps(_mm_set_epi64x(pack(b + 2), pack(b)));
  return _mm256_mul_ps(f, _mm256_movehdup_ps(f));
}

// sum over blocks of d_w * d_a * (integer block dot), two accumulators.
// pair_dot(b) gives the int32 lanes of blocks b (lanes 0-7) and b + 1 (lanes
// 8-15); single(b) the whole float result of one block (an odd last one).
template <typename WeightBlock, typename PairDotFn, typename SingleFn>
float SumBlocks(const WeightBlock* x, const BlockQ8_0* y, int64_t nb, PairDotFn pair_dot,
                SingleFn single) {
  // Spread lanes 0 and 2 (4 and 6) of Scales4 over lanes 0-7 and 8-15.
  const __m512i first = _mm512_inserti64x4(_mm512_set1_epi32(0), _mm256_set1_epi32(2), 1);
  const __m512i second = _mm512_inserti64x4(_mm512_set1_epi32(4), _mm256_set1_epi32(6), 1);
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int64_t b = 0;
  for (; b + 4 <= nb; b += 4) {
    PrefetchAhead<4 * sizeof(WeightBlock)>(x + b);
    const __m512 s = _mm512_castps256_ps512(Scales4(x, y, b));
    acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(pair_dot(b)), _mm512_permutexvar_ps(first, s), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(pair_dot(b + 2)), _mm512_permutexvar_ps(second, s),
                           acc1);
  }
  if (b + 2 <= nb) {
    acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(pair_dot(b)), PairScales(x, y, b), acc0);
    b += 2;
  }
  float sum = x86::SumLanes(_mm512_add_ps(acc0, acc1));
  if (b < nb) sum += single(b);
  return sum;
}

float DotQ8_0(int64_t n, const void* w, const void* a) {
  const BlockQ8_0* x = static_cast<const BlockQ8_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  const __m512i offset = _mm512_set1_epi8(static_cast<char>(0x80));
  return SumBlocks(
      x, y, n / kQK0,
      [&](int64_t b) {
        const __m512i u = _mm512_xor_si512(LoadPair(x, b), offset);  // q + 128
        return OffsetDot(u, offset, LoadPair(y, b));
      },
      [&](int64_t b) { return Kernels::DotQ8_0(kQK0, x + b, y + b); });
}

float DotQ4_0(int64_t n, const void* w, const void* a) {
  const BlockQ4_0* x = static_cast<const BlockQ4_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const __m512i eights = _mm512_set1_epi8(8);
  // [b low nibbles, b high, b+1 low, b+1 high] from the low-nibble register
  // [b low, b+1 low] (qwords 0-3) and the high-nibble one (qwords 8-11).
  const __m512i order = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0);
  return SumBlocks(
      x, y, n / kQK0,
      [&](int64_t b) {
        const __m256i v =
            _mm256_set_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x[b + 1].qs)),
                             _mm_loadu_si128(reinterpret_cast<const __m128i*>(x[b].qs)));
        const __m512i q = _mm512_permutex2var_epi64(  // q - 8 is the weight
            _mm512_castsi256_si512(_mm256_and_si256(v, low4)), order,
            _mm512_castsi256_si512(_mm256_and_si256(_mm256_srli_epi16(v, 4), low4)));
        return OffsetDot(q, eights, LoadPair(y, b));
      },
      [&](int64_t b) { return Kernels::DotQ4_0(kQK0, x + b, y + b); });
}

// The 8 six-bit scales (bytes 0-7 of the result) and mins (bytes 8-15) of a
// Q4_K block, unpacked with 32-bit word operations (layout in
// UnpackQ4KScaleMin): words w0, w1 hold the low 6 bits of sub-blocks 0-3's
// scales and mins, w2 the low 4 bits of sub-blocks 4-7's, and the top 2 bits
// of w0 / w1 bytes their high bits.
__m128i UnpackQ4KScalesMins(const uint8_t* scales) {
  uint32_t w[3];
  std::memcpy(w, scales, sizeof(w));
  constexpr uint32_t kLow6 = 0x3F3F3F3F, kLow4 = 0x0F0F0F0F, kLow2 = 0x03030303;
  const uint32_t sc_lo = w[0] & kLow6, m_lo = w[1] & kLow6;
  const uint32_t sc_hi = (w[2] & kLow4) | (((w[0] >> 6) & kLow2) << 4);
  const uint32_t m_hi = ((w[2] >> 4) & kLow4) | (((w[1] >> 6) & kLow2) << 4);
  return _mm_setr_epi32(static_cast<int>(sc_lo), static_cast<int>(sc_hi), static_cast<int>(m_lo),
                        static_cast<int>(m_hi));
}

// Q4_K x Q8_K: per pair of 32-value sub-blocks one vpdpbusd (lanes 0-7 the
// first, 8-15 the second), scaled by d * sc_j in float; the mins term goes
// through the activations' 16-value sums.
float DotQ4_K(int64_t n, const void* w, const void* a) {
  const BlockQ4_K* x = static_cast<const BlockQ4_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  __m512i pick[4];  // pick[k]: lanes 0-7 <- element 2k, lanes 8-15 <- 2k + 1.
  for (int k = 0; k < 4; ++k) {
    pick[k] = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi32(2 * k)),
                                 _mm256_set1_epi32(2 * k + 1), 1);
  }
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  __m256 mins = _mm256_setzero_ps();
  for (int64_t b = 0; b < n / kQKK; ++b) {
    PrefetchAhead<sizeof(BlockQ4_K)>(x + b);
    const float d = _cvtsh_ss(x[b].d) * y[b].d;
    const float dmin = _cvtsh_ss(x[b].dmin) * y[b].d;
    const __m128i sm = UnpackQ4KScalesMins(x[b].scales);
    const __m512 scales = _mm512_castps256_ps512(
        _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(sm)), _mm256_set1_ps(d)));
    // sum_j m_j * (bsums[2j] + bsums[2j+1]), kept as 8 lanes.
    const __m256i pair_sums = _mm256_madd_epi16(
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[b].bsums)), _mm256_set1_epi16(1));
    const __m256i m = _mm256_cvtepu8_epi32(_mm_srli_si128(sm, 8));
    mins = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_mullo_epi32(m, pair_sums)),
                           _mm256_set1_ps(dmin), mins);
#pragma GCC unroll 4
    for (int k = 0; k < 4; ++k) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs + 32 * k));
      const __m512i nibbles =
          _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_and_si256(q, low4)),
                             _mm256_and_si256(_mm256_srli_epi16(q, 4), low4), 1);
      const __m512i act = _mm512_loadu_si512(y[b].qs + 64 * k);
      const __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), nibbles, act);
      __m512& acc = (k & 1) ? acc1 : acc0;
      acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_permutexvar_ps(pick[k], scales), acc);
    }
  }
  return x86::SumLanes(_mm512_add_ps(acc0, acc1)) - Kernels::Hsum(mins);
}

// Q6_K x Q8_K: each 128-value half gives two zmm registers of 6-bit quants
// (values 0-63 and 64-127 of the half), one vpdpbusd each, so every 4 int32
// lanes are one 16-value sub-block scaled by d * scales[j]. The quants'
// -32 offset is applied once per block through the activations' 16-value sums.
float DotQ6_K(int64_t n, const void* w, const void* a) {
  const BlockQ6_K* x = static_cast<const BlockQ6_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  const __m512i low4 = _mm512_set1_epi8(0x0F), bits45 = _mm512_set1_epi8(0x30);
  // Per 256-bit half, the shift that brings qh's 2 bits for that group to
  // bits 4-5: values 0-31 need qh << 4, 32-63 qh << 2, 64-95 qh, 96-127 qh >> 2.
  const __m512i shl_01 = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
  const __m512i shr_23 = _mm512_inserti64x4(_mm512_set1_epi16(0), _mm256_set1_epi16(2), 1);
  __m512i pick[4];  // pick[i]: lane l <- scale 4 * i + l / 4.
  for (int i = 0; i < 4; ++i) {
    alignas(64) int32_t idx[16];
    for (int l = 0; l < 16; ++l) idx[l] = 4 * i + l / 4;
    pick[i] = _mm512_load_si512(idx);
  }
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps(), offset = _mm512_setzero_ps();
  for (int64_t b = 0; b < n / kQKK; ++b) {
    PrefetchAhead<sizeof(BlockQ6_K)>(x + b);
    const float d = _cvtsh_ss(x[b].d) * y[b].d;
    const __m512i sc =
        _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x[b].scales)));
    const __m512 scales = _mm512_mul_ps(_mm512_cvtepi32_ps(sc), _mm512_set1_ps(d));
    const __m512i bsums =
        _mm512_cvtepi16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(y[b].bsums)));
    offset = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_mullo_epi32(sc, bsums)),
                             _mm512_set1_ps(32 * d), offset);
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      const __m512i ql = _mm512_loadu_si512(x[b].ql + 64 * h);
      const __m512i qh = _mm512_broadcast_i64x4(
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qh + 32 * h)));
      const __m512i q01 = _mm512_or_si512(_mm512_and_si512(ql, low4),
                                          _mm512_and_si512(_mm512_sllv_epi16(qh, shl_01), bits45));
      const __m512i q23 = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low4),
                                          _mm512_and_si512(_mm512_srlv_epi16(qh, shr_23), bits45));
      const __m512i dot01 =
          _mm512_dpbusd_epi32(_mm512_setzero_si512(), q01, _mm512_loadu_si512(y[b].qs + 128 * h));
      const __m512i dot23 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q23,
                                                _mm512_loadu_si512(y[b].qs + 128 * h + 64));
      acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot01), _mm512_permutexvar_ps(pick[2 * h], scales),
                             acc0);
      acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot23),
                             _mm512_permutexvar_ps(pick[2 * h + 1], scales), acc1);
    }
  }
  return x86::SumLanes(_mm512_sub_ps(_mm512_add_ps(acc0, acc1), offset));
}

}  // namespace

const KernelTable& Avx512VnniKernelTable() {
  static const KernelTable table = {
      .isa = Isa::kAvx512Vnni,
      .dot_q8_0 = DotQ8_0,
      .dot_q4_0 = DotQ4_0,
      .dot_q4_K = DotQ4_K,
      .dot_q6_K = DotQ6_K,
      .gemm_q8_0_q4_0 = x86::GemmQ8_0Q4_0Avx512,
      .gemv_q8_0_q4_0 = x86::GemvQ8_0Q4_0Avx512,
  };
  return table;
}

}  // namespace gridbench::kernels::quant::internal
