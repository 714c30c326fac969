// The weight matrices of the Vulkan llama pass (llama_vulkan.h) on the
// device, in their own types, and the matrix-product dispatches over them.
// Matrices of one type are packed into as few buffers as the device's
// storage-buffer range allows; each buffer gets its own llama_matmul.comp
// pipeline, bound once to it and to the session's state buffer, so a whole
// forward pass records into one command buffer without rebinding.
//
// Thread-safety: as vulkan::Context. The Context and the state buffer must
// outlive the object.
#ifndef GRIDBENCH_KERNELS_LLAMA_LLAMA_VULKAN_WEIGHTS_H_
#define GRIDBENCH_KERNELS_LLAMA_LLAMA_VULKAN_WEIGHTS_H_

#include <vulkan/vulkan.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kernels/llama/llama_model.h"
#include "kernels/vulkan/buffer.h"
#include "kernels/vulkan/context.h"
#include "kernels/vulkan/pipeline.h"

namespace gridbench::kernels::llama {

struct NamedWeight {
  std::string name;  // The GGUF tensor name, for errors.
  const WeightView* view;
};

class LlamaVulkanWeights {
 public:
  // Uploads every matrix of `weights` (matrix i is referred to as i below).
  // INVALID_ARGUMENT naming the tensor for a type without a shader variant,
  // a matrix larger than the device's storage-buffer range, or more rows than
  // its workgroup count; errors of buffer and pipeline creation.
  static absl::StatusOr<LlamaVulkanWeights> Create(vulkan::Context& ctx,
                                                   std::span<const NamedWeight> weights,
                                                   const vulkan::Buffer& state);

  // Records state[y_offset + t * rows + r] (+)= sum_c W[r][c] * state[x_offset
  // + t * cols + c] for n rows t, W being matrix `matrix` (offsets in floats).
  void RecordMatmul(VkCommandBuffer cmd, int matrix, uint32_t n, uint32_t x_offset,
                    uint32_t y_offset, bool accumulate) const;

 private:
  struct Placement {
    int chunk;             // Index into chunks_ and pipelines_.
    uint32_t byte_offset;  // Where the matrix starts in its chunk.
    uint32_t rows, cols;
  };

  LlamaVulkanWeights() = default;
  // Zeroes the chunks and copies each matrix of `weights` to its placement.
  absl::Status Upload(vulkan::Context& ctx, std::span<const NamedWeight> weights) const;

  std::vector<Placement> placements_;
  std::vector<vulkan::Buffer> chunks_;
  std::vector<vulkan::ComputePipeline> pipelines_;
};

}  // namespace gridbench::kernels::llama

#endif  // GRIDBENCH_KERNELS_LLAMA_LLAMA_VULKAN_WEIGHTS_H_
