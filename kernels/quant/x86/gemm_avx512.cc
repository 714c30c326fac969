// Blocked GEMM for Q8_0 / Q4_0 weights with vpdpbusd (AVX512_VNNI).
//
// The lanes of one zmm register hold 16 weight rows, not 16 slices of one
// row: for each 32-value block, 8 vpdpbusd (one per group of 4 values, the
// activation's 4 bytes broadcast to every lane) leave in lane r the whole
// integer block dot of row r. That integer is then scaled once, by a
// vector of the 16 rows' d_w times the activation's d_a, so the float work
// (convert, scale, FMA) is spread over 8 vpdpbusd instead of following each
// one, which makes the kernel about three times cheaper per multiply-add.
//  - Activations are quantized once, bit-identically to QuantizeRowQ8_0Ref
//    (the dot products' activations), and kept in value order with each
//    block's d_a and -offset * (sum of its 32 quants).
//  - Weights are repacked per 16-row group as unsigned bytes u = w + offset
//    (Q4_0: the stored nibble, q + 8; Q8_0: q + 128), group of 4 values
//    major, so one aligned load gives the 16 rows' bytes of one group.
//    vpdpbusd wants its first operand unsigned; each block's integer dot
//    starts from the activation's -offset * sum, which removes the offset
//    exactly, so every variant computes the same integer block sums.
// Loop nest: column blocks of kColsPerBlock activations > 16-row groups
// (parallel; each packs its weights for the whole row once per column
// block, so a 512-token prompt packs every weight once: packing costs a
// fifth of the multiply-adds) > column tiles of up to kTileCols, whose
// accumulators live in registers and are stored as 16 consecutive outputs.
// The activations a group reads (up to 512 x 5632 bytes for a 1B model's
// down projection) stream from the last-level cache, a few GB/s per core.
#include "kernels/quant/x86/gemm_avx512.h"

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>
#include <vector>

#include "kernels/quant/x86/quantize_block_avx512.h"

namespace gridbench::kernels::quant::x86 {
namespace {

constexpr int kRows = 16;
constexpr int kTileCols = 8;
constexpr int64_t kColsPerBlock = 512;
constexpr int kGroups = kQK0 / 4;  // Groups of 4 values per block.

// One block of a 16-row group: q[g][r] holds row r's 4 bytes of group g.
struct alignas(64) PackedBlock {
  uint8_t q[kGroups][kRows][4];
  float d[kRows];
};

// Quantized activations, column major: column c's block b is at c * blocks + b.
struct Activations {
  int64_t blocks = 0;
  std::vector<int8_t> q;      // cols * blocks * 32, value order.
  std::vector<float> d;       // d_a per block.
  std::vector<int32_t> bias;  // -offset * (sum of the block's quants).
};

Activations QuantizeActivations(QuantType type, const float* x, int64_t batch, int64_t cols,
                                ThreadPool* pool) {
  const int offset = type == QuantType::kQ4_0 ? 8 : 128;
  Activations act;
  act.blocks = cols / kQK0;
  act.q.resize(batch * cols);
  act.d.resize(batch * act.blocks);
  act.bias.resize(batch * act.blocks);
  pool->ParallelFor(batch, [&](int64_t c0, int64_t c1) {
    for (int64_t i = c0 * act.blocks; i < c1 * act.blocks; ++i) {
      const __m256i q = QuantizeBlock(x + i * kQK0, &act.d[i]);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(&act.q[i * kQK0]), q);
      int sum = 0;
      for (int j = 0; j < kQK0; ++j) sum += act.q[i * kQK0 + j];
      act.bias[i] = -offset * sum;
    }
  });
  return act;
}

// One Q4_0 or Q8_0 block's quants as unsigned bytes u = w + offset, in
// value order.
__m256i UnsignedQuants(QuantType type, const uint8_t* block) {
  if (type == QuantType::kQ4_0) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 2));
    const __m128i low4 = _mm_set1_epi8(0x0F);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(v, 4), low4), _mm_and_si128(v, low4));
  }
  return _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 2)),
                          _mm256_set1_epi8(static_cast<char>(0x80)));
}

