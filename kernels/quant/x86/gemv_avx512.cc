// GEMV for Q8_0 / Q4_0 weights with vpdpbusd (AVX512_VNNI): the single-token
// step of a model, which streams every weight once and should run at memory
// speed. The dot-product kernels (dot_avx512.cc) spend about 15 vector
// instructions per pair of blocks, enough to make this CPU compute-bound
// below its memory bandwidth. Here the activation vector, which every row
// shares, is prepared once so each row costs as few instructions as the
// weights' layout allows:
//  - the activations are quantized once (bit-identically to
//    QuantizeRowQ8_0Ref) and stored in the byte order the weights unpack to
//    with the fewest instructions: Q8_0 per pair of blocks [b | b+1]; Q4_0
//    per group of four blocks, once as their elements 0-15 side by side
//    (what the weights' low nibbles hold) and once as their elements 16-31
//    (the high nibbles);
//  - vpdpbusd wants its first operand unsigned, so weights enter as u = w +
//    offset (Q8_0: q + 128; Q4_0: the stored nibble, q + 8) and each group's
//    int32 lanes start from the prepared bias -offset * (sum of the
//    activations the lane meets), which removes the offset exactly: every
//    lane ends with the same integer as the dot-product kernels';
//  - scales d_w * d_a are formed several blocks at a time and spread over
//    each group's lanes with one permute. Q4_0, with half the bytes per
//    value, needs half the instructions per block to keep up with memory:
//    its eight fp16 weight scales come out of two loads and one word
//    permute instead of eight scalar loads.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/quant/x86/gemm_avx512.h"
#include "kernels/quant/x86/quantize_block_avx512.h"
#include "kernels/quant/x86/sum_lanes_avx512.h"

namespace gridbench::kernels::quant::x86 {
namespace {

// Weight bytes prefetched ahead of the row being read: the hardware
// prefetcher alone keeps too few misses in flight for one stream per core.
// 4 KiB measured about 10% more GB/s per core than 1 or 2 KiB here.
constexpr int kPrefetchBytes = 4096;

[[gnu::always_inline]] inline void PrefetchAhead(const uint8_t* w, size_t bytes) {
#pragma GCC unroll 4
  for (size_t off = 0; off < bytes; off += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(w) + kPrefetchBytes + off, _MM_HINT_T0);
  }
}

[[gnu::always_inline]] inline uint16_t ScaleBits(const uint8_t* block) {
  uint16_t d;
  std::memcpy(&d, block, sizeof(d));
  return d;
}

// d_w * d_a of blocks b .. b + 3, of which the first `count` exist (the
// others count as zero). Always inlined, so a count of 4 unrolls without
// branches.
[[gnu::always_inline]] inline __m128 Scales4(const uint8_t* row, size_t block_bytes,
                                             const float* d_act, int64_t b, int count) {
  uint64_t bits = 0;
#pragma GCC unroll 4
  for (int i = 0; i < count; ++i) {
    bits |= uint64_t{ScaleBits(row + (b + i) * block_bytes)} << (16 * i);
  }
  return _mm_mul_ps(_mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<long long>(bits))),
                    _mm_loadu_ps(d_act + b));
}

// acc plus dot's int32 lanes, as floats, each times the scale of s that
// `lane_scale` picks for it.
[[gnu::always_inline]] inline __m512 AddScaled(__m512 acc, __m512i dot, __m512i lane_scale,
                                               __m512 s) {
  return _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_permutexvar_ps(lane_scale, s), acc);
}

// --- Q8_0: pairs of blocks.

// One prepared pair of activation blocks.
struct alignas(64) PreparedPair {
  int8_t q[64];
  int32_t bias[16];
};

struct PreparedQ8_0 {
  std::vector<PreparedPair> pairs;
  std::vector<float> d;  // Per block, padded with zeros to whole groups of 4.
};

PreparedQ8_0 PrepareQ8_0(const float* x, int64_t cols) {
  const int64_t blocks = cols / kQK0, pairs = (blocks + 1) / 2;
  PreparedQ8_0 act;
  act.pairs.resize(pairs);
  act.d.assign((blocks + 3) / 4 * 4, 0.0f);
  const __m512i offset = _mm512_set1_epi8(static_cast<char>(0x80));
  for (int64_t p = 0; p < pairs; ++p) {
    __m256i q[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    for (int h = 0; h < 2 && 2 * p + h < blocks; ++h) {
      q[h] = QuantizeBlock(x + (2 * p + h) * kQK0, &act.d[2 * p + h]);
    }
    const __m512i bytes = _mm512_inserti64x4(_mm512_castsi256_si512(q[0]), q[1], 1);
    _mm512_store_si512(act.pairs[p].q, bytes);
    _mm512_store_si512(
        act.pairs[p].bias,
        _mm512_sub_epi32(_mm512_setzero_si512(),
                         _mm512_dpbusd_epi32(_mm512_setzero_si512(), offset, bytes)));
  }
  return act;
}

// The exact integer dot of a pair of weight blocks, lanes laid out as the
// prepared bytes.
[[gnu::always_inline]] inline __m512i PairDotQ8_0(const uint8_t* block0, const uint8_t* block1,
                                                  const PreparedPair& a) {
  const __m512i w = _mm512_inserti64x4(
      _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(block0 + 2))),
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block1 + 2)), 1);
  const __m512i u = _mm512_xor_si512(w, _mm512_set1_epi8(static_cast<char>(0x80)));
  return _mm512_dpbusd_epi32(_mm512_load_si512(a.bias), u, _mm512_load_si512(a.q));
}

