// Reference quantizers for the 32-value formats and for Q8_K.
#include "kernels/quant/quantize_ref.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/quant/fp16.h"

namespace gridbench::kernels::quant {

float InverseScale(float d) {
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  return std::isfinite(id) ? id : 0.0f;
}

void QuantizeRowQ8_0Ref(const float* x, BlockQ8_0* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK0; ++b, x += kQK0) {
    float amax = 0.0f;
    for (int j = 0; j < kQK0; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127;
    const float id = InverseScale(d);
    y[b].d = Fp32ToFp16(d);
    for (int j = 0; j < kQK0; ++j) y[b].qs[j] = static_cast<int8_t>(std::roundf(x[j] * id));
  }
}

void DequantizeRowQ8_0(const BlockQ8_0* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK0; ++b) {
    const float d = Fp16ToFp32(x[b].d);
    for (int j = 0; j < kQK0; ++j) *y++ = x[b].qs[j] * d;
  }
}

void QuantizeRowQ4_0Ref(const float* x, BlockQ4_0* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK0; ++b, x += kQK0) {
    // The signed value of largest magnitude maps to -8, so the full range
    // -8..7 is used on the side where it matters.
    float amax = 0.0f;
    float max = 0.0f;
    for (int j = 0; j < kQK0; ++j) {
      if (amax < std::fabs(x[j])) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -8;
    const float id = InverseScale(d);
    y[b].d = Fp32ToFp16(d);
    for (int j = 0; j < kQK0 / 2; ++j) {
      // Truncation after adding 8.5 rounds half up; the scaled value can be
      // 16 only for the extreme element of the other sign, hence the min.
      const uint8_t lo = std::min(15, static_cast<int>(static_cast<int8_t>(x[j] * id + 8.5f)));
      const uint8_t hi =
          std::min(15, static_cast<int>(static_cast<int8_t>(x[j + kQK0 / 2] * id + 8.5f)));
      y[b].qs[j] = static_cast<uint8_t>(lo | (hi << 4));
    }
  }
}

void DequantizeRowQ4_0(const BlockQ4_0* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQK0; ++b, y += kQK0) {
    const float d = Fp16ToFp32(x[b].d);
    for (int j = 0; j < kQK0 / 2; ++j) {
      y[j] = ((x[b].qs[j] & 0x0F) - 8) * d;
      y[j + kQK0 / 2] = ((x[b].qs[j] >> 4) - 8) * d;
    }
  }
}

void QuantizeRowQ8_KRef(const float* x, BlockQ8_K* y, int64_t n) {
  for (int64_t b = 0; b < n / kQKK; ++b, x += kQKK) {
    float amax = 0.0f;
    float max = 0.0f;
    for (int j = 0; j < kQKK; ++j) {
      if (std::fabs(x[j]) > amax) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    std::memset(&y[b], 0, sizeof(BlockQ8_K));
    if (amax == 0.0f) continue;
    // ggml uses 127 rather than 128 so that every q fits a symmetric range.
    const float iscale = -127.0f / max;
    for (int j = 0; j < kQKK; ++j) {
      y[b].qs[j] = static_cast<int8_t>(std::min(127L, std::lrintf(iscale * x[j])));
    }
    for (int j = 0; j < kQKK / 16; ++j) {
      int sum = 0;
      for (int i = 0; i < 16; ++i) sum += y[b].qs[16 * j + i];
      y[b].bsums[j] = static_cast<int16_t>(sum);
    }
    y[b].d = 1 / iscale;
  }
}

void DequantizeRowQ8_K(const BlockQ8_K* x, float* y, int64_t n) {
  for (int64_t b = 0; b < n / kQKK; ++b) {
    for (int j = 0; j < kQKK; ++j) *y++ = x[b].d * x[b].qs[j];
  }
}

}  // namespace gridbench::kernels::quant
