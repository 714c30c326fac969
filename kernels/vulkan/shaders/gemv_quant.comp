#version 450
// y = W x for weights in ggml's Q8_0 or Q4_0 block layout (compiled twice,
// with -DQ8_0 or -DQ4_0). One workgroup per row; invocations stride over the
// row's 32-value blocks and the partial sums are reduced in shared memory.
//
// Blocks are 34 (Q8_0) or 18 (Q4_0) bytes, so they start on 2-byte but not
// 4-byte boundaries: the weights are read as 16-bit halves of 32-bit words,
// which needs no 8/16-bit storage feature.

layout(constant_id = 0) const uint THREADS = 64;
layout(local_size_x_id = 0) in;

layout(std430, set = 0, binding = 0) readonly buffer Weights { uint w[]; };
layout(std430, set = 0, binding = 1) readonly buffer X { vec4 x[]; };
layout(std430, set = 0, binding = 2) writeonly buffer Y { float y[]; };
layout(push_constant) uniform Shape { uint rows; uint cols; } shape;

#if defined(Q8_0)
const uint HALVES_PER_BLOCK = 17;  // fp16 d + 32 x int8
#elif defined(Q4_0)
const uint HALVES_PER_BLOCK = 9;   // fp16 d + 16 bytes of nibbles
#else
#error "define Q8_0 or Q4_0"
#endif

shared float partial[THREADS];

uint load_half(uint h) { return (w[h >> 1] >> ((h & 1u) * 16u)) & 0xffffu; }

// The dot product of one block with x[32 * block .. 32 * block + 31].
float block_dot(uint first_half, uint block) {
  const float d = unpackHalf2x16(load_half(first_half)).x;
  float sum = 0.0;
#if defined(Q8_0)
  // Byte 2j and 2j+1 of qs are values 2j and 2j+1, signed.
  for (uint j = 0; j < 16; j += 2) {
    const uint lo = load_half(first_half + 1 + j);
    const uint hi = load_half(first_half + 2 + j);
    const vec4 q = vec4(float(int(lo << 24) >> 24), float(int(lo << 16) >> 24),
                        float(int(hi << 24) >> 24), float(int(hi << 16) >> 24));
    sum += dot(q, x[block * 8 + j / 2]);
  }
#else
  // Byte i of qs holds value i in its low nibble and value i + 16 in its high.
  for (uint j = 0; j < 8; j += 2) {
    const uint u = load_half(first_half + 1 + j) | (load_half(first_half + 2 + j) << 16);
    const vec4 low = vec4(float(u & 15u), float((u >> 8) & 15u), float((u >> 16) & 15u),
                          float((u >> 24) & 15u)) - 8.0;
    const vec4 high = vec4(float((u >> 4) & 15u), float((u >> 12) & 15u),
                           float((u >> 20) & 15u), float((u >> 28) & 15u)) - 8.0;
    sum += dot(low, x[block * 8 + j / 2]) + dot(high, x[block * 8 + 4 + j / 2]);
  }
#endif
  return d * sum;
}

void main() {
  const uint row = gl_WorkGroupID.x;
  const uint tid = gl_LocalInvocationID.x;
  const uint blocks = shape.cols / 32;
  float sum = 0.0;
  for (uint blk = tid; blk < blocks; blk += THREADS) {
    sum += block_dot((row * blocks + blk) * HALVES_PER_BLOCK, blk);
  }
  partial[tid] = sum;
  barrier();
  for (uint stride = THREADS / 2; stride > 0; stride /= 2) {
    if (tid < stride) partial[tid] += partial[tid + stride];
    barrier();
  }
  if (tid == 0) y[row] = partial[0];
}
