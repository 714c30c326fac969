// Blocked GEMM for Q8_0 / Q4_0 weights with vpdpbusd (AVX512_VNNI).
//
// Values are handled in pairs of 32-value blocks: one pair is 64 bytes, one
// zmm register, and each block owns 8 of its 16 int32 lanes.
//  - Weights are repacked, a tile of kTileRows rows by kPairsPerStep pairs at
//    a time, into unsigned bytes (Q4_0: the nibble q, standing for q - 8;
//    Q8_0: q + 128) with each block's scale spread over its 8 lanes.
//  - Activations are quantized once, exactly as for the dot products (Q8_0),
//    and stored per pair as signed bytes, lane-spread scales, and a bias
//    -offset * sum(a) in each block's first lane. vpdpbusd starts from that
//    bias, which removes the weights' unsigned offset for free.
// Loop nest: column blocks of kColsPerBlock activations (about 400 KB, kept
// in L2) > K steps > weight tiles (parallel) > column tiles. The micro-kernel
// holds kTileRows x kTileCols accumulators in registers, so each packed
// weight register is used kTileCols times, and each packed tile (16 KB, in
// L1) kColsPerBlock / kTileCols times: the weights are read from memory
// batch / kColsPerBlock times in all, and the kernel is compute-bound.
#include "kernels/quant/x86/gemm_avx512.h"

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>
#include <vector>

#include "kernels/quant/quantize_ref.h"

namespace gridbench::kernels::quant::x86 {
namespace {

constexpr int kTileRows = 4;
constexpr int kTileCols = 4;
constexpr int64_t kPairsPerStep = 32;
constexpr int64_t kColsPerBlock = 64;

struct alignas(64) ActPair {
  int8_t q[64];
  float d[16];
  int32_t bias[16];
};

struct alignas(64) WeightPair {
  uint8_t q[64];
  float d[16];
};

// What the packed unsigned weight byte exceeds the true quant by.
int WeightOffset(QuantType type) { return type == QuantType::kQ4_0 ? 8 : 128; }

void QuantizeActivation(const float* x, int64_t num_blocks, int offset, ActPair* out,
                        int64_t pairs) {
  for (int64_t p = 0; p < pairs; ++p) {
    ActPair& ap = out[p];
    std::memset(&ap, 0, sizeof(ap));
    for (int h = 0; h < 2 && 2 * p + h < num_blocks; ++h) {
      BlockQ8_0 block;
      QuantizeRowQ8_0Ref(x + (2 * p + h) * kQK0, &block, kQK0);
      std::memcpy(ap.q + 32 * h, block.qs, kQK0);
      int sum = 0;
      for (int j = 0; j < kQK0; ++j) sum += block.qs[j];
      const float d = _cvtsh_ss(block.d);
      for (int l = 0; l < 8; ++l) ap.d[8 * h + l] = d;
      ap.bias[8 * h] = -offset * sum;
    }
  }
}

// Packs pairs [p0, p1) of rows [row0, row0 + nrows) into
// panel[(p - p0) * kTileRows + r]; rows past nrows and blocks past the row's
// end are zero.
void PackWeights(QuantType type, const uint8_t* w, int64_t row_bytes, int64_t row0, int nrows,
                 int64_t p0, int64_t p1, int64_t num_blocks, WeightPair* panel) {
  const __m128i low4 = _mm_set1_epi8(0x0F);
  for (int64_t p = p0; p < p1; ++p) {
    for (int r = 0; r < kTileRows; ++r) {
      WeightPair& wp = panel[(p - p0) * kTileRows + r];
      for (int h = 0; h < 2; ++h) {
        const int64_t b = 2 * p + h;
        __m256i q = _mm256_setzero_si256();
        float d = 0;
        if (r < nrows && b < num_blocks) {
          const uint8_t* row = w + (row0 + r) * row_bytes;
          if (type == QuantType::kQ4_0) {
            const BlockQ4_0& block = reinterpret_cast<const BlockQ4_0*>(row)[b];
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block.qs));
            q = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(v, 4), low4), _mm_and_si128(v, low4));
            d = _cvtsh_ss(block.d);
          } else {
            const BlockQ8_0& block = reinterpret_cast<const BlockQ8_0*>(row)[b];
            q = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qs)),
                                 _mm256_set1_epi8(static_cast<char>(0x80)));
            d = _cvtsh_ss(block.d);
          }
        }
        _mm256_store_si256(reinterpret_cast<__m256i*>(wp.q + 32 * h), q);
        _mm256_store_ps(wp.d + 8 * h, _mm256_set1_ps(d));
      }
    }
  }
}

