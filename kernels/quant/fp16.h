// IEEE 754 binary16 ("half", ggml's F16) <-> binary32 conversion.
//
// Fp32ToFp16 rounds to nearest, ties to even; values at or above 65520 in
// magnitude become infinity, NaN becomes the quiet NaN 0x7E00 (sign kept),
// and results below the normal range are correctly rounded subnormals.
// Fp16ToFp32 is exact. The scalar versions here are the reference; the row
// versions use F16C when the CPU has it and give bit-identical results.
//
// Thread-safety: pure functions.
#ifndef GRIDBENCH_KERNELS_QUANT_FP16_H_
#define GRIDBENCH_KERNELS_QUANT_FP16_H_

#include <bit>
#include <cstdint>

namespace gridbench::kernels::quant {

inline uint16_t Fp32ToFp16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  const uint32_t ax = x & 0x7FFFFFFF;
  if (ax > 0x7F800000) return sign | 0x7E00;   // NaN
  if (ax >= 0x47800000) return sign | 0x7C00;  // >= 2^16, or infinity
  if (ax >= 0x38800000) {
    // Normal half: re-bias the exponent (127 -> 15) and drop 13 mantissa
    // bits. A carry out of the mantissa correctly bumps the exponent, up to
    // infinity for values >= 65520.
    uint32_t h = (ax - 0x38000000) >> 13;
    const uint32_t rest = ax & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  if (ax < 0x33000000) return sign;  // Below 2^-25: rounds to zero.
  // Subnormal half, value = h * 2^-24. With the implicit bit, ax is
  // mant * 2^(e - 150), so h = mant >> (126 - e) rounded.
  const int e = static_cast<int>(ax >> 23);
  const uint32_t mant = (ax & 0x7FFFFF) | 0x800000;
  const int shift = 126 - e;  // 14..24
  uint32_t h = mant >> shift;
  const uint32_t rest = mant & ((1u << shift) - 1);
  const uint32_t half = 1u << (shift - 1);
  if (rest > half || (rest == half && (h & 1))) ++h;
  return static_cast<uint16_t>(sign | h);
}

inline float Fp16ToFp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1F;
  const uint32_t mant = h & 0x3FF;
  if (exp == 0) {
    const float v = static_cast<float>(mant) * 0x1p-24f;  // Exact.
    return sign ? -v : v;
  }
  if (exp == 31) return std::bit_cast<float>(sign | 0x7F800000 | (mant << 13));
  return std::bit_cast<float>(sign | ((exp + 112) << 23) | (mant << 13));
}

// Converts n values; uses F16C when available.
void Fp32ToFp16Row(const float* x, uint16_t* y, int64_t n);
void Fp16ToFp32Row(const uint16_t* x, float* y, int64_t n);

// The scalar reference row conversions, for tests.
void Fp32ToFp16RowRef(const float* x, uint16_t* y, int64_t n);
void Fp16ToFp32RowRef(const uint16_t* x, float* y, int64_t n);

}  // namespace gridbench::kernels::quant

#endif  // GRIDBENCH_KERNELS_QUANT_FP16_H_
