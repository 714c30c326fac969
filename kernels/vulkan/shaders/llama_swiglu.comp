#version 450
// SwiGLU of the llama forward pass (llama_vulkan.h): for each of the n rows
// (the dispatch's y dimension) of `cols` values in the state buffer,
//   gate[t][i] = silu(gate[t][i]) * up[t][i].

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) buffer State { float state[]; };
layout(push_constant) uniform Args {
  uint cols;
  uint gate_offset;
  uint up_offset;
} args;

void main() {
  if (gl_GlobalInvocationID.x >= args.cols) return;
  const uint i = gl_GlobalInvocationID.y * args.cols + gl_GlobalInvocationID.x;
  const float g = state[args.gate_offset + i];
  state[args.gate_offset + i] = g / (1.0 + exp(-g)) * state[args.up_offset + i];
}
