#version 450
// RMSNorm of the llama forward pass (llama_vulkan.h), one workgroup per
// activation row t:
//   out[t][i] = x[t][i] / sqrt(mean(x[t]^2) + eps) * weight[i]
// with x, weight and out regions of the session's state buffer.

layout(constant_id = 0) const uint THREADS = 64;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) buffer State { float state[]; };
layout(push_constant) uniform Args {
  uint dim;
  uint x_offset;
  uint weight_offset;
  uint out_offset;
  float eps;
} args;

shared float partial[THREADS];

void main() {
  const uint tid = gl_LocalInvocationID.x;
  const uint x = args.x_offset + gl_WorkGroupID.x * args.dim;
  const uint out_row = args.out_offset + gl_WorkGroupID.x * args.dim;
  float sum = 0.0;
  for (uint i = tid; i < args.dim; i += THREADS) sum += state[x + i] * state[x + i];
  partial[tid] = sum;
  barrier();
  for (uint stride = THREADS / 2; stride > 0; stride /= 2) {
    if (tid < stride) partial[tid] += partial[tid + stride];
    barrier();
  }
  const float scale = 1.0 / sqrt(partial[0] / float(args.dim) + args.eps);
  for (uint i = tid; i < args.dim; i += THREADS) {
    state[out_row + i] = state[x + i] * scale * state[args.weight_offset + i];
  }
}