// GCC 12's _mm512_reduce_add_ps trips -Wuninitialized inside its header.
float ReduceAdd(__m512 v) {
  const __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  s4 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  s4 = _mm_add_ss(s4, _mm_movehdup_ps(s4));
  return _mm_cvtss_f32(s4);
}

// y[c * y_stride + r] += sum over `pairs` pairs of packed weight row r times
// activation column c, for r < R, c < C.
// The R x C accumulators must live in registers: the loops over r and c are
// fully unrolled (GCC keeps an array it does not unroll on the stack).
template <int R, int C>
void MicroKernel(const WeightPair* panel, const ActPair* const* act, int64_t pairs, float* y,
                 int64_t y_stride) {
  __m512 acc[R][C];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_ps();
  }
  for (int64_t p = 0; p < pairs; ++p) {
    const WeightPair* wp = panel + p * kTileRows;
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
      const ActPair& ap = act[c][p];
      const __m512i aq = _mm512_load_si512(ap.q);
      const __m512 ad = _mm512_load_ps(ap.d);
      const __m512i bias = _mm512_load_si512(ap.bias);
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        const __m512i dot = _mm512_dpbusd_epi32(bias, _mm512_load_si512(wp[r].q), aq);
        const __m512 scale = _mm512_mul_ps(_mm512_load_ps(wp[r].d), ad);
        acc[r][c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale, acc[r][c]);
      }
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) y[c * y_stride + r] += ReduceAdd(acc[r][c]);
  }
}

using MicroKernelFn = void (*)(const WeightPair*, const ActPair* const*, int64_t, float*, int64_t);

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

}  // namespace

void GemmQ8_0Q4_0Avx512(QuantType type, const void* w, int64_t rows, int64_t cols, const float* x,
                        int64_t batch, float* y, ThreadPool* pool) {
  const int64_t num_blocks = cols / kQK0;
  const int64_t pairs = (num_blocks + 1) / 2;
  const int offset = WeightOffset(type);
  std::vector<ActPair> act(batch * pairs);
  pool->ParallelFor(batch, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      QuantizeActivation(x + b * cols, num_blocks, offset, &act[b * pairs], pairs);
    }
  });
  std::memset(y, 0, sizeof(float) * batch * rows);  // All-zero bits are 0.0f.
  const int64_t row_bytes = static_cast<int64_t>(RowBytes(type, cols));
  const int64_t tiles = (rows + kTileRows - 1) / kTileRows;
  for (int64_t c0 = 0; c0 < batch; c0 += kColsPerBlock) {
    const int64_t c1 = std::min(batch, c0 + kColsPerBlock);
    for (int64_t p0 = 0; p0 < pairs; p0 += kPairsPerStep) {
      const int64_t p1 = std::min(pairs, p0 + kPairsPerStep);
      pool->ParallelFor(tiles, [&](int64_t t0, int64_t t1) {
        WeightPair panel[kPairsPerStep * kTileRows];
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t row0 = t * kTileRows;
          const int nrows = static_cast<int>(std::min<int64_t>(kTileRows, rows - row0));
          PackWeights(type, static_cast<const uint8_t*>(w), row_bytes, row0, nrows, p0, p1,
                      num_blocks, panel);
          for (int64_t c = c0; c < c1; c += kTileCols) {
            const int ncols = static_cast<int>(std::min<int64_t>(kTileCols, c1 - c));
            const ActPair* act_cols[kTileCols];
            for (int i = 0; i < ncols; ++i) act_cols[i] = &act[(c + i) * pairs + p0];
            kMicroKernels[nrows - 1][ncols - 1](panel, act_cols, p1 - p0, y + c * rows + row0,
                                                rows);
          }
        }
      });
    }
  }
}

}  // namespace gridbench::kernels::quant::x86
