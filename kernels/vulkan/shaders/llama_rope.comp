#version 450
// RoPE of the llama forward pass (llama_vulkan.h), llama.cpp's "normal" mode:
// for each of the n rows t (positions start_pos + t) and heads of a region of
// the state buffer, pairs (x[2i], x[2i+1]) of a head turn by the angle whose
// cosine and sine the session's table holds for (position, i). One invocation
// per (row, head, pair); the dispatch's x dimension covers heads * pairs, y
// the rows.

layout(local_size_x = 64) in;

layout(std430, set = 0, binding = 0) buffer State { float state[]; };
layout(push_constant) uniform Args {
  uint x_offset;     // first row
  uint row_stride;   // floats from one row to the next
  uint heads;
  uint head_dim;
  uint start_pos;
  uint table_offset; // [position][head_dim / 2] of (cos, sin)
} args;

void main() {
  const uint pairs = args.head_dim / 2;
  const uint item = gl_GlobalInvocationID.x;
  if (item >= args.heads * pairs) return;
  const uint t = gl_GlobalInvocationID.y;
  const uint head = item / pairs, i = item % pairs;
  const uint at = args.x_offset + t * args.row_stride + head * args.head_dim + 2 * i;
  const uint angle = args.table_offset + ((args.start_pos + t) * pairs + i) * 2;
  const float c = state[angle], s = state[angle + 1];
  const float x0 = state[at], x1 = state[at + 1];
  state[at] = x0 * c - x1 * s;
  state[at + 1] = x0 * s + x1 * c;
}
