#include "kernels/vulkan/reference.h"

#include <bit>
#include <cmath>

namespace gridbench::kernels::vulkan {

size_t QuantBlockBytes(QuantType type) {
  return type == QuantType::kQ8_0 ? kQ8_0BlockBytes : kQ4_0BlockBytes;
}

float HalfToFloat(uint16_t half) {
  const int sign = (half >> 15) ? -1 : 1;
  const int exponent = (half >> 10) & 0x1f;
  const int mantissa = half & 0x3ff;
  if (exponent == 0) return sign * std::ldexp(static_cast<float>(mantissa), -24);
  if (exponent == 31) return mantissa == 0 ? sign * INFINITY : NAN;
  return sign * std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
}

uint16_t FloatToHalf(float value) {
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const float magnitude = std::fabs(value);
  if (std::isnan(value)) return sign | 0x7e00;
  if (magnitude >= 65520.0f) return sign | 0x7c00;  // rounds to infinity
  if (magnitude < std::ldexp(1.0f, -14)) {
    // Subnormal: units of 2^-24, rounded to nearest even by nearbyint.
    return sign | static_cast<uint16_t>(std::nearbyint(std::ldexp(magnitude, 24)));
  }
  int exponent;
  const float fraction = std::frexp(magnitude, &exponent);  // magnitude = fraction * 2^exponent
  // 11 significant bits; a carry into bit 11 correctly bumps the exponent.
  const uint32_t significand = static_cast<uint32_t>(std::nearbyint(std::ldexp(fraction, 11)));
  return sign | static_cast<uint16_t>(((exponent + 14) << 10) + (significand - 0x400));
}

std::vector<float> GemmRef(std::span<const float> a, std::span<const float> b, size_t m, size_t n,
                           size_t k) {
  std::vector<float> c(m * n);
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < n; ++j) {
      double sum = 0;
      for (size_t p = 0; p < k; ++p) sum += double{a[i * k + p]} * double{b[p * n + j]};
      c[i * n + j] = static_cast<float>(sum);
    }
  }
  return c;
}

void DequantizeBlockRef(QuantType type, const uint8_t* block, float* out) {
  const float d = HalfToFloat(static_cast<uint16_t>(block[0] | (block[1] << 8)));
  const uint8_t* qs = block + 2;
  if (type == QuantType::kQ8_0) {
    for (size_t i = 0; i < 32; ++i) out[i] = d * static_cast<int8_t>(qs[i]);
    return;
  }
  for (size_t i = 0; i < 16; ++i) {
    out[i] = d * ((qs[i] & 0x0f) - 8);
    out[i + 16] = d * ((qs[i] >> 4) - 8);
  }
}

std::vector<float> QuantGemvRef(QuantType type, std::span<const uint8_t> weights, size_t rows,
                                size_t cols, std::span<const float> x) {
  const size_t blocks = cols / kQuantBlockValues;
  const size_t block_bytes = QuantBlockBytes(type);
  std::vector<float> y(rows);
  float values[kQuantBlockValues];
  for (size_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (size_t blk = 0; blk < blocks; ++blk) {
      DequantizeBlockRef(type, weights.data() + (r * blocks + blk) * block_bytes, values);
      for (size_t i = 0; i < kQuantBlockValues; ++i) {
        sum += double{values[i]} * double{x[blk * kQuantBlockValues + i]};
      }
    }
    y[r] = static_cast<float>(sum);
  }
  return y;
}

}  // namespace gridbench::kernels::vulkan
