// AVX-512 attention for a group of query heads sharing a key/value head
// (compiled with the AVX-512 flags). Scores of 16 consecutive positions are
// computed at once from the transposed keys (one FMA per dimension, no
// horizontal sums), exponentials 16 at a time with a polynomial, and the
// weighted sum of values with one accumulator register per 16 values of
// each head, so consecutive positions' FMAs do not wait on each other. Key
// rows and values come from L2 for long contexts; loading each once for
// several heads keeps the FMAs, not the loads, the limit.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "kernels/llama/llama_cpu_attention.h"

namespace gridbench::kernels::llama::internal {
namespace {

// e^x for x <= 0 (softmax arguments after subtracting the maximum): 2^n *
// 2^f with n = round(x log2 e), |f| <= 1/2, 2^f by its degree-6 Taylor
// polynomial in f ln 2 (relative error below 2e-7). Below -87 the result
// flushes towards zero as expf's does.
__m512 Exp(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
  const __m512 t = _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f));
  const __m512 n = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 f = _mm512_mul_ps(_mm512_sub_ps(t, n), _mm512_set1_ps(0.693147180559945309f));
  __m512 p = _mm512_set1_ps(1.0f / 720);
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f / 120));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f / 24));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f / 6));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
  return _mm512_scalef_ps(p, n);
}

// Lanes of positions [p, p + 16) that exist.
__mmask16 Valid(int p, int positions) {
  const int n = std::min(16, positions - p);
  return static_cast<__mmask16>((1u << n) - 1);
}

// kHeads heads of AttendGroupAvx512 with head_dim = 16 * kChunks, fully
// unrolled so the accumulators live in registers: each key row and value
// is loaded once for the kHeads heads.
template <int kChunks, int kHeads>
void AttendHeads(const AttentionGroup& group, const float* q, float* scores, float* out) {
  constexpr int kDim = 16 * kChunks;
  const int positions = group.positions;
  __m512 max[kHeads];
#pragma GCC unroll 4
  for (int g = 0; g < kHeads; ++g) max[g] = _mm512_set1_ps(-INFINITY);
  for (int p = 0; p < positions; p += 16) {
    const __mmask16 valid = Valid(p, positions);
    __m512 acc[kHeads];
#pragma GCC unroll 4
    for (int g = 0; g < kHeads; ++g) acc[g] = _mm512_setzero_ps();
#pragma GCC unroll 8
    for (int i = 0; i < kDim; ++i) {
      const __m512 k = _mm512_maskz_loadu_ps(valid, group.keys_t + i * group.key_stride + p);
#pragma GCC unroll 4
      for (int g = 0; g < kHeads; ++g) {
        acc[g] = _mm512_fmadd_ps(_mm512_set1_ps(q[g * kDim + i]), k, acc[g]);
      }
    }
#pragma GCC unroll 4
    for (int g = 0; g < kHeads; ++g) {
      const __m512 s = _mm512_mul_ps(acc[g], _mm512_set1_ps(group.scale));
      _mm512_mask_storeu_ps(scores + g * positions + p, valid, s);
      max[g] = _mm512_mask_max_ps(max[g], valid, max[g], s);
    }
  }
  float inv_sum[kHeads];
#pragma GCC unroll 4
  for (int g = 0; g < kHeads; ++g) {
    float* row = scores + g * positions;
    const __m512 top = _mm512_set1_ps(_mm512_reduce_max_ps(max[g]));
    __m512 sum = _mm512_setzero_ps();
    for (int p = 0; p < positions; p += 16) {
      const __mmask16 valid = Valid(p, positions);
      const __m512 e = Exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(valid, row + p), top));
      _mm512_mask_storeu_ps(row + p, valid, e);
      sum = _mm512_mask_add_ps(sum, valid, sum, e);
    }
    inv_sum[g] = 1.0f / _mm512_reduce_add_ps(sum);
  }
  __m512 acc[kHeads][kChunks];
#pragma GCC unroll 4
  for (int g = 0; g < kHeads; ++g) {
#pragma GCC unroll 8
    for (int c = 0; c < kChunks; ++c) acc[g][c] = _mm512_setzero_ps();
  }
  for (int p = 0; p < positions; ++p) {
    const float* v = group.values + p * group.value_stride;
#pragma GCC unroll 8
    for (int c = 0; c < kChunks; ++c) {
      const __m512 vc = _mm512_loadu_ps(v + 16 * c);
#pragma GCC unroll 4
      for (int g = 0; g < kHeads; ++g) {
        acc[g][c] = _mm512_fmadd_ps(_mm512_set1_ps(scores[g * positions + p]), vc, acc[g][c]);
      }
    }
  }
#pragma GCC unroll 4
  for (int g = 0; g < kHeads; ++g) {
#pragma GCC unroll 8
    for (int c = 0; c < kChunks; ++c) {
      _mm512_storeu_ps(out + g * kDim + 16 * c,
                       _mm512_mul_ps(acc[g][c], _mm512_set1_ps(inv_sum[g])));
    }
  }
}

// The group's heads in sets of kHeads, then of 2, then one at a time; 16
// value accumulators at most.
template <int kChunks>
void AttendGroup(const AttentionGroup& group, float* scores, float* out) {
  constexpr int kHeads = kChunks <= 4 ? 4 : 2;
  constexpr int kDim = 16 * kChunks;
  auto heads = [&](int g) {
    return std::tuple(group.q + g * kDim, scores + g * group.positions, out + g * kDim);
  };
  int g = 0;
  for (; g + kHeads <= group.heads; g += kHeads) {
    std::apply([&](auto... a) { AttendHeads<kChunks, kHeads>(group, a...); }, heads(g));
  }
  for (; g + 2 <= group.heads; g += 2) {
    std::apply([&](auto... a) { AttendHeads<kChunks, 2>(group, a...); }, heads(g));
  }
  for (; g < group.heads; ++g) {
    std::apply([&](auto... a) { AttendHeads<kChunks, 1>(group, a...); }, heads(g));
  }
}

}  // namespace

bool AttendGroupAvx512Handles(int head_dim) {
  return head_dim % 16 == 0 && head_dim >= 16 && head_dim <= 16 * 8;
}

void AttendGroupAvx512(const AttentionGroup& group, float* scores, float* out) {
  switch (group.head_dim / 16) {
    case 1:
      return AttendGroup<1>(group, scores, out);
    case 2:
      return AttendGroup<2>(group, scores, out);
    case 3:
      return AttendGroup<3>(group, scores, out);
    case 4:
      return AttendGroup<4>(group, scores, out);
    case 5:
      return AttendGroup<5>(group, scores, out);
    case 6:
      return AttendGroup<6>(group, scores, out);
    case 7:
      return AttendGroup<7>(group, scores, out);
    default:
      return AttendGroup<8>(group, scores, out);
  }
}

}  // namespace gridbench::kernels::llama::internal
