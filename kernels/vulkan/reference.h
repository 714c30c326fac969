// Plain scalar references for the Vulkan kernels: obviously right, slow, and
// what the tests compare the shaders with. Thread-safe (pure functions).
#ifndef GRIDBENCH_KERNELS_VULKAN_REFERENCE_H_
#define GRIDBENCH_KERNELS_VULKAN_REFERENCE_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace gridbench::kernels::vulkan {

// Bytes of one 32-value block: fp16 scale + 32 int8, and fp16 scale + 16
// bytes of nibbles (ggml's block_q8_0 and block_q4_0).
inline constexpr size_t kQ8_0BlockBytes = 34;
inline constexpr size_t kQ4_0BlockBytes = 18;
inline constexpr size_t kQuantBlockValues = 32;

enum class QuantType { kQ8_0, kQ4_0 };

// kQ8_0BlockBytes or kQ4_0BlockBytes.
size_t QuantBlockBytes(QuantType type);

// IEEE binary16 <-> binary32 (round to nearest even; handles subnormals,
// infinities and NaN).
float HalfToFloat(uint16_t half);
uint16_t FloatToHalf(float value);

// C = A * B for row-major A (m x k), B (k x n), C (m x n), accumulated in
// double. The spans must hold exactly m*k, k*n elements.
std::vector<float> GemmRef(std::span<const float> a, std::span<const float> b, size_t m, size_t n,
                           size_t k);

// The 32 values of the block at `block` (kQuantBlockValues floats).
void DequantizeBlockRef(QuantType type, const uint8_t* block, float* out);

// y = W x where W is rows x cols in `type`'s block layout, each row
// cols / 32 consecutive blocks. cols must be a multiple of 32.
std::vector<float> QuantGemvRef(QuantType type, std::span<const uint8_t> weights, size_t rows,
                                size_t cols, std::span<const float> x);

}  // namespace gridbench::kernels::vulkan

#endif  // GRIDBENCH_KERNELS_VULKAN_REFERENCE_H_
