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

// One head's attention: out[0, head_dim) = sum_p softmax_p(scale * q . k_p)
// * v_p over positions p in [0, positions). Keys are stored transposed, one
// row per dimension (k_p[i] = keys_t[i * key_stride + p]), so that scores of
// consecutive positions are computed side by side; v_p = values + p *
// value_stride. `scores` is scratch of `positions` floats.
struct AttentionHead {
  const float* q = nullptr;
  const float* keys_t = nullptr;
  int64_t key_stride = 0;
  const float* values = nullptr;
  int64_t value_stride = 0;
  int positions = 0;
  int head_dim = 0;
  float scale = 1;
};
using AttendHeadFn = void (*)(const AttentionHead& head, float* scores, float* out);

void AttendHeadRef(const AttentionHead& head, float* scores, float* out);
// Requires AVX-512 F and AttendHeadAvx512Handles(head_dim). Its exp is a
// polynomial with a relative error below 2e-7, against expf's 1 ulp.
void AttendHeadAvx512(const AttentionHead& head, float* scores, float* out);
// head_dim a multiple of 16, at most 128 (the values stay in registers).
bool AttendHeadAvx512Handles(int head_dim);

// The version for `isa` and `head_dim`: AVX-512 at kAvx512Vnni when it
// handles head_dim, else the reference.
AttendHeadFn AttendHeadFor(quant::Isa isa, int head_dim);

}  // namespace gridbench::kernels::llama::internal

#endif  // GRIDBENCH_KERNELS_LLAMA_LLAMA_CPU_ATTENTION_H_
