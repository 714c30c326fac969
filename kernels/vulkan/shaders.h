// The SPIR-V of the compute shaders in kernels/vulkan/shaders, compiled at
// build time by glslangValidator and embedded in the library.
#ifndef GRIDBENCH_KERNELS_VULKAN_SHADERS_H_
#define GRIDBENCH_KERNELS_VULKAN_SHADERS_H_

#include <cstdint>
#include <span>

namespace gridbench::kernels::vulkan {

enum class Shader {
  kGemmTiled,  // gemm_tiled.comp
  kGemmNaive,  // gemm_naive.comp
  kGemvQ8_0,   // gemv_quant.comp with -DQ8_0
  kGemvQ4_0,   // gemv_quant.comp with -DQ4_0
  kFmaPeak,    // fma_peak.comp
  kCopy,       // copy.comp
};

// The shader's SPIR-V words; valid for the life of the program.
std::span<const uint32_t> ShaderSpirv(Shader shader);

}  // namespace gridbench::kernels::vulkan

#endif  // GRIDBENCH_KERNELS_VULKAN_SHADERS_H_