// One row's dot product with the prepared activation.
float RowDotQ8_0(const uint8_t* row, const PreparedQ8_0& act, int64_t blocks) {
  constexpr size_t kBlockBytes = sizeof(BlockQ8_0);
  // Which of the 4 scales each int32 lane of the first (second) pair takes.
  const __m512i first = _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m512i second = _mm512_add_epi32(first, _mm512_set1_epi32(2));
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int64_t b = 0;
  for (; b + 4 <= blocks; b += 4) {
    const uint8_t* w = row + b * kBlockBytes;
    PrefetchAhead(w, 4 * kBlockBytes);
    const __m512 s = _mm512_castps128_ps512(Scales4(row, kBlockBytes, act.d.data(), b, 4));
    const __m512i dot0 = PairDotQ8_0(w, w + kBlockBytes, act.pairs[b / 2]);
    const __m512i dot1 =
        PairDotQ8_0(w + 2 * kBlockBytes, w + 3 * kBlockBytes, act.pairs[b / 2 + 1]);
    acc0 = AddScaled(acc0, dot0, first, s);
    acc1 = AddScaled(acc1, dot1, second, s);
  }
  if (b + 2 <= blocks) {
    const uint8_t* w = row + b * kBlockBytes;
    const __m512 s = _mm512_castps128_ps512(Scales4(
        row, kBlockBytes, act.d.data(), b, static_cast<int>(std::min<int64_t>(4, blocks - b))));
    acc0 = AddScaled(acc0, PairDotQ8_0(w, w + kBlockBytes, act.pairs[b / 2]), first, s);
    b += 2;
  }
  float sum = SumLanes(_mm512_add_ps(acc0, acc1));
  if (b < blocks) {
    // An odd last block, alone in its pair: the missing block's prepared
    // bytes and bias are zero, so its half of the lanes is masked off.
    const uint8_t* w = row + b * kBlockBytes;
    const __m512i dot = PairDotQ8_0(w, w, act.pairs[b / 2]);
    const float d = _cvtsh_ss(ScaleBits(w)) * act.d[b];
    sum += d * static_cast<float>(_mm512_mask_reduce_add_epi32(0x00FF, dot));
  }
  return sum;
}

// --- Q4_0: groups of four blocks.

// One prepared group of four activation blocks.
struct alignas(64) PreparedQuad {
  int8_t low[64];    // Elements 0-15 of each block, block by block.
  int8_t high[64];   // Elements 16-31.
  int32_t bias[16];  // -8 * (the lane's 4 low + 4 high activations).
};

struct PreparedQ4_0 {
  std::vector<PreparedQuad> quads;  // Zero where blocks are missing.
  std::vector<float> d;             // Per block, zero-padded to whole groups of 8.
};

PreparedQ4_0 PrepareQ4_0(const float* x, int64_t cols) {
  const int64_t blocks = cols / kQK0;
  PreparedQ4_0 act;
  act.quads.resize((blocks + 3) / 4);
  act.d.assign((blocks + 7) / 8 * 8, 0.0f);
  for (int64_t b = 0; b < blocks; ++b) {
    const __m256i q = QuantizeBlock(x + b * kQK0, &act.d[b]);
    PreparedQuad& quad = act.quads[b / 4];
    const int64_t at = 16 * (b % 4);
    _mm_store_si128(reinterpret_cast<__m128i*>(quad.low + at), _mm256_castsi256_si128(q));
    _mm_store_si128(reinterpret_cast<__m128i*>(quad.high + at), _mm256_extracti128_si256(q, 1));
  }
  const __m512i eight = _mm512_set1_epi8(8);
  for (PreparedQuad& quad : act.quads) {
    __m512i sum = _mm512_dpbusd_epi32(_mm512_setzero_si512(), eight, _mm512_load_si512(quad.low));
    sum = _mm512_dpbusd_epi32(sum, eight, _mm512_load_si512(quad.high));
    _mm512_store_si512(quad.bias, _mm512_sub_epi32(_mm512_setzero_si512(), sum));
  }
  return act;
}

// The exact integer dot of four weight blocks starting at `w`; int32 lane l
// holds part of block l / 4.
[[gnu::always_inline]] inline __m512i QuadDotQ4_0(const uint8_t* w, const PreparedQuad& a) {
  constexpr size_t kB = sizeof(BlockQ4_0);
  auto quants = [&](int i) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i * kB + 2));
  };
  const __m512i packed =
      _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set_m128i(quants(1), quants(0))),
                         _mm256_set_m128i(quants(3), quants(2)), 1);
  const __m512i nibble = _mm512_set1_epi8(0x0F);
  const __m512i low = _mm512_and_si512(packed, nibble);
  const __m512i high = _mm512_and_si512(_mm512_srli_epi16(packed, 4), nibble);
  const __m512i dot = _mm512_dpbusd_epi32(_mm512_load_si512(a.bias), low, _mm512_load_si512(a.low));
  return _mm512_dpbusd_epi32(dot, high, _mm512_load_si512(a.high));
}

