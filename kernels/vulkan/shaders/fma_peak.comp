#version 450
// FP32 peak probe: each invocation runs eight independent FMA chains (enough
// to hide FMA latency) for `iterations` x 16 steps, then stores one value so
// the work cannot be optimised away. FLOPs = invocations * iterations * 256.

layout(local_size_x = 256) in;

layout(std430, set = 0, binding = 0) writeonly buffer Out { float result[]; };
layout(push_constant) uniform Params { uint iterations; float mul; float add; } params;

#define STEP                \
  v0 = fma(v0, m, a);       \
  v1 = fma(v1, m, a);

void main() {
  const float seed = float(gl_GlobalInvocationID.x);
  vec4 v0 = vec4(seed, seed + 1.0, seed + 2.0, seed + 3.0);
  vec4 v1 = v0 + 4.0;
  const vec4 m = vec4(params.mul);
  const vec4 a = vec4(params.add);
  for (uint i = 0; i < params.iterations; ++i) {
    STEP STEP STEP STEP STEP STEP STEP STEP
    STEP STEP STEP STEP STEP STEP STEP STEP
  }
  const vec4 s = v0 + v1;
  result[gl_GlobalInvocationID.x] = s.x + s.y + s.z + s.w;
}
