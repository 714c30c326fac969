#include "kernels/llama/llama_cpu_attention.h"

#include <algorithm>
#include <cmath>

namespace gridbench::kernels::llama::internal {

namespace {

void AttendHead(const AttentionGroup& head, const float* q, float* scores, float* out) {
  float max = -INFINITY;
  for (int p = 0; p < head.positions; ++p) {
    float dot = 0;
    for (int i = 0; i < head.head_dim; ++i) dot += q[i] * head.keys_t[i * head.key_stride + p];
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

}  // namespace

void AttendGroupRef(const AttentionGroup& group, float* scores, float* out) {
  for (int g = 0; g < group.heads; ++g) {
    AttendHead(group, group.q + g * group.head_dim, scores, out + g * group.head_dim);
  }
}

AttendGroupFn AttendGroupFor(quant::Isa isa, int head_dim) {
  if (isa == quant::Isa::kAvx512Vnni && AttendGroupAvx512Handles(head_dim)) {
    return AttendGroupAvx512;
  }
  return AttendGroupRef;
}

}  // namespace gridbench::kernels::llama::internal
