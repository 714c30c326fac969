#version 450
// Causal grouped-query attention of the llama forward pass (llama_vulkan.h).
// One workgroup per (query head, row t); row t is at position start_pos + t
// and attends to cached positions 0 .. start_pos + t of its key/value head
// head / (heads / kv_heads). The cache regions hold [position][kv_heads *
// head_dim]; queries and outputs [row][heads * head_dim].
//
// Positions are taken THREADS at a time, one per invocation, with a running
// maximum and sum (the online softmax), so no buffer of scores is needed.

layout(constant_id = 0) const uint THREADS = 64;
layout(local_size_x_id = 0) in;

// The session refuses models with longer heads.
const uint MAX_HEAD_DIM = 256;
const uint DIMS_PER_THREAD = (MAX_HEAD_DIM + THREADS - 1) / THREADS;

layout(std430, set = 0, binding = 0) buffer State { float state[]; };
layout(push_constant) uniform Args {
  uint start_pos;
  uint heads;
  uint kv_heads;
  uint head_dim;
  uint q_offset;
  uint k_offset;
  uint v_offset;
  uint out_offset;
  float scale;  // 1 / sqrt(head_dim)
} args;

shared float q[MAX_HEAD_DIM];
shared float weights[THREADS];
shared float reduce[THREADS];

void main() {
  const uint head = gl_WorkGroupID.x, t = gl_WorkGroupID.y;
  const uint tid = gl_LocalInvocationID.x;
  const uint pos = args.start_pos + t;
  const uint dim = args.heads * args.head_dim, kv_dim = args.kv_heads * args.head_dim;
  const uint kv_head_offset = head / (args.heads / args.kv_heads) * args.head_dim;
  for (uint d = tid; d < args.head_dim; d += THREADS) {
    q[d] = state[args.q_offset + t * dim + head * args.head_dim + d];
  }
  barrier();

  float running_max = -1e30, running_sum = 0.0;
  float acc[DIMS_PER_THREAD];
  for (uint k = 0; k < DIMS_PER_THREAD; ++k) acc[k] = 0.0;
  for (uint tile = 0; tile <= pos; tile += THREADS) {
    const uint p = tile + tid;
    float score = -1e30;
    if (p <= pos) {
      const uint key = args.k_offset + p * kv_dim + kv_head_offset;
      score = 0.0;
      for (uint d = 0; d < args.head_dim; ++d) score += q[d] * state[key + d];
      score *= args.scale;
    }
    reduce[tid] = score;
    barrier();
    for (uint stride = THREADS / 2; stride > 0; stride /= 2) {
      if (tid < stride) reduce[tid] = max(reduce[tid], reduce[tid + stride]);
      barrier();
    }
    const float new_max = max(running_max, reduce[0]);
    weights[tid] = p <= pos ? exp(score - new_max) : 0.0;
    barrier();
    const float correction = exp(running_max - new_max);
    const uint count = min(THREADS, pos + 1 - tile);
    float tile_sum = 0.0;
    for (uint j = 0; j < count; ++j) tile_sum += weights[j];
    running_sum = running_sum * correction + tile_sum;
    for (uint k = 0; k < DIMS_PER_THREAD; ++k) {
      const uint d = tid + k * THREADS;
      if (d >= args.head_dim) break;
      float sum = 0.0;
      for (uint j = 0; j < count; ++j) {
        sum += weights[j] * state[args.v_offset + (tile + j) * kv_dim + kv_head_offset + d];
      }
      acc[k] = acc[k] * correction + sum;
    }
    running_max = new_max;
    // weights and reduce are rewritten by the next tile.
    barrier();
  }
  for (uint k = 0; k < DIMS_PER_THREAD; ++k) {
    const uint d = tid + k * THREADS;
    if (d < args.head_dim) {
      state[args.out_offset + t * dim + head * args.head_dim + d] = acc[k] / running_sum;
    }
  }
}
