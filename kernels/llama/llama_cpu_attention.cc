#include "kernels/llama/llama_cpu_attention.h"

#include <algorithm>
#include <cmath>

namespace gridbench::kernels::llama::internal {

void AttendHeadRef(const AttentionHead& head, float* scores, float* out) {
  float max = -INFINITY;
  for (int p = 0; p < head.positions; ++p) {
    float dot = 0;
    for (int i = 0; i < head.head_dim; ++i) dot += head.q[i] * head.keys_t[i * head.key_stride + p];
    scores[p] = dot * head.scale;
    max = std::max(max, scores[p]);
  }
  float sum = 0;
  for (int p = 0; p < head.positions; ++p) sum += scores[p] = std::exp(scores[p] - max);
  std::fill(out, out + head.head_dim, 0.0f);
  for (int p = 0; p < head.positions; ++p) {
    const float weight = scores[p] / sum;
    const float* v = head.values + p * head.value_stride;
    for (int i = 0; i < head.head_dim; ++i) out[i] += weight * v[i];
  }
}

AttendHeadFn AttendHeadFor(quant::Isa isa, int head_dim) {
  if (isa == quant::Isa::kAvx512Vnni && AttendHeadAvx512Handles(head_dim)) return AttendHeadAvx512;
  return AttendHeadRef;
}

}  // namespace gridbench::kernels::llama::internal