// d_w * d_a of blocks b .. b + 7, all of which exist. Block i's fp16 scale
// is word 9 * i of the 144 bytes from block b, which two 64-byte loads cover.
[[gnu::always_inline]] inline __m256 Scales8Q4_0(const uint8_t* row, const float* d_act,
                                                 int64_t b) {
  const uint8_t* p = row + b * sizeof(BlockQ4_0);
  const __m512i words = _mm512_set_epi16(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                         0, 0, 0, 0, 63, 54, 45, 36, 27, 18, 9, 0);
  const __m512i scales =
      _mm512_permutex2var_epi16(_mm512_loadu_si512(p), words, _mm512_loadu_si512(p + 64));
  return _mm256_mul_ps(_mm256_cvtph_ps(_mm512_castsi512_si128(scales)), _mm256_loadu_ps(d_act + b));
}

// One row's dot product with the prepared activation.
float RowDotQ4_0(const uint8_t* row, const PreparedQ4_0& act, int64_t blocks) {
  constexpr size_t kBlockBytes = sizeof(BlockQ4_0);
  // Which of the 8 scales each int32 lane of the first (second) quad takes.
  const __m512i first = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
  const __m512i second = _mm512_add_epi32(first, _mm512_set1_epi32(4));
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int64_t b = 0;
  for (; b + 8 <= blocks; b += 8) {
    const uint8_t* w = row + b * kBlockBytes;
    PrefetchAhead(w, 8 * kBlockBytes);
    const __m512 s = _mm512_castps256_ps512(Scales8Q4_0(row, act.d.data(), b));
    const __m512i dot0 = QuadDotQ4_0(w, act.quads[b / 4]);
    const __m512i dot1 = QuadDotQ4_0(w + 4 * kBlockBytes, act.quads[b / 4 + 1]);
    acc0 = AddScaled(acc0, dot0, first, s);
    acc1 = AddScaled(acc1, dot1, second, s);
  }
  if (b + 4 <= blocks) {
    const __m512 s = _mm512_castps128_ps512(Scales4(row, kBlockBytes, act.d.data(), b, 4));
    acc0 = AddScaled(acc0, QuadDotQ4_0(row + b * kBlockBytes, act.quads[b / 4]), first, s);
    b += 4;
  }
  float sum = SumLanes(_mm512_add_ps(acc0, acc1));
  // The last 1-3 blocks, one at a time on their quarter of the prepared quad.
  for (; b < blocks; ++b) {
    const uint8_t* w = row + b * kBlockBytes;
    const PreparedQuad& quad = act.quads[b / 4];
    const int64_t at = 16 * (b % 4);
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 2));
    const __m128i nibble = _mm_set1_epi8(0x0F);
    __m128i dot =
        _mm_dpbusd_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(quad.bias + at / 4)),
                         _mm_and_si128(packed, nibble),
                         _mm_load_si128(reinterpret_cast<const __m128i*>(quad.low + at)));
    dot = _mm_dpbusd_epi32(dot, _mm_and_si128(_mm_srli_epi16(packed, 4), nibble),
                           _mm_load_si128(reinterpret_cast<const __m128i*>(quad.high + at)));
    const float d = _cvtsh_ss(ScaleBits(w)) * act.d[b];
    sum +=
        d * static_cast<float>(_mm512_mask_reduce_add_epi32(0x000F, _mm512_castsi128_si512(dot)));
  }
  return sum;
}

// Prepares each activation column once, then runs row_dot over the rows on
// the pool.
template <typename PrepareFn, typename RowDotFn>
void Gemv(QuantType type, const void* w, int64_t rows, int64_t cols, const float* x, int64_t batch,
          float* y, ThreadPool* pool, PrepareFn prepare, RowDotFn row_dot) {
  const size_t row_bytes = RowBytes(type, cols);
  const int64_t blocks = cols / kQK0;
  for (int64_t c = 0; c < batch; ++c) {
    const auto act = prepare(x + c * cols, cols);
    pool->ParallelFor(
        rows,
        [&](int64_t r0, int64_t r1) {
          for (int64_t r = r0; r < r1; ++r) {
            y[c * rows + r] = row_dot(static_cast<const uint8_t*>(w) + r * row_bytes, act, blocks);
          }
        },
        16);
  }
}

}  // namespace

void GemvQ8_0Q4_0Avx512(QuantType type, const void* w, int64_t rows, int64_t cols, const float* x,
                        int64_t batch, float* y, ThreadPool* pool) {
  if (type == QuantType::kQ4_0) {
    return Gemv(type, w, rows, cols, x, batch, y, pool, PrepareQ4_0, RowDotQ4_0);
  }
  Gemv(type, w, rows, cols, x, batch, y, pool, PrepareQ8_0, RowDotQ8_0);
}

}  // namespace gridbench::kernels::quant::x86
