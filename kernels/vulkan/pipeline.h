// A compute pipeline made from embedded SPIR-V: storage buffers at set 0,
// bindings 0..n-1, an optional push-constant block, and uint32
// specialization constants with ids 0..m-1.
//
// Thread-safety: not thread-safe. BindBuffers rewrites the pipeline's one
// descriptor set, so it must not be called while a command buffer that uses
// the pipeline is being recorded or is pending (Context::Submit waits, so
// binding between submits is safe).
#ifndef GRIDBENCH_KERNELS_VULKAN_PIPELINE_H_
#define GRIDBENCH_KERNELS_VULKAN_PIPELINE_H_

#include <vulkan/vulkan.h>

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "kernels/vulkan/buffer.h"
#include "kernels/vulkan/context.h"

namespace gridbench::kernels::vulkan {

struct PipelineSpec {
  std::span<const uint32_t> spirv;
  uint32_t buffer_count = 0;
  uint32_t push_constant_bytes = 0;  // 0: the shader has no push constants
  // specialization[i] is the value of the constant with constant_id i.
  std::vector<uint32_t> specialization;
};

// Move-only; destroys its Vulkan objects on destruction. The Context must
// outlive it.
class ComputePipeline {
 public:
  // Compiles through the Context's pipeline cache. INVALID_ARGUMENT when the
  // spec is malformed (no code, more push constants than the device allows).
  static absl::StatusOr<ComputePipeline> Create(const Context& ctx, const PipelineSpec& spec);

  ComputePipeline(ComputePipeline&& other) noexcept;
  ComputePipeline& operator=(ComputePipeline&& other) noexcept;
  ~ComputePipeline();

  // Points bindings 0..n-1 at whole `buffers`. INVALID_ARGUMENT when the count
  // differs from the spec's buffer_count.
  absl::Status BindBuffers(std::span<const Buffer* const> buffers);

  // Records binding the pipeline, its buffers and `push_constants` (of the
  // spec's push_constant_bytes; ignored when that is 0), then a dispatch.
  void RecordDispatch(VkCommandBuffer cmd, const void* push_constants, uint32_t groups_x,
                      uint32_t groups_y, uint32_t groups_z) const;

 private:
  ComputePipeline() = default;
  void Release();

  VkDevice device_ = VK_NULL_HANDLE;
  uint32_t buffer_count_ = 0;
  uint32_t push_constant_bytes_ = 0;
  VkDescriptorSetLayout set_layout_ = VK_NULL_HANDLE;
  VkPipelineLayout layout_ = VK_NULL_HANDLE;
  VkPipeline pipeline_ = VK_NULL_HANDLE;
  VkDescriptorPool pool_ = VK_NULL_HANDLE;
  VkDescriptorSet set_ = VK_NULL_HANDLE;
};

}  // namespace gridbench::kernels::vulkan

#endif  // GRIDBENCH_KERNELS_VULKAN_PIPELINE_H_
