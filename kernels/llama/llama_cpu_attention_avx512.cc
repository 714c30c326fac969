// AVX-512 attention for one head (compiled with the AVX-512 flags): the
// q . k dot products and the weighted sum of values run 16 lanes wide, the
// sum with one accumulator register per 16 values of the head, so
// consecutive positions' FMAs do not wait on each other.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "kernels/llama/llama_cpu_attention.h"
#include "kernels/quant/x86/sum_lanes_avx512.h"

namespace gridbench::kernels::llama::internal {
namespace {

// AttendHeadAvx512 for head_dim = 16 * kChunks (fully unrolled, so the
// accumulators live in registers).
template <int kChunks>
void AttendHead(const AttentionHead& head, float* scores, float* out) {
  __m512 q[kChunks];
#pragma GCC unroll 8
  for (int c = 0; c < kChunks; ++c) q[c] = _mm512_loadu_ps(head.q + 16 * c);
  float max = -INFINITY;
  for (int p = 0; p < head.positions; ++p) {
    const float* k = head.keys + p * head.stride;
    __m512 acc = _mm512_mul_ps(q[0], _mm512_loadu_ps(k));
#pragma GCC unroll 8
    for (int c = 1; c < kChunks; ++c) acc = _mm512_fmadd_ps(q[c], _mm512_loadu_ps(k + 16 * c), acc);
    scores[p] = quant::x86::SumLanes(acc) * head.scale;
    max = std::max(max, scores[p]);
  }
  float sum = 0;
  for (int p = 0; p < head.positions; ++p) sum += scores[p] = std::exp(scores[p] - max);
  __m512 acc[kChunks];
#pragma GCC unroll 8
  for (int c = 0; c < kChunks; ++c) acc[c] = _mm512_setzero_ps();
  for (int p = 0; p < head.positions; ++p) {
    const float* v = head.values + p * head.stride;
    const __m512 weight = _mm512_set1_ps(scores[p]);
#pragma GCC unroll 8
    for (int c = 0; c < kChunks; ++c)
      acc[c] = _mm512_fmadd_ps(weight, _mm512_loadu_ps(v + 16 * c), acc[c]);
  }
  const __m512 inv_sum = _mm512_set1_ps(1.0f / sum);
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
