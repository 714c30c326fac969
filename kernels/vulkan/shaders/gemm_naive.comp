#version 450
// C = A * B, fp32, row-major, one invocation per element of C straight from
// global memory: the baseline the tiled kernel is measured against.

layout(local_size_x = 16, local_size_y = 16) in;

layout(std430, set = 0, binding = 0) readonly buffer MatA { float a[]; };
layout(std430, set = 0, binding = 1) readonly buffer MatB { float b[]; };
layout(std430, set = 0, binding = 2) writeonly buffer MatC { float c[]; };
layout(push_constant) uniform Shape { uint M; uint N; uint K; } shape;

void main() {
  const uint col = gl_GlobalInvocationID.x;
  const uint row = gl_GlobalInvocationID.y;
  if (row >= shape.M || col >= shape.N) return;
  float sum = 0.0;
  for (uint k = 0; k < shape.K; ++k) sum = fma(a[row * shape.K + k], b[k * shape.N + col], sum);
  c[row * shape.N + col] = sum;
}
