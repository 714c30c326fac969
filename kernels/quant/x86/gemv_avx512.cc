// GEMV for Q8_0 / Q4_0 weights with vpdpbusd (AVX512_VNNI): the single-token
// step of a model, which streams every weight once and should run at memory
// speed. The dot-product kernels (dot_avx512.cc) spend about 15 vector
// instructions per pair of blocks, enough to make this CPU compute-bound
// below its memory bandwidth. Here the activation vector, which every row
// shares, is prepared once so each row's pair of blocks costs about 9:
//  - the activations are quantized once (bit-identically to
//    QuantizeRowQ8_0Ref) and stored per pair of blocks in the byte order the
//    weights unpack to with the fewest instructions: Q8_0 [b | b+1]; Q4_0
//    [b low half | b+1 low half | b high half | b+1 high half], the order of
//    the low nibbles of both blocks followed by their high nibbles;
//  - vpdpbusd wants its first operand unsigned, so weights enter as u = w +
//    offset (Q8_0: q + 128; Q4_0: the stored nibble, q + 8) and each pair's
//    int32 lanes start from the prepared bias -offset * (sum of the lane's 4
//    activations), which removes the offset exactly: every lane ends with
//    the same integer as the dot-product kernels';
//  - scales d_w * d_a are formed four blocks at a time and spread over each
//    pair's lanes with one permute.
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

// One prepared pair of activation blocks.
struct alignas(64) PreparedPair {
  int8_t q[64];
  int32_t bias[16];
};

struct PreparedActivation {
  std::vector<PreparedPair> pairs;
  std::vector<float> d;  // Per block, padded with zeros to whole groups of 4.
};

// The activation row x (cols values) prepared for weights of `type`.
PreparedActivation Prepare(QuantType type, const float* x, int64_t cols) {
  const int64_t blocks = cols / kQK0, pairs = (blocks + 1) / 2;
  PreparedActivation act;
  act.pairs.resize(pairs);
  act.d.assign((blocks + 3) / 4 * 4, 0.0f);
  const __m512i offset = _mm512_set1_epi8(type == QuantType::kQ4_0 ? 8 : static_cast<char>(0x80));
  for (int64_t p = 0; p < pairs; ++p) {
    __m256i q[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    for (int h = 0; h < 2 && 2 * p + h < blocks; ++h) {
      q[h] = QuantizeBlock(x + (2 * p + h) * kQK0, &act.d[2 * p + h]);
    }
    __m512i bytes;
    if (type == QuantType::kQ4_0) {
      const __m256i low = _mm256_permute2x128_si256(q[0], q[1], 0x20);
      const __m256i high = _mm256_permute2x128_si256(q[0], q[1], 0x31);
      bytes = _mm512_inserti64x4(_mm512_castsi256_si512(low), high, 1);
    } else {
      bytes = _mm512_inserti64x4(_mm512_castsi256_si512(q[0]), q[1], 1);
    }
    _mm512_store_si512(act.pairs[p].q, bytes);
    _mm512_store_si512(
        act.pairs[p].bias,
        _mm512_sub_epi32(_mm512_setzero_si512(),
                         _mm512_dpbusd_epi32(_mm512_setzero_si512(), offset, bytes)));
  }
  return act;
}

// A pair of weight blocks as unsigned bytes u = w + offset, in the prepared
// activations' order.
template <QuantType kType>
[[gnu::always_inline]] inline __m512i LoadWeights(const uint8_t* block0, const uint8_t* block1) {
  if constexpr (kType == QuantType::kQ4_0) {
    const __m256i v =
        _mm256_set_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block1 + 2)),
                         _mm_loadu_si128(reinterpret_cast<const __m128i*>(block0 + 2)));
    return _mm512_and_si512(
        _mm512_inserti64x4(_mm512_castsi256_si512(v), _mm256_srli_epi16(v, 4), 1),
        _mm512_set1_epi8(0x0F));
  } else {
    const __m512i w = _mm512_inserti64x4(
        _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(block0 + 2))),
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block1 + 2)), 1);
    return _mm512_xor_si512(w, _mm512_set1_epi8(static_cast<char>(0x80)));
  }
}

// The exact integer dot of a pair, lanes laid out as the prepared bytes.
template <QuantType kType>
[[gnu::always_inline]] inline __m512i PairDot(const uint8_t* block0, const uint8_t* block1,
                                              const PreparedPair& a) {
  return _mm512_dpbusd_epi32(_mm512_load_si512(a.bias), LoadWeights<kType>(block0, block1),
                             _mm512_load_si512(a.q));
}

