// The SPIR-V of the llama forward pass's shaders (kernels/vulkan/shaders/
// llama_*.comp, used by kernels/llama/llama_vulkan.h), compiled at build time
// and embedded like shaders.h's.
#ifndef GRIDBENCH_KERNELS_VULKAN_LLAMA_SHADERS_H_
#define GRIDBENCH_KERNELS_VULKAN_LLAMA_SHADERS_H_

#include <cstdint>
#include <span>

#include "kernels/quant/quant_types.h"

namespace gridbench::kernels::vulkan {

enum class LlamaShader {
  kRmsNorm,    // llama_rmsnorm.comp
  kRope,       // llama_rope.comp
  kAttention,  // llama_attention.comp
  kSwiglu,     // llama_swiglu.comp
};

// The shader's SPIR-V words; valid for the life of the program.
std::span<const uint32_t> LlamaShaderSpirv(LlamaShader shader);

// llama_matmul.comp compiled for weights of `type`; empty for a type it has
// no variant for (Q8_K, which is not a weight type).
std::span<const uint32_t> LlamaMatmulSpirv(quant::QuantType type);

}  // namespace gridbench::kernels::vulkan

#endif  // GRIDBENCH_KERNELS_VULKAN_LLAMA_SHADERS_H_