// Packs rows [row0, row0 + nrows) (nrows <= 16; missing rows are zero).
// Each block's 16 rows go through a small row-major table, and each group
// of 4 values is gathered from it for all 16 rows at once.
void PackRows(QuantType type, const uint8_t* w, int64_t row_bytes, int64_t row0, int nrows,
              int64_t blocks, PackedBlock* out) {
  const size_t block_bytes = BlockBytes(type);
  alignas(64) int32_t table[kRows][kGroups] = {};  // Rows past nrows stay zero.
  const __m512i row_starts =
      _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                         _mm512_set1_epi32(kGroups));
  for (int64_t b = 0; b < blocks; ++b) {
    for (int r = 0; r < kRows; ++r) {
      out[b].d[r] = 0.0f;
      if (r >= nrows) continue;
      const uint8_t* block = w + (row0 + r) * row_bytes + b * block_bytes;
      _mm256_store_si256(reinterpret_cast<__m256i*>(table[r]), UnsignedQuants(type, block));
      uint16_t d;
      std::memcpy(&d, block, sizeof(d));
      out[b].d[r] = _cvtsh_ss(d);
    }
    for (int g = 0; g < kGroups; ++g) {
      _mm512_store_si512(out[b].q[g],
                         _mm512_i32gather_epi32(_mm512_add_epi32(row_starts, _mm512_set1_epi32(g)),
                                                &table[0][0], sizeof(int32_t)));
    }
  }
}

int32_t Group(const int8_t* q) {
  int32_t v;
  std::memcpy(&v, q, sizeof(v));
  return v;
}

// y[c * y_stride + r] for the group's rows r (those in `store`) and C
// columns whose activations start at block `first` of act (column c's at
// index (col0 + c) * blocks). Fully unrolled over c so the 2C accumulators
// live in registers.
template <int C>
void MicroKernel(const PackedBlock* w, const Activations& act, int64_t col0, __mmask16 store,
                 float* y, int64_t y_stride) {
  const int64_t blocks = act.blocks;
  __m512 acc[C];
#pragma GCC unroll 8
  for (int c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
  for (int64_t b = 0; b < blocks; ++b) {
    __m512i dot[C];
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) dot[c] = _mm512_set1_epi32(act.bias[(col0 + c) * blocks + b]);
#pragma GCC unroll 8
    for (int g = 0; g < kGroups; ++g) {
      const __m512i wg = _mm512_load_si512(w[b].q[g]);
#pragma GCC unroll 8
      for (int c = 0; c < C; ++c) {
        const int8_t* a = &act.q[((col0 + c) * blocks + b) * kQK0 + 4 * g];
        dot[c] = _mm512_dpbusd_epi32(dot[c], wg, _mm512_set1_epi32(Group(a)));
      }
    }
    const __m512 dw = _mm512_load_ps(w[b].d);
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) {
      const __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(act.d[(col0 + c) * blocks + b]));
      acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot[c]), scale, acc[c]);
    }
  }
#pragma GCC unroll 8
  for (int c = 0; c < C; ++c) _mm512_mask_storeu_ps(y + c * y_stride, store, acc[c]);
}

using MicroKernelFn = void (*)(const PackedBlock*, const Activations&, int64_t, __mmask16, float*,
                               int64_t);

template <int... C>
constexpr std::array<MicroKernelFn, kTileCols> TableOfKernels(std::integer_sequence<int, C...>) {
  return {MicroKernel<C + 1>...};
}
constexpr auto kMicroKernels = TableOfKernels(std::make_integer_sequence<int, kTileCols>());

}  // namespace

void GemmQ8_0Q4_0Avx512(QuantType type, const void* w, int64_t rows, int64_t cols, const float* x,
                        int64_t batch, float* y, ThreadPool* pool) {
  const Activations act = QuantizeActivations(type, x, batch, cols, pool);
  const int64_t row_bytes = static_cast<int64_t>(RowBytes(type, cols));
  const int64_t groups = (rows + kRows - 1) / kRows;
  for (int64_t c0 = 0; c0 < batch; c0 += kColsPerBlock) {
    const int64_t c1 = std::min(batch, c0 + kColsPerBlock);
    pool->ParallelFor(groups, [&](int64_t g0, int64_t g1) {
      std::vector<PackedBlock> packed(act.blocks);
      for (int64_t g = g0; g < g1; ++g) {
        const int64_t row0 = g * kRows;
        const int nrows = static_cast<int>(std::min<int64_t>(kRows, rows - row0));
        PackRows(type, static_cast<const uint8_t*>(w), row_bytes, row0, nrows, act.blocks,
                 packed.data());
        const __mmask16 store = static_cast<__mmask16>((1u << nrows) - 1);
        for (int64_t c = c0; c < c1; c += kTileCols) {
          const int ncols = static_cast<int>(std::min<int64_t>(kTileCols, c1 - c));
          kMicroKernels[ncols - 1](packed.data(), act, c, store, y + c * rows + row0, rows);
        }
      }
    });
  }
}

}  // namespace gridbench::kernels::quant::x86
