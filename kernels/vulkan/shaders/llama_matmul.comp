#version 450
// The llama forward pass's matrix products (llama_vulkan.h): for each of the
// n activation rows t and weight rows r,
//   state[y_offset + t * rows + r] (+)= sum_c W[r][c] * state[x_offset + t * cols + c]
// with W stored in ggml's layout for one type (compiled once per type with
// -DF32, -DF16, -DQ8_0, -DQ4_0, -DQ4_K or -DQ6_K) and dequantized here, 32
// values (a chunk: a Q8_0/Q4_0 block, a Q4_K sub-block, a Q6_K quarter of a
// half) at a time. A workgroup computes ROWS weight rows for up to TOKENS
// activation rows, so a prompt batch dequantizes each chunk once per TOKENS
// rows; the THREADS / ROWS invocations of a weight row stride over its
// chunks and their partial sums are reduced in shared memory. Each output is
// summed in the same order whatever n is, so a batch's logits equal single
// steps'. `accumulate` adds the product to what is there (the residual adds).
//
// Weights are read as 32-bit words at any byte offset (blocks of 34, 18 and
// 210 bytes do not keep 4-byte alignment), so no 8/16-bit storage feature is
// needed; the weight buffer has one word of padding past the last matrix.

layout(constant_id = 0) const uint THREADS = 64;
layout(constant_id = 1) const uint ROWS = 4;
layout(constant_id = 2) const uint TOKENS = 8;
layout(local_size_x_id = 0) in;
// Neighbouring invocations read neighbouring chunks of a row.
const uint THREADS_PER_ROW = THREADS / ROWS;

layout(std430, set = 0, binding = 0) readonly buffer Weights { uint w[]; };
layout(std430, set = 0, binding = 1) buffer State { float state[]; };
layout(push_constant) uniform Args {
  uint n;  // activation rows
  uint rows;
  uint cols;
  uint w_offset;  // bytes, a multiple of 4
  uint x_offset;  // floats
  uint y_offset;  // floats
  uint accumulate;
} args;

shared float partial[TOKENS * THREADS];  // [token][invocation]

// The 4 bytes from byte b on, little-endian.
uint word_at(uint b) {
  const uint shift = (b & 3u) * 8u;
  const uint lo = w[b >> 2];
  return shift == 0 ? lo : (lo >> shift) | (w[(b >> 2) + 1] << (32u - shift));
}
uint byte_at(uint b) { return (w[b >> 2] >> ((b & 3u) * 8u)) & 0xffu; }
float fp16_at(uint b) { return unpackHalf2x16(word_at(b)).x; }
int int8_of(uint word, uint i) { return int(word << (24u - 8u * i)) >> 24; }

