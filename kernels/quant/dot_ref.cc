// Scalar reference dot products and the reference kernel table. Integer sums
// within a block are exact; blocks are accumulated in double, so these are
// at least as accurate as any optimised variant.
#include "kernels/quant/fp16.h"
#include "kernels/quant/kernel_table.h"

namespace gridbench::kernels::quant::internal {
namespace {

float DotF32Ref(int64_t n, const void* w, const void* a) {
  const float* x = static_cast<const float*>(w);
  const float* y = static_cast<const float*>(a);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * y[i];
  return static_cast<float>(sum);
}

float DotF16Ref(int64_t n, const void* w, const void* a) {
  const uint16_t* x = static_cast<const uint16_t*>(w);
  const float* y = static_cast<const float*>(a);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(Fp16ToFp32(x[i])) * y[i];
  return static_cast<float>(sum);
}

float DotQ8_0Ref(int64_t n, const void* w, const void* a) {
  const BlockQ8_0* x = static_cast<const BlockQ8_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  double sum = 0;
  for (int64_t b = 0; b < n / kQK0; ++b) {
    int isum = 0;
    for (int j = 0; j < kQK0; ++j) isum += x[b].qs[j] * y[b].qs[j];
    sum += static_cast<double>(Fp16ToFp32(x[b].d)) * Fp16ToFp32(y[b].d) * isum;
  }
  return static_cast<float>(sum);
}

float DotQ4_0Ref(int64_t n, const void* w, const void* a) {
  const BlockQ4_0* x = static_cast<const BlockQ4_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  double sum = 0;
  for (int64_t b = 0; b < n / kQK0; ++b) {
    int isum = 0;
    for (int j = 0; j < kQK0 / 2; ++j) {
      isum += ((x[b].qs[j] & 0xF) - 8) * y[b].qs[j];
      isum += ((x[b].qs[j] >> 4) - 8) * y[b].qs[j + kQK0 / 2];
    }
    sum += static_cast<double>(Fp16ToFp32(x[b].d)) * Fp16ToFp32(y[b].d) * isum;
  }
  return static_cast<float>(sum);
}

float DotQ4_KRef(int64_t n, const void* w, const void* a) {
  const BlockQ4_K* x = static_cast<const BlockQ4_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  double sum = 0;
  for (int64_t b = 0; b < n / kQKK; ++b) {
    const double d = static_cast<double>(Fp16ToFp32(x[b].d)) * y[b].d;
    const double dmin = static_cast<double>(Fp16ToFp32(x[b].dmin)) * y[b].d;
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      UnpackQ4KScaleMin(j, x[b].scales, &sc, &m);
      const uint8_t* q = x[b].qs + 32 * (j / 2);
      const int shift = (j % 2) * 4;
      int isum = 0;
      for (int l = 0; l < 32; ++l) isum += ((q[l] >> shift) & 0xF) * y[b].qs[32 * j + l];
      const int asum = y[b].bsums[2 * j] + y[b].bsums[2 * j + 1];
      sum += d * sc * isum - dmin * m * asum;
    }
  }
  return static_cast<float>(sum);
}

float DotQ6_KRef(int64_t n, const void* w, const void* a) {
  const BlockQ6_K* x = static_cast<const BlockQ6_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  double sum = 0;
  for (int64_t b = 0; b < n / kQKK; ++b) {
    // Unpack the 6-bit quants into value order (layout: quantize_kquants_ref.cc).
    int q[kQKK];
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = x[b].ql + 64 * h;
      const uint8_t* qh = x[b].qh + 32 * h;
      for (int l = 0; l < 32; ++l) {
        q[128 * h + l] = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        q[128 * h + l + 32] = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        q[128 * h + l + 64] = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        q[128 * h + l + 96] = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      }
    }
    const double d = static_cast<double>(Fp16ToFp32(x[b].d)) * y[b].d;
    for (int j = 0; j < 16; ++j) {
      int isum = 0;
      for (int l = 0; l < 16; ++l) isum += q[16 * j + l] * y[b].qs[16 * j + l];
      sum += d * x[b].scales[j] * isum;
    }
  }
  return static_cast<float>(sum);
}

}  // namespace

const KernelTable& RefKernelTable() {
  static const KernelTable table = {
      .isa = Isa::kRef,
      .dot_f32 = DotF32Ref,
      .dot_f16 = DotF16Ref,
      .dot_q8_0 = DotQ8_0Ref,
      .dot_q4_0 = DotQ4_0Ref,
      .dot_q4_K = DotQ4_KRef,
      .dot_q6_K = DotQ6_KRef,
      .to_fp16 = Fp32ToFp16RowRef,
      .from_fp16 = Fp16ToFp32RowRef,
  };
  return table;
}

const KernelTable& TableFor(Isa isa) {
  switch (isa) {
    case Isa::kRef:
      return RefKernelTable();
    case Isa::kAvx2:
      return Avx2KernelTable();
    case Isa::kAvx512Vnni:
      return Avx512VnniKernelTable();
  }
  __builtin_trap();  // Isa values only come from the enumerators.
}

}  // namespace gridbench::kernels::quant::internal
