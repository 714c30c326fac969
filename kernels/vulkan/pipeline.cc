#include "kernels/vulkan/pipeline.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kernels/vulkan/vk_status.h"

namespace gridbench::kernels::vulkan {

absl::StatusOr<ComputePipeline> ComputePipeline::Create(const Context& ctx,
                                                        const PipelineSpec& spec) {
  if (spec.spirv.empty()) return absl::InvalidArgumentError("compute shader has no SPIR-V");
  if (spec.push_constant_bytes > ctx.limits().maxPushConstantsSize) {
    return absl::InvalidArgumentError(absl::StrCat(spec.push_constant_bytes,
                                                   " bytes of push constants exceed the device's ",
                                                   ctx.limits().maxPushConstantsSize));
  }
  ComputePipeline p;
  p.device_ = ctx.device();
  p.buffer_count_ = spec.buffer_count;
  p.push_constant_bytes_ = spec.push_constant_bytes;

  std::vector<VkDescriptorSetLayoutBinding> bindings(spec.buffer_count);
  for (uint32_t i = 0; i < spec.buffer_count; ++i) {
    bindings[i] = {i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  }
  VkDescriptorSetLayoutCreateInfo set_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  set_info.bindingCount = spec.buffer_count;
  set_info.pBindings = bindings.data();
  GB_RETURN_IF_ERROR(
      VkStatus(vkCreateDescriptorSetLayout(p.device_, &set_info, nullptr, &p.set_layout_),
               "vkCreateDescriptorSetLayout"));

  const VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, spec.push_constant_bytes};
  VkPipelineLayoutCreateInfo layout_info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  layout_info.setLayoutCount = 1;
  layout_info.pSetLayouts = &p.set_layout_;
  layout_info.pushConstantRangeCount = spec.push_constant_bytes > 0 ? 1 : 0;
  layout_info.pPushConstantRanges = &range;
  GB_RETURN_IF_ERROR(VkStatus(vkCreatePipelineLayout(p.device_, &layout_info, nullptr, &p.layout_),
                              "vkCreatePipelineLayout"));

  VkShaderModuleCreateInfo module_info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  module_info.codeSize = spec.spirv.size_bytes();
  module_info.pCode = spec.spirv.data();
  VkShaderModule module;
  GB_RETURN_IF_ERROR(VkStatus(vkCreateShaderModule(p.device_, &module_info, nullptr, &module),
                              "vkCreateShaderModule"));

  std::vector<VkSpecializationMapEntry> entries(spec.specialization.size());
  for (uint32_t i = 0; i < entries.size(); ++i) {
    entries[i] = {i, static_cast<uint32_t>(i * sizeof(uint32_t)), sizeof(uint32_t)};
  }
  VkSpecializationInfo specialization{static_cast<uint32_t>(entries.size()), entries.data(),
                                      spec.specialization.size() * sizeof(uint32_t),
                                      spec.specialization.data()};
  VkComputePipelineCreateInfo info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  info.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
  info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  info.stage.module = module;
  info.stage.pName = "main";
  info.stage.pSpecializationInfo = entries.empty() ? nullptr : &specialization;
  info.layout = p.layout_;
  const VkResult created =
      vkCreateComputePipelines(p.device_, ctx.pipeline_cache(), 1, &info, nullptr, &p.pipeline_);
  // The module is only needed while the pipeline is compiled.
  vkDestroyShaderModule(p.device_, module, nullptr);
  GB_RETURN_IF_ERROR(VkStatus(created, "vkCreateComputePipelines"));

  if (spec.buffer_count == 0) return p;
  const VkDescriptorPoolSize pool_size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, spec.buffer_count};
  VkDescriptorPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  pool_info.maxSets = 1;
  pool_info.poolSizeCount = 1;
  pool_info.pPoolSizes = &pool_size;
  GB_RETURN_IF_ERROR(VkStatus(vkCreateDescriptorPool(p.device_, &pool_info, nullptr, &p.pool_),
                              "vkCreateDescriptorPool"));
  VkDescriptorSetAllocateInfo alloc{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  alloc.descriptorPool = p.pool_;
  alloc.descriptorSetCount = 1;
  alloc.pSetLayouts = &p.set_layout_;
  GB_RETURN_IF_ERROR(
      VkStatus(vkAllocateDescriptorSets(p.device_, &alloc, &p.set_), "vkAllocateDescriptorSets"));
  return p;
}

ComputePipeline::ComputePipeline(ComputePipeline&& other) noexcept { *this = std::move(other); }

ComputePipeline& ComputePipeline::operator=(ComputePipeline&& other) noexcept {
  if (this != &other) {
    Release();
    device_ = std::exchange(other.device_, VK_NULL_HANDLE);
    buffer_count_ = other.buffer_count_;
    push_constant_bytes_ = other.push_constant_bytes_;
    set_layout_ = std::exchange(other.set_layout_, VK_NULL_HANDLE);
    layout_ = std::exchange(other.layout_, VK_NULL_HANDLE);
    pipeline_ = std::exchange(other.pipeline_, VK_NULL_HANDLE);
    pool_ = std::exchange(other.pool_, VK_NULL_HANDLE);
    set_ = std::exchange(other.set_, VK_NULL_HANDLE);
  }
  return *this;
}

ComputePipeline::~ComputePipeline() { Release(); }

void ComputePipeline::Release() {
  if (device_ == VK_NULL_HANDLE) return;
  // Destroying the pool frees the set.
  vkDestroyDescriptorPool(device_, pool_, nullptr);
  vkDestroyPipeline(device_, pipeline_, nullptr);
  vkDestroyPipelineLayout(device_, layout_, nullptr);
  vkDestroyDescriptorSetLayout(device_, set_layout_, nullptr);
  device_ = VK_NULL_HANDLE;
}

absl::Status ComputePipeline::BindBuffers(std::span<const Buffer* const> buffers) {
  if (buffers.size() != buffer_count_) {
    return absl::InvalidArgumentError(
        absl::StrCat("pipeline takes ", buffer_count_, " buffers, got ", buffers.size()));
  }
  std::vector<VkDescriptorBufferInfo> infos(buffers.size());
  std::vector<VkWriteDescriptorSet> writes(buffers.size());
  for (uint32_t i = 0; i < buffers.size(); ++i) {
    infos[i] = {buffers[i]->handle(), 0, VK_WHOLE_SIZE};
    writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    writes[i].dstSet = set_;
    writes[i].dstBinding = i;
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }
  vkUpdateDescriptorSets(device_, static_cast<uint32_t>(writes.size()), writes.data(), 0, nullptr);
  return absl::OkStatus();
}

void ComputePipeline::RecordDispatch(VkCommandBuffer cmd, const void* push_constants,
                                     uint32_t groups_x, uint32_t groups_y,
                                     uint32_t groups_z) const {
  vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline_);
  if (set_ != VK_NULL_HANDLE) {
    vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, layout_, 0, 1, &set_, 0, nullptr);
  }
  if (push_constant_bytes_ > 0) {
    vkCmdPushConstants(cmd, layout_, VK_SHADER_STAGE_COMPUTE_BIT, 0, push_constant_bytes_,
                       push_constants);
  }
  vkCmdDispatch(cmd, groups_x, groups_y, groups_z);
}

}  // namespace gridbench::kernels::vulkan
