#version 450
#extension GL_EXT_control_flow_attributes : require
// C = A * B, fp32, row-major. Each workgroup computes a BM x BN tile of C,
// staging BK-wide slices of A and B in shared memory; each invocation keeps a
// TM x TN block of C in registers. Rows and columns of a thread's block are
// strided by BM/TM and BN/TN so that neighbouring invocations touch
// neighbouring addresses in shared and global memory.

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
// A's slice is stored transposed (k-major) so a thread reads its TM values
// from one row of the shared array.
shared float tile_a[BK * BM];
shared float tile_b[BK * BN];

void main() {
  const uint tid = gl_LocalInvocationID.x;
  const uint tx = tid % (BN / TN);
  const uint ty = tid / (BN / TN);
  const uint row0 = gl_WorkGroupID.y * BM;
  const uint col0 = gl_WorkGroupID.x * BN;
  const uint M = shape.M, N = shape.N, K = shape.K;

  float acc[TM * TN];
  [[unroll]] for (uint i = 0; i < TM * TN; ++i) acc[i] = 0.0;
  float ra[TM];
  float rb[TN];

  for (uint k0 = 0; k0 < K; k0 += BK) {
    for (uint i = tid; i < BM * BK; i += THREADS) {
      const uint r = i / BK, kk = i % BK;
      const uint gr = row0 + r, gk = k0 + kk;
      tile_a[kk * BM + r] = (gr < M && gk < K) ? a[gr * K + gk] : 0.0;
    }
    for (uint i = tid; i < BK * BN; i += THREADS) {
      const uint kk = i / BN, cc = i % BN;
      const uint gk = k0 + kk, gc = col0 + cc;
      tile_b[kk * BN + cc] = (gk < K && gc < N) ? b[gk * N + gc] : 0.0;
    }
    barrier();
    [[unroll]] for (uint kk = 0; kk < BK; ++kk) {
      [[unroll]] for (uint i = 0; i < TM; ++i) ra[i] = tile_a[kk * BM + ty + i * (BM / TM)];
      [[unroll]] for (uint j = 0; j < TN; ++j) rb[j] = tile_b[kk * BN + tx + j * (BN / TN)];
      [[unroll]] for (uint i = 0; i < TM; ++i) {
        [[unroll]] for (uint j = 0; j < TN; ++j) acc[i * TN + j] = fma(ra[i], rb[j], acc[i * TN + j]);
      }
    }
    barrier();
  }

  [[unroll]] for (uint i = 0; i < TM; ++i) {
    const uint gr = row0 + ty + i * (BM / TM);
    if (gr >= M) continue;
    [[unroll]] for (uint j = 0; j < TN; ++j) {
      const uint gc = col0 + tx + j * (BN / TN);
      if (gc < N) c[gr * N + gc] = acc[i * TN + j];
    }
  }
}
