#version 450
#extension GL_EXT_control_flow_attributes : require
// C = A * B, fp32, row-major. Each workgroup computes a BM x BN tile of C,
// staging BK-deep slices of A and B in shared memory; each invocation keeps a
// TM x TN block of C in registers. Shared memory is read as vec4 (TM and TN
// are multiples of 4), and an invocation's groups of 4 rows / 4 columns are
// strided by BM/TM and BN/TN groups so that neighbouring invocations read
// neighbouring vec4s of shared memory and write neighbouring columns of C.

layout(constant_id = 0) const uint BM = 64;
layout(constant_id = 1) const uint BN = 64;
layout(constant_id = 2) const uint BK = 16;
layout(constant_id = 3) const uint TM = 4;
layout(constant_id = 4) const uint TN = 4;
// Must equal (BM / TM) * (BN / TN); the host sets both.
layout(local_size_x_id = 5) in;

layout(std430, set = 0, binding = 0) readonly buffer MatA { float a[]; };
layout(std430, set = 0, binding = 1) readonly buffer MatB { float b[]; };
layout(std430, set = 0, binding = 2) writeonly buffer MatC { float c[]; };
layout(push_constant) uniform Shape { uint M; uint N; uint K; } shape;

const uint THREADS = (BM / TM) * (BN / TN);
const uint GROUPS_X = BN / TN;  // invocations along a row of the C tile
const uint GROUPS_Y = BM / TM;  // invocations along a column of the C tile
// A's slice is stored transposed (k-major) so an invocation's rows for one k
// are consecutive: tile_a[kk][m], tile_b[kk][n], in vec4s.
shared vec4 tile_a[BK * BM / 4];
shared vec4 tile_b[BK * BN / 4];

void main() {
  const uint tid = gl_LocalInvocationID.x;
  const uint tx = tid % GROUPS_X;
  const uint ty = tid / GROUPS_X;
  const uint row0 = gl_WorkGroupID.y * BM;
  const uint col0 = gl_WorkGroupID.x * BN;
  const uint M = shape.M, N = shape.N, K = shape.K;

  // Component d of acc[(ii * 4 + q) * (TN / 4) + jj] is the tile's element at
  // row 4 (ty + ii GROUPS_Y) + q, column 4 (tx + jj GROUPS_X) + d.
  vec4 acc[TM * TN / 4];
  [[unroll]] for (uint i = 0; i < TM * TN / 4; ++i) acc[i] = vec4(0.0);
  vec4 ra[TM / 4];
  vec4 rb[TN / 4];

  for (uint k0 = 0; k0 < K; k0 += BK) {
    for (uint i = tid; i < BM * BK; i += THREADS) {
      const uint r = i / BK, kk = i % BK;
      const uint gr = row0 + r, gk = k0 + kk;
      tile_a[(kk * BM + r) / 4][r % 4] = (gr < M && gk < K) ? a[gr * K + gk] : 0.0;
    }
    for (uint i = tid; i < BK * BN; i += THREADS) {
      const uint kk = i / BN, cc = i % BN;
      const uint gk = k0 + kk, gc = col0 + cc;
      tile_b[(kk * BN + cc) / 4][cc % 4] = (gk < K && gc < N) ? b[gk * N + gc] : 0.0;
    }
    barrier();
    [[unroll]] for (uint kk = 0; kk < BK; ++kk) {
      [[unroll]] for (uint ii = 0; ii < TM / 4; ++ii) {
        ra[ii] = tile_a[kk * (BM / 4) + ty + ii * GROUPS_Y];
      }
      [[unroll]] for (uint jj = 0; jj < TN / 4; ++jj) {
        rb[jj] = tile_b[kk * (BN / 4) + tx + jj * GROUPS_X];
      }
      [[unroll]] for (uint ii = 0; ii < TM / 4; ++ii) {
        [[unroll]] for (uint q = 0; q < 4; ++q) {
          [[unroll]] for (uint jj = 0; jj < TN / 4; ++jj) {
            const uint idx = (ii * 4 + q) * (TN / 4) + jj;
            acc[idx] = fma(vec4(ra[ii][q]), rb[jj], acc[idx]);
          }
        }
      }
    }
    barrier();
  }

  [[unroll]] for (uint ii = 0; ii < TM / 4; ++ii) {
    [[unroll]] for (uint q = 0; q < 4; ++q) {
      const uint gr = row0 + (ty + ii * GROUPS_Y) * 4 + q;
      if (gr >= M) continue;
      [[unroll]] for (uint jj = 0; jj < TN / 4; ++jj) {
        const uint gc = col0 + (tx + jj * GROUPS_X) * 4;
        const vec4 v = acc[(ii * 4 + q) * (TN / 4) + jj];
        [[unroll]] for (uint d = 0; d < 4; ++d) {
          if (gc + d < N) c[gr * N + gc + d] = v[d];
        }
      }
    }
  }
}
