// AVX-512 attention for one head (compiled with the AVX-512 flags). Scores
// of 16 consecutive positions are computed at once from the transposed keys
// (one FMA per dimension, no horizontal sums), exponentials 16 at a time
// with a polynomial, and the weighted sum of values with one accumulator
// register per 16 values of the head, so consecutive positions' FMAs do not
// wait on each other.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

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

// AttendHeadAvx512 for head_dim = 16 * kChunks (fully unrolled, so the
// accumulators live in registers).
template <int kChunks>
void AttendHead(const AttentionHead& head, float* scores, float* out) {
  constexpr int kDim = 16 * kChunks;
  __m512 max = _mm512_set1_ps(-INFINITY);
  for (int p = 0; p < head.positions; p += 16) {
    const __mmask16 valid = Valid(p, head.positions);
    __m512 acc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
#pragma GCC unroll 16
    for (int i = 0; i < kDim; ++i) {
      acc[i & 1] = _mm512_fmadd_ps(
          _mm512_set1_ps(head.q[i]),
          _mm512_maskz_loadu_ps(valid, head.keys_t + i * head.key_stride + p), acc[i & 1]);
    }
    const __m512 s = _mm512_mul_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_set1_ps(head.scale));
    _mm512_mask_storeu_ps(scores + p, valid, s);
    max = _mm512_mask_max_ps(max, valid, max, s);
  }
  const __m512 top = _mm512_set1_ps(_mm512_reduce_max_ps(max));
  __m512 sum = _mm512_setzero_ps();
  for (int p = 0; p < head.positions; p += 16) {
    const __mmask16 valid = Valid(p, head.positions);
    const __m512 e = Exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(valid, scores + p), top));
    _mm512_mask_storeu_ps(scores + p, valid, e);
    sum = _mm512_mask_add_ps(sum, valid, sum, e);
  }
  __m512 acc[kChunks];
#pragma GCC unroll 8
  for (int c = 0; c < kChunks; ++c) acc[c] = _mm512_setzero_ps();
  for (int p = 0; p < head.positions; ++p) {
    const float* v = head.values + p * head.value_stride;
    const __m512 weight = _mm512_set1_ps(scores[p]);
#pragma GCC unroll 8
    for (int c = 0; c < kChunks; ++c) {
      acc[c] = _mm512_fmadd_ps(weight, _mm512_loadu_ps(v + 16 * c), acc[c]);
    }
  }
  const __m512 inv_sum = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
#pragma GCC unroll 8
  for (int c = 0; c < kChunks; ++c) _mm512_storeu_ps(out + 16 * c, _mm512_mul_ps(acc[c], inv_sum));
}

}  // namespace

bool AttendHeadAvx512Handles(int head_dim) {
  return head_dim % 16 == 0 && head_dim >= 16 && head_dim <= 16 * 8;
}

void AttendHeadAvx512(const AttentionHead& head, float* scores, float* out) {
  switch (head.head_dim / 16) {
    case 1:
      return AttendHead<1>(head, scores, out);
    case 2:
      return AttendHead<2>(head, scores, out);
    case 3:
      return AttendHead<3>(head, scores, out);
    case 4:
      return AttendHead<4>(head, scores, out);
    case 5:
      return AttendHead<5>(head, scores, out);
    case 6:
      return AttendHead<6>(head, scores, out);
    case 7:
      return AttendHead<7>(head, scores, out);
    default:
      return AttendHead<8>(head, scores, out);
  }
}

}  // namespace gridbench::kernels::llama::internal
