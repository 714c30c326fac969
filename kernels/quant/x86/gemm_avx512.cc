// Blocked GEMM for Q8_0 / Q4_0 weights with vpdpbusd (AVX512_VNNI).
//
// Values are handled in pairs of 32-value blocks: a pair is 64 bytes, one zmm
// register. Both blocks' bytes are interleaved 4 at a time (Interleave), so
// block 0 owns the even int32 lanes of vpdpbusd's result and block 1 the odd
// ones; a pair's two scales then load with one vbroadcastf32x2.
//  - Activations are quantized once, bit-identically to QuantizeRowQ8_0Ref
//    (the dot products' activations), and stored as a + 128 (unsigned, as
//    vpdpbusd wants its first operand) plus each pair's two fp32 scales.
//  - Weights are repacked, a tile of kTileRows rows by kPairsPerStep pairs at
//    a time, as signed bytes (Q4_0: q - 8; Q8_0: q) plus the two scales and,
//    per int32 lane, -128 * (sum of the lane's 4 weights). vpdpbusd starts
//    from that bias, which removes the activations' +128 exactly inside each
//    lane, so no lane carries a large value that later cancels in floating
//    point: every variant computes the same integer block sums.
// Loop nest: column blocks of kColsPerBlock activations (about 600 KB per K
// step: they stay in L2) > K steps > weight tiles (parallel) > column tiles.
// The micro-kernel holds kTileRows x kTileCols accumulators in registers, so
// each packed weight vector is used kTileCols times, and each packed tile
// (17 KB, in L1) kColsPerBlock / kTileCols times: the weights are read from
// memory batch / kColsPerBlock times in all, and the kernel is compute-bound.
#include "kernels/quant/x86/gemm_avx512.h"

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>
#include <vector>

#include "kernels/quant/x86/quantize_block_avx512.h"
#include "kernels/quant/x86/sum_lanes_avx512.h"

namespace gridbench::kernels::quant::x86 {
namespace {

constexpr int kTileRows = 4;
constexpr int kTileCols = 4;
constexpr int64_t kPairsPerStep = 32;
constexpr int64_t kColsPerBlock = 256;

struct alignas(64) PairBytes {
  uint8_t q[64];
};

// Per activation pair: the two blocks' scales.
struct alignas(8) ActMeta {
  float d[2];
};

// Quantized activations: column c's pair p is q[c * pairs + p].
struct Activations {
  int64_t pairs = 0;
  std::vector<PairBytes> q;
  std::vector<ActMeta> meta;
};

// A packed weight tile: row r's pair p (relative to the step) is at
// p * kTileRows + r.
struct WeightTile {
  PairBytes q[kPairsPerStep * kTileRows];
  __m512i bias[kPairsPerStep * kTileRows];
  float d[kPairsPerStep * kTileRows][2];
};

// Two blocks' 32 bytes, 4-byte groups alternating between block 0 and 1.
__m512i Interleave(__m256i block0, __m256i block1) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_unpacklo_epi32(block0, block1)),
                            _mm256_unpackhi_epi32(block0, block1), 1);
}

void QuantizeActivation(const float* x, int64_t num_blocks, PairBytes* q, ActMeta* meta,
                        int64_t pairs) {
  for (int64_t p = 0; p < pairs; ++p) {
    __m256i blocks[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    meta[p] = ActMeta{};
    for (int h = 0; h < 2 && 2 * p + h < num_blocks; ++h) {
      blocks[h] = QuantizeBlock(x + (2 * p + h) * kQK0, &meta[p].d[h]);
    }
    _mm512_store_si512(q[p].q, _mm512_xor_si512(Interleave(blocks[0], blocks[1]),
                                                _mm512_set1_epi8(static_cast<char>(0x80))));
  }
}

// One weight block's quants as signed bytes in value order.
__m256i SignedQuants(QuantType type, const uint8_t* block) {
  if (type == QuantType::kQ4_0) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 2));
    const __m128i low4 = _mm_set1_epi8(0x0F);
    const __m256i q =
        _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(v, 4), low4), _mm_and_si128(v, low4));
    return _mm256_sub_epi8(q, _mm256_set1_epi8(8));
  }
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 2));
}

