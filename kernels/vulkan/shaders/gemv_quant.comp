#version 450
// y = W x for weights in ggml's Q8_0 or Q4_0 block layout (compiled twice,
// with -DQ8_0 or -DQ4_0). One workgroup per row; groups of invocations stride
// over the row's 32-value blocks and the partial sums are reduced in shared
// memory.
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

// Four invocations share a block, each taking a quarter of its bytes, so a
// subgroup's loads cover a few contiguous cache lines rather than one line per
// invocation.
const uint PARTS = 4;

shared float partial[THREADS];

uint load_half(uint h) { return (w[h >> 1] >> ((h & 1u) * 16u)) & 0xffffu; }

// Quarter `part` of the dot product of block `block` with
// x[32 * block .. 32 * block + 31].
float block_part_dot(uint first_half, uint block, uint part) {
  const float d = unpackHalf2x16(load_half(first_half)).x;
#if defined(Q8_0)
  // qs bytes 8 part .. 8 part + 7 are values 8 part .. 8 part + 7, signed.
  const uint h = first_half + 1 + part * 4;
  const uint u0 = load_half(h) | (load_half(h + 1) << 16);
  const uint u1 = load_half(h + 2) | (load_half(h + 3) << 16);
  const vec4 q0 = vec4(float(int(u0 << 24) >> 24), float(int(u0 << 16) >> 24),
                       float(int(u0 << 8) >> 24), float(int(u0) >> 24));
  const vec4 q1 = vec4(float(int(u1 << 24) >> 24), float(int(u1 << 16) >> 24),
                       float(int(u1 << 8) >> 24), float(int(u1) >> 24));
  return d * (dot(q0, x[block * 8 + part * 2]) + dot(q1, x[block * 8 + part * 2 + 1]));
#else
  // qs byte i holds value i in its low nibble and value i + 16 in its high;
  // this part takes bytes 4 part .. 4 part + 3.
  const uint h = first_half + 1 + part * 2;
  const uint u = load_half(h) | (load_half(h + 1) << 16);
  const vec4 low = vec4(float(u & 15u), float((u >> 8) & 15u), float((u >> 16) & 15u),
                        float((u >> 24) & 15u)) - 8.0;
  const vec4 high = vec4(float((u >> 4) & 15u), float((u >> 12) & 15u), float((u >> 20) & 15u),
                         float(u >> 28)) - 8.0;
  return d * (dot(low, x[block * 8 + part]) + dot(high, x[block * 8 + 4 + part]));
#endif
}

void main() {
  const uint row = gl_WorkGroupID.x;
  const uint tid = gl_LocalInvocationID.x;
  const uint blocks = shape.cols / 32;
  const uint part = tid % PARTS;
  float sum = 0.0;
  for (uint blk = tid / PARTS; blk < blocks; blk += THREADS / PARTS) {
    sum += block_part_dot((row * blocks + blk) * HALVES_PER_BLOCK, blk, part);
  }
  partial[tid] = sum;
  barrier();
  for (uint stride = THREADS / 2; stride > 0; stride /= 2) {
    if (tid < stride) partial[tid] += partial[tid + stride];
    barrier();
  }
  if (tid == 0) y[row] = partial[0];
}
