#include "kernels/quant/fp16.h"

#include "kernels/quant/kernel_table.h"

namespace gridbench::kernels::quant {

void Fp32ToFp16RowRef(const float* x, uint16_t* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = Fp32ToFp16(x[i]);
}

void Fp16ToFp32RowRef(const uint16_t* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = Fp16ToFp32(x[i]);
}

void Fp32ToFp16Row(const float* x, uint16_t* y, int64_t n) {
  static const internal::ToFp16Fn fn =
      internal::Resolve(BestIsa(), &internal::KernelTable::to_fp16, nullptr);
  fn(x, y, n);
}

void Fp16ToFp32Row(const uint16_t* x, float* y, int64_t n) {
  static const internal::FromFp16Fn fn =
      internal::Resolve(BestIsa(), &internal::KernelTable::from_fp16, nullptr);
  fn(x, y, n);
}

}  // namespace gridbench::kernels::quant
