// Internal to kernels/llama: one query head's causal attention over the KV
// cache, the inner loop of LlamaCpuSession's attention. A plain reference
// and an AVX-512 version (llama_cpu_attention_avx512.cc, picked when the
// session's ISA allows it); tests run the session at both levels against
// the reference forward pass.
#ifndef GRIDBENCH_KERNELS_LLAMA_LLAMA_CPU_ATTENTION_H_
#define GRIDBENCH_KERNELS_LLAMA_LLAMA_CPU_ATTENTION_H_

#include <cstdint>

#include "kernels/quant/isa.h"

namespace gridbench::kernels::llama::internal {

// The attention of `heads` query heads that share one key/value head (one
// token, grouped-query attention): for each head g, out_g[0, head_dim) =
// sum_p softmax_p(scale * q_g . k_p) * v_p over positions p in [0,
// positions), where q_g = q + g * head_dim and out_g = out + g * head_dim.
// Keys are stored transposed, one row per dimension (k_p[i] = keys_t[i *
// key_stride + p]), so that scores of consecutive positions are computed
// side by side; v_p = values + p * value_stride. The heads are handled
// together so each key and value is loaded once for all of them.
struct AttentionGroup {
  const float* q = nullptr;
  int heads = 1;
  const float* keys_t = nullptr;
  int64_t key_stride = 0;
  const float* values = nullptr;
  int64_t value_stride = 0;
  int positions = 0;
  int head_dim = 0;
  float scale = 1;
};
// `scores` is scratch of heads * positions floats.
using AttendGroupFn = void (*)(const AttentionGroup& group, float* scores, float* out);

void AttendGroupRef(const AttentionGroup& group, float* scores, float* out);
// Requires AVX-512 F and AttendGroupAvx512Handles(head_dim). Its exp is a
// polynomial with a relative error below 2e-7, against expf's 1 ulp.
void AttendGroupAvx512(const AttentionGroup& group, float* scores, float* out);
// head_dim a multiple of 16, at most 128 (the values stay in registers).
bool AttendGroupAvx512Handles(int head_dim);

// The version for `isa` and `head_dim`: AVX-512 at kAvx512Vnni when it
// handles head_dim, else the reference.
AttendGroupFn AttendGroupFor(quant::Isa isa, int head_dim);

}  // namespace gridbench::kernels::llama::internal

#endif  // GRIDBENCH_KERNELS_LLAMA_LLAMA_CPU_ATTENTION_H_
