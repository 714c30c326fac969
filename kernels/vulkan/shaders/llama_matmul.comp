#version 450
// The llama forward pass's matrix products (llama_vulkan.h): for each of the
// n activation rows t (the dispatch's y dimension) and weight row r (its x
// dimension),
//   state[y_offset + t * rows + r] (+)= sum_c W[r][c] * state[x_offset + t * cols + c]
// with W stored in ggml's layout for one type (compiled once per type with
// -DF32, -DF16, -DQ8_0, -DQ4_0, -DQ4_K or -DQ6_K) and dequantized here, value
// by value. A workgroup computes ROWS outputs of one activation row; the
// THREADS / ROWS invocations of each stride over its weight row and their
// partial sums are reduced in shared memory. Each output is summed in the same
// order whatever n is, so a batch's logits equal single steps'. `accumulate`
// adds the product to what is there (the residual adds).
//
// Weights are read as bytes of 32-bit words, so no 8/16-bit storage feature
// is needed and blocks may start at any byte.

layout(constant_id = 0) const uint THREADS = 64;
layout(constant_id = 1) const uint ROWS = 4;
layout(local_size_x_id = 0) in;
// Few invocations per row keep the reduction short: barriers are what costs
// most on a CPU device (lavapipe).
const uint THREADS_PER_ROW = THREADS / ROWS;

layout(std430, set = 0, binding = 0) readonly buffer Weights { uint w[]; };
layout(std430, set = 0, binding = 1) buffer State { float state[]; };
layout(push_constant) uniform Args {
  uint rows;
  uint cols;
  uint w_offset;  // bytes, a multiple of 4
  uint x_offset;  // floats
  uint y_offset;  // floats
  uint accumulate;
} args;

shared float partial[THREADS];

uint byte_at(uint b) { return (w[b >> 2] >> ((b & 3u) * 8u)) & 0xffu; }
uint half_at(uint b) { return byte_at(b) | (byte_at(b + 1) << 8); }
float fp16_at(uint b) { return unpackHalf2x16(half_at(b)).x; }
int int8_at(uint b) { return int(byte_at(b) << 24) >> 24; }

// Value i of the row whose first byte is `row`.
float weight(uint row, uint i) {
#if defined(F32)
  return uintBitsToFloat(w[(row >> 2) + i]);
#elif defined(F16)
  return fp16_at(row + 2 * i);
#elif defined(Q8_0)
  const uint block = row + (i / 32) * 34;
  return fp16_at(block) * float(int8_at(block + 2 + i % 32));
#elif defined(Q4_0)
  const uint block = row + (i / 32) * 18;
  const uint j = i % 32;
  const uint q = (byte_at(block + 2 + j % 16) >> (j < 16 ? 0 : 4)) & 15u;
  return fp16_at(block) * (float(q) - 8.0);
#elif defined(Q4_K)
  // d, dmin, 12 bytes of 6-bit scales and mins, then 128 bytes of nibbles:
  // byte 32c + l holds value 64c + l (low) and 64c + 32 + l (high).
  const uint block = row + (i / 256) * 144;
  const uint j = i % 256;
  const uint sub = j / 32;
  const uint scales = block + 4;
  uint sc, m;
  if (sub < 4) {
    sc = byte_at(scales + sub) & 63u;
    m = byte_at(scales + sub + 4) & 63u;
  } else {
    sc = (byte_at(scales + sub + 4) & 15u) | ((byte_at(scales + sub - 4) >> 6) << 4);
    m = (byte_at(scales + sub + 4) >> 4) | ((byte_at(scales + sub) >> 6) << 4);
  }
  const uint q = (byte_at(block + 16 + 32 * (j / 64) + j % 32) >> ((sub & 1u) * 4u)) & 15u;
  return fp16_at(block) * float(sc) * float(q) - fp16_at(block + 2) * float(m);
#elif defined(Q6_K)
  // 128 bytes ql, 64 bytes qh, 16 int8 scales, d. Each half h of 128 values
  // takes ql[64h..], qh[32h..], scales[8h..]; its quarter k (32 values, l =
  // 0..31) has low bits in ql[64h + l + 32 (k & 1)] (high nibble when k >= 2)
  // and high bits in bits 2k, 2k + 1 of qh[32h + l].
  const uint block = row + (i / 256) * 210;
  const uint j = i % 256;
  const uint h = j / 128, k = (j % 128) / 32, l = j % 32;
  const uint low = (byte_at(block + 64 * h + l + 32 * (k & 1u)) >> (k >= 2 ? 4 : 0)) & 15u;
  const uint high = (byte_at(block + 128 + 32 * h + l) >> (2 * k)) & 3u;
  const int scale = int8_at(block + 192 + 8 * h + l / 16 + 2 * k);
  return fp16_at(block + 208) * float(scale) * float(int(low | (high << 4)) - 32);
#else
#error "define the weight type"
#endif
}

uint row_bytes() {
#if defined(F32)
  return args.cols * 4;
#elif defined(F16)
  return args.cols * 2;
#elif defined(Q8_0)
  return args.cols / 32 * 34;
#elif defined(Q4_0)
  return args.cols / 32 * 18;
#elif defined(Q4_K)
  return args.cols / 256 * 144;
#else
  return args.cols / 256 * 210;
#endif
}

void main() {
  const uint tid = gl_LocalInvocationID.x;
  const uint lane = tid % THREADS_PER_ROW;
  const uint r = gl_WorkGroupID.x * ROWS + tid / THREADS_PER_ROW;
  const uint t = gl_WorkGroupID.y;
  float sum = 0.0;
  if (r < args.rows) {
    const uint row = args.w_offset + r * row_bytes();
    const uint x = args.x_offset + t * args.cols;
    for (uint i = lane; i < args.cols; i += THREADS_PER_ROW) sum += weight(row, i) * state[x + i];
  }
  partial[tid] = sum;
  barrier();
  for (uint stride = THREADS_PER_ROW / 2; stride > 0; stride /= 2) {
    if (lane < stride) partial[tid] += partial[tid + stride];
    barrier();
  }
  if (lane == 0 && r < args.rows) {
    const uint y = args.y_offset + t * args.rows + r;
    state[y] = (args.accumulate != 0 ? state[y] : 0.0) + partial[tid];
  }
}