[[gnu::always_inline]] inline uint16_t ScaleBits(const uint8_t* block) {
  uint16_t d;
  std::memcpy(&d, block, sizeof(d));
  return d;
}

// d_w * d_a of blocks b .. b + 3, of which the first `count` exist (the
// others count as zero). Always inlined, so the main loop's count of 4
// unrolls without branches.
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

// One row's dot product with the prepared activation.
template <QuantType kType>
float RowDot(const uint8_t* row, const PreparedActivation& act, int64_t blocks) {
  constexpr size_t kBlockBytes = kType == QuantType::kQ4_0 ? sizeof(BlockQ4_0) : sizeof(BlockQ8_0);
  // Which of the 4 scales each int32 lane of the first (second) pair takes.
  const __m512i first = kType == QuantType::kQ4_0
                            ? _mm512_set_epi32(1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0)
                            : _mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
  const __m512i second = _mm512_add_epi32(first, _mm512_set1_epi32(2));
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int64_t b = 0;
  for (; b + 4 <= blocks; b += 4) {
    const uint8_t* w = row + b * kBlockBytes;
#pragma GCC unroll 4
    for (size_t off = 0; off < 4 * kBlockBytes; off += 64) {
      _mm_prefetch(reinterpret_cast<const char*>(w) + kPrefetchBytes + off, _MM_HINT_T0);
    }
    const __m512 s = _mm512_castps128_ps512(Scales4(row, kBlockBytes, act.d.data(), b, 4));
    const __m512i dot0 = PairDot<kType>(w, w + kBlockBytes, act.pairs[b / 2]);
    const __m512i dot1 =
        PairDot<kType>(w + 2 * kBlockBytes, w + 3 * kBlockBytes, act.pairs[b / 2 + 1]);
    acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot0), _mm512_permutexvar_ps(first, s), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot1), _mm512_permutexvar_ps(second, s), acc1);
  }
  if (b + 2 <= blocks) {
    const uint8_t* w = row + b * kBlockBytes;
    const __m512 s = _mm512_castps128_ps512(Scales4(
        row, kBlockBytes, act.d.data(), b, static_cast<int>(std::min<int64_t>(4, blocks - b))));
    acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(PairDot<kType>(w, w + kBlockBytes, act.pairs[b / 2])),
                           _mm512_permutexvar_ps(first, s), acc0);
    b += 2;
  }
  float sum = SumLanes(_mm512_add_ps(acc0, acc1));
  if (b < blocks) {
    // An odd last block, alone in its pair: the missing block's prepared
    // bytes and bias are zero, so its half of the lanes is masked off.
    const uint8_t* w = row + b * kBlockBytes;
    const __m512i dot = PairDot<kType>(w, w, act.pairs[b / 2]);
    const __mmask16 mine = kType == QuantType::kQ4_0 ? 0x0F0F : 0x00FF;
    const float d = _cvtsh_ss(ScaleBits(w)) * act.d[b];
    sum += d * static_cast<float>(_mm512_mask_reduce_add_epi32(mine, dot));
  }
  return sum;
}

template <QuantType kType>
void Gemv(const void* w, int64_t rows, int64_t cols, const float* x, int64_t batch, float* y,
          ThreadPool* pool) {
  const size_t row_bytes = RowBytes(kType, cols);
  const int64_t blocks = cols / kQK0;
  for (int64_t c = 0; c < batch; ++c) {
    const PreparedActivation act = Prepare(kType, x + c * cols, cols);
    pool->ParallelFor(
        rows,
        [&](int64_t r0, int64_t r1) {
          for (int64_t r = r0; r < r1; ++r) {
            y[c * rows + r] =
                RowDot<kType>(static_cast<const uint8_t*>(w) + r * row_bytes, act, blocks);
          }
        },
        16);
  }
}

}  // namespace

void GemvQ8_0Q4_0Avx512(QuantType type, const void* w, int64_t rows, int64_t cols, const float* x,
                        int64_t batch, float* y, ThreadPool* pool) {
  if (type == QuantType::kQ4_0) return Gemv<QuantType::kQ4_0>(w, rows, cols, x, batch, y, pool);
  Gemv<QuantType::kQ8_0>(w, rows, cols, x, batch, y, pool);
}

}  // namespace gridbench::kernels::quant::x86