// Packs pairs [p0, p1) of rows [row0, row0 + nrows) into `tile`; rows past
// nrows and blocks past the row's end are zero.
void PackWeights(QuantType type, const uint8_t* w, int64_t row_bytes, int64_t row0, int nrows,
                 int64_t p0, int64_t p1, int64_t num_blocks, WeightTile* tile) {
  const size_t block_bytes = BlockBytes(type);
  for (int64_t p = p0; p < p1; ++p) {
    for (int r = 0; r < kTileRows; ++r) {
      const int64_t slot = (p - p0) * kTileRows + r;
      __m256i q[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
      for (int h = 0; h < 2; ++h) {
        const int64_t b = 2 * p + h;
        tile->d[slot][h] = 0.0f;
        if (r >= nrows || b >= num_blocks) continue;
        const uint8_t* block = w + (row0 + r) * row_bytes + b * block_bytes;
        uint16_t d;
        std::memcpy(&d, block, sizeof(d));
        tile->d[slot][h] = _cvtsh_ss(d);
        q[h] = SignedQuants(type, block);
      }
      const __m512i w = Interleave(q[0], q[1]);
      _mm512_store_si512(tile->q[slot].q, w);
      // -128 * (sum of each lane's 4 weights), by vpdpbusd with 128s.
      tile->bias[slot] =
          _mm512_sub_epi32(_mm512_setzero_si512(),
                           _mm512_dpbusd_epi32(_mm512_setzero_si512(),
                                               _mm512_set1_epi8(static_cast<char>(0x80)), w));
    }
  }
}

__m512 LoadScales(const float* d) {
  return _mm512_broadcast_f32x2(_mm_castpd_ps(_mm_load_sd(reinterpret_cast<const double*>(d))));
}

// Starts loading the next tile's weights (rows [row0, row0 + nrows), pairs
// [p0, p1)) into cache while the current tile computes, so packing it does
// not wait on memory.
void PrefetchWeights(const uint8_t* w, int64_t row_bytes, int64_t row0, int64_t nrows,
                     int64_t block_bytes, int64_t p0, int64_t p1, int64_t num_blocks) {
  const int64_t begin = 2 * p0 * block_bytes;
  const int64_t end = std::min(2 * p1, num_blocks) * block_bytes;
  for (int64_t r = 0; r < nrows; ++r) {
    const uint8_t* row = w + (row0 + r) * row_bytes;
    for (int64_t off = begin; off < end; off += 64) {
      _mm_prefetch(reinterpret_cast<const char*>(row + off), _MM_HINT_T0);
    }
  }
}

// y[c * y_stride + r] += sum over `pairs` pairs of packed weight row r times
// activation column c, for r < R, c < C. The R x C accumulators must live in
// registers: the loops over r and c are fully unrolled (GCC keeps an array it
// does not unroll on the stack).
template <int R, int C>
void MicroKernel(const WeightTile& tile, const PairBytes* const* aq, const ActMeta* const* am,
                 int64_t pairs, float* y, int64_t y_stride) {
  __m512 acc[R][C];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_ps();
  }
  for (int64_t p = 0; p < pairs; ++p) {
    const int64_t slot = p * kTileRows;
    __m512 wd[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) wd[r] = LoadScales(tile.d[slot + r]);
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
      const __m512i a = _mm512_load_si512(aq[c][p].q);
      const __m512 ad = LoadScales(am[c][p].d);
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        // Starting from a load of the bias (not a register copy) keeps the
        // copy off the vector ALU ports.
        const __m512i dot = _mm512_dpbusd_epi32(_mm512_load_si512(&tile.bias[slot + r]), a,
                                                _mm512_load_si512(tile.q[slot + r].q));
        acc[r][c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(wd[r], ad), acc[r][c]);
      }
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) y[c * y_stride + r] += SumLanes(acc[r][c]);
  }
}

