// Scalar references and fallbacks for peak_kernels.h.
#include <cmath>
#include <cstdint>

#include "kernels/cpu/peak_kernels.h"

namespace gridbench::kernels::peak {
namespace {

// Hides `x`'s value from the optimiser, so a loop with constant inputs is not
// folded into a closed form. Emits no instructions.
// (volatile: an ordinary asm with equal inputs may be merged or hoisted.)
void Opaque(uint32_t& x) { __asm__ volatile("" : "+r"(x)); }
void Opaque(float& x) { __asm__ volatile("" : "+x"(x)); }

constexpr uint32_t kInt8U = 0x04030201;  // unsigned bytes {1, 2, 3, 4}, little-endian
constexpr uint32_t kInt8S = 0x0001ff01;  // signed bytes {1, -1, 1, 0}

int32_t Dot4(uint32_t u, uint32_t s) {
  int32_t sum = 0;
  for (int i = 0; i < 4; ++i) {
    sum += static_cast<int32_t>((u >> (8 * i)) & 0xff) * static_cast<int8_t>(s >> (8 * i));
  }
  return sum;
}

}  // namespace

float FmaChainReference(int64_t iterations) {
  float x = 0.0f;
  for (int64_t i = 0; i < iterations; ++i) {
    const float next = std::fma(x, kFmaMul, kFmaAdd);
    if (next == x) break;  // fixed point: every further step returns x
    x = next;
  }
  return x;
}

float FmaPeakScalar(int64_t iterations) {
  constexpr int kChains = 8;
  float x[kChains] = {};
  // Hidden start values keep the compiler from merging the equal chains.
  for (float& v : x) Opaque(v);
  for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
    for (float& v : x) v = v * kFmaMul + kFmaAdd;
  }
#pragma GCC unroll 16
  for (float v : x) {
    if (v != x[0]) return kFmaLanesDisagree;
  }
  return x[0];
}

int32_t Int8DotReference(int64_t iterations) {
  return static_cast<int32_t>(static_cast<uint32_t>(iterations) *
                              static_cast<uint32_t>(kInt8DotPerStep));
}

int32_t Int8DotPeakScalar(int64_t iterations) {
  constexpr int kChains = 4;
  uint32_t acc[kChains] = {};
  for (uint32_t& a : acc) Opaque(a);
  for (int64_t i = 0; i < iterations; ++i) {
#pragma GCC unroll 16
    for (uint32_t& a : acc) {
      uint32_t u = kInt8U;
      Opaque(u);
      a += static_cast<uint32_t>(Dot4(u, kInt8S));
    }
  }
#pragma GCC unroll 16
  for (uint32_t a : acc) {
    if (a != acc[0]) return kInt8LanesDisagree;
  }
  return static_cast<int32_t>(acc[0]);
}

}  // namespace gridbench::kernels::peak