// Values 32 c .. 32 c + 31 of the row whose first byte is `row`.
void dequantize_chunk(uint row, uint c, out float v[32]) {
#if defined(F32)
  for (uint j = 0; j < 32; ++j) v[j] = uintBitsToFloat(w[(row >> 2) + 32 * c + j]);
#elif defined(F16)
  for (uint j = 0; j < 16; ++j) {
    const vec2 pair = unpackHalf2x16(w[(row >> 2) + 16 * c + j]);
    v[2 * j] = pair.x;
    v[2 * j + 1] = pair.y;
  }
#elif defined(Q8_0)
  // fp16 d, then 32 int8 quants.
  const uint block = row + c * 34;
  const float d = fp16_at(block);
  for (uint m = 0; m < 8; ++m) {
    const uint q = word_at(block + 2 + 4 * m);
    for (uint i = 0; i < 4; ++i) v[4 * m + i] = d * float(int8_of(q, i));
  }
#elif defined(Q4_0)
  // fp16 d, then 16 bytes: byte i holds value i (low nibble) and i + 16.
  const uint block = row + c * 18;
  const float d = fp16_at(block);
  for (uint m = 0; m < 4; ++m) {
    const uint q = word_at(block + 2 + 4 * m);
    for (uint i = 0; i < 4; ++i) {
      v[4 * m + i] = d * (float((q >> (8 * i)) & 15u) - 8.0);
      v[4 * m + i + 16] = d * (float((q >> (8 * i + 4)) & 15u) - 8.0);
    }
  }
#elif defined(Q4_K)
  // fp16 d and dmin, 12 bytes of 6-bit scales and mins (sub-block j < 4:
  // bytes j and j + 4; j >= 4: low 4 bits in byte j + 4, high 2 bits atop
  // bytes j - 4 and j), then 128 bytes of nibbles: byte 32 p + l holds value
  // 64 p + l (low) and 64 p + 32 + l (high).
  const uint block = row + (c / 8) * 144;
  const uint sub = c % 8;
  const uint scales = block + 4;
  uint sc, m;
  if (sub < 4) {
    sc = byte_at(scales + sub) & 63u;
    m = byte_at(scales + sub + 4) & 63u;
  } else {
    sc = (byte_at(scales + sub + 4) & 15u) | ((byte_at(scales + sub - 4) >> 6) << 4);
    m = (byte_at(scales + sub + 4) >> 4) | ((byte_at(scales + sub) >> 6) << 4);
  }
  const vec2 dm = unpackHalf2x16(w[block >> 2]);
  const float scale = dm.x * float(sc), min = dm.y * float(m);
  const uint shift = (sub & 1u) * 4u;
  for (uint k = 0; k < 8; ++k) {
    const uint q = w[((block + 16 + 32 * (sub / 2)) >> 2) + k] >> shift;
    for (uint i = 0; i < 4; ++i) v[4 * k + i] = scale * float((q >> (8 * i)) & 15u) - min;
  }
#elif defined(Q6_K)
  // 128 bytes ql, 64 bytes qh, 16 int8 scales, fp16 d. Quarter k (32 values,
  // l = 0..31) of half h has low bits in ql[64 h + 32 (k & 1) + l] (high
  // nibble when k >= 2), high bits in bits 2k, 2k + 1 of qh[32 h + l], and
  // scales[8 h + 2 k + l / 16].
  const uint block = row + (c / 8) * 210;
  const uint h = (c % 8) / 4, k = c % 4;
  const float d = fp16_at(block + 208);
  const uint scale_pair = word_at(block + 192 + 8 * h + 2 * k);
  const float scale0 = d * float(int8_of(scale_pair, 0));
  const float scale1 = d * float(int8_of(scale_pair, 1));
  const uint low_shift = k >= 2 ? 4u : 0u;
  for (uint m = 0; m < 8; ++m) {
    const uint ql = word_at(block + 64 * h + 32 * (k & 1u) + 4 * m) >> low_shift;
    const uint qh = word_at(block + 128 + 32 * h + 4 * m) >> (2 * k);
    for (uint i = 0; i < 4; ++i) {
      const int q = int(((ql >> (8 * i)) & 15u) | (((qh >> (8 * i)) & 3u) << 4)) - 32;
      v[4 * m + i] = (m < 4 ? scale0 : scale1) * float(q);
    }
  }
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
  const uint first = gl_WorkGroupID.y * TOKENS;
  const uint count = min(TOKENS, args.n - first);
  // Loops over tokens run to TOKENS with a guard, so sums[] stays in registers.
  float sums[TOKENS];
  for (uint k = 0; k < TOKENS; ++k) sums[k] = 0.0;
  if (r < args.rows) {
    const uint row = args.w_offset + r * row_bytes();
    const uint x = args.x_offset + first * args.cols;
    for (uint c = lane; c < args.cols / 32; c += THREADS_PER_ROW) {
      float v[32];
      dequantize_chunk(row, c, v);
      for (uint k = 0; k < TOKENS; ++k) {
        if (k >= count) break;
        const uint at = x + k * args.cols + 32 * c;
        float dot = 0.0;
        for (uint j = 0; j < 32; ++j) dot += v[j] * state[at + j];
        sums[k] += dot;
      }
    }
  }
  for (uint k = 0; k < TOKENS; ++k) partial[k * THREADS + tid] = sums[k];
  barrier();
  for (uint stride = THREADS_PER_ROW / 2; stride > 0; stride /= 2) {
    if (lane < stride) {
      for (uint k = 0; k < TOKENS; ++k) {
        if (k >= count) break;
        partial[k * THREADS + tid] += partial[k * THREADS + tid + stride];
      }
    }
    barrier();
  }
  if (lane == 0 && r < args.rows) {
    for (uint k = 0; k < count; ++k) {
      const uint y = args.y_offset + (first + k) * args.rows + r;
      state[y] = (args.accumulate != 0 ? state[y] : 0.0) + partial[k * THREADS + tid];
    }
  }
}