using MicroKernelFn = void (*)(const WeightTile&, const PairBytes* const*, const ActMeta* const*,
                               int64_t, float*, int64_t);

// kMicroKernels[R - 1][C - 1] = MicroKernel<R, C>.
template <int R, int... C>
constexpr std::array<MicroKernelFn, kTileCols> RowOfKernels(std::integer_sequence<int, C...>) {
  return {MicroKernel<R, C + 1>...};
}
template <int... R>
constexpr std::array<std::array<MicroKernelFn, kTileCols>, kTileRows> TableOfKernels(
    std::integer_sequence<int, R...>) {
  return {RowOfKernels<R + 1>(std::make_integer_sequence<int, kTileCols>())...};
}
constexpr auto kMicroKernels = TableOfKernels(std::make_integer_sequence<int, kTileRows>());

Activations QuantizeActivations(const float* x, int64_t batch, int64_t cols, ThreadPool* pool) {
  const int64_t num_blocks = cols / kQK0;
  Activations act;
  act.pairs = (num_blocks + 1) / 2;
  act.q.resize(batch * act.pairs);
  act.meta.resize(batch * act.pairs);
  pool->ParallelFor(batch, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      QuantizeActivation(x + b * cols, num_blocks, &act.q[b * act.pairs], &act.meta[b * act.pairs],
                         act.pairs);
    }
  });
  return act;
}

}  // namespace

void GemmQ8_0Q4_0Avx512(QuantType type, const void* w, int64_t rows, int64_t cols, const float* x,
                        int64_t batch, float* y, ThreadPool* pool) {
  const int64_t num_blocks = cols / kQK0;
  const Activations act = QuantizeActivations(x, batch, cols, pool);
  std::memset(y, 0, sizeof(float) * batch * rows);  // All-zero bits are 0.0f.
  const int64_t row_bytes = static_cast<int64_t>(RowBytes(type, cols));
  const int64_t tiles = (rows + kTileRows - 1) / kTileRows;
  for (int64_t c0 = 0; c0 < batch; c0 += kColsPerBlock) {
    const int64_t c1 = std::min(batch, c0 + kColsPerBlock);
    for (int64_t p0 = 0; p0 < act.pairs; p0 += kPairsPerStep) {
      const int64_t p1 = std::min(act.pairs, p0 + kPairsPerStep);
      pool->ParallelFor(tiles, [&](int64_t t0, int64_t t1) {
        WeightTile tile;
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t row0 = t * kTileRows;
          const int nrows = static_cast<int>(std::min<int64_t>(kTileRows, rows - row0));
          PackWeights(type, static_cast<const uint8_t*>(w), row_bytes, row0, nrows, p0, p1,
                      num_blocks, &tile);
          if (t + 1 < t1) {
            PrefetchWeights(static_cast<const uint8_t*>(w), row_bytes, row0 + kTileRows,
                            std::min<int64_t>(kTileRows, rows - row0 - kTileRows),
                            static_cast<int64_t>(BlockBytes(type)), p0, p1, num_blocks);
          }
          for (int64_t c = c0; c < c1; c += kTileCols) {
            const int ncols = static_cast<int>(std::min<int64_t>(kTileCols, c1 - c));
            const PairBytes* aq[kTileCols];
            const ActMeta* am[kTileCols];
            for (int i = 0; i < ncols; ++i) {
              aq[i] = &act.q[(c + i) * act.pairs + p0];
              am[i] = &act.meta[(c + i) * act.pairs + p0];
            }
            kMicroKernels[nrows - 1][ncols - 1](tile, aq, am, p1 - p0, y + c * rows + row0, rows);
          }
        }
      });
    }
  }
}

}  // namespace gridbench::kernels::quant::x86
