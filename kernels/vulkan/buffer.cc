#include "kernels/vulkan/buffer.h"

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kernels/vulkan/vk_status.h"

namespace gridbench::kernels::vulkan {
namespace {

absl::Status CheckCopySize(size_t bytes, const Buffer& buffer) {
  if (bytes == 0 || bytes > buffer.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("copy of ", bytes, " bytes does not fit a buffer of ", buffer.size()));
  }
  return absl::OkStatus();
}

// Makes shader and transfer writes visible to the host once the fence signals.
void RecordHostReadBarrier(VkCommandBuffer cmd) {
  VkMemoryBarrier to_host{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  to_host.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  to_host.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                       VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &to_host, 0, nullptr, 0, nullptr);
}

}  // namespace

absl::StatusOr<Buffer> Buffer::Create(const Context& ctx, VkDeviceSize size, MemoryKind kind) {
  if (size == 0) return absl::InvalidArgumentError("Vulkan buffer size must be positive");
  if (size > ctx.limits().maxStorageBufferRange) {
    return absl::InvalidArgumentError(
        absl::StrCat("Vulkan buffer of ", size, " bytes exceeds maxStorageBufferRange ",
                     ctx.limits().maxStorageBufferRange, " of ", ctx.info().name));
  }
  Buffer buffer;
  buffer.device_ = ctx.device();
  buffer.size_ = size;
  buffer.kind_ = kind;
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = size;
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
               VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  GB_RETURN_IF_ERROR(
      VkStatus(vkCreateBuffer(buffer.device_, &info, nullptr, &buffer.buffer_), "vkCreateBuffer"));

  VkMemoryRequirements needs;
  vkGetBufferMemoryRequirements(buffer.device_, buffer.buffer_, &needs);
  const bool host = kind == MemoryKind::kHostVisible;
  const VkMemoryPropertyFlags required =
      host ? VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT
           : VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
  // Cached host memory makes Download's reads fast.
  const VkMemoryPropertyFlags preferred = host ? VK_MEMORY_PROPERTY_HOST_CACHED_BIT : 0;
  GB_ASSIGN_OR_RETURN(uint32_t type, ctx.FindMemoryType(needs.memoryTypeBits, required, preferred));
  VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  alloc.allocationSize = needs.size;
  alloc.memoryTypeIndex = type;
  GB_RETURN_IF_ERROR(VkStatus(vkAllocateMemory(buffer.device_, &alloc, nullptr, &buffer.memory_),
                              absl::StrCat("vkAllocateMemory(", needs.size, " bytes)")));
  GB_RETURN_IF_ERROR(VkStatus(vkBindBufferMemory(buffer.device_, buffer.buffer_, buffer.memory_, 0),
                              "vkBindBufferMemory"));
  if (host) {
    GB_RETURN_IF_ERROR(
        VkStatus(vkMapMemory(buffer.device_, buffer.memory_, 0, VK_WHOLE_SIZE, 0, &buffer.mapped_),
                 "vkMapMemory"));
  }
  return buffer;
}

Buffer::Buffer(Buffer&& other) noexcept { *this = std::move(other); }

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    Release();
    device_ = std::exchange(other.device_, VK_NULL_HANDLE);
    buffer_ = std::exchange(other.buffer_, VK_NULL_HANDLE);
    memory_ = std::exchange(other.memory_, VK_NULL_HANDLE);
    size_ = std::exchange(other.size_, 0);
    kind_ = other.kind_;
    mapped_ = std::exchange(other.mapped_, nullptr);
  }
  return *this;
}

Buffer::~Buffer() { Release(); }

void Buffer::Release() {
  if (device_ == VK_NULL_HANDLE) return;
  // Freeing the memory also unmaps it.
  vkDestroyBuffer(device_, buffer_, nullptr);
  vkFreeMemory(device_, memory_, nullptr);
  device_ = VK_NULL_HANDLE;
}

absl::Status Upload(Context& ctx, const Buffer& dst, const void* data, size_t bytes) {
  GB_RETURN_IF_ERROR(CheckCopySize(bytes, dst));
  if (dst.mapped() != nullptr) {
    // Host writes to coherent memory are visible to a later queue submission.
    std::memcpy(dst.mapped(), data, bytes);
    return absl::OkStatus();
  }
  GB_ASSIGN_OR_RETURN(Buffer staging, Buffer::Create(ctx, bytes, MemoryKind::kHostVisible));
  std::memcpy(staging.mapped(), data, bytes);
  const VkBufferCopy region{0, 0, bytes};
  return ctx
      .Submit([&](VkCommandBuffer cmd) {
        vkCmdCopyBuffer(cmd, staging.handle(), dst.handle(), 1, &region);
        RecordComputeBarrier(cmd);
      })
      .status();
}

absl::Status Download(Context& ctx, const Buffer& src, void* data, size_t bytes) {
  GB_RETURN_IF_ERROR(CheckCopySize(bytes, src));
  if (src.mapped() != nullptr) {
    GB_RETURN_IF_ERROR(ctx.Submit(RecordHostReadBarrier).status());
    std::memcpy(data, src.mapped(), bytes);
    return absl::OkStatus();
  }
  GB_ASSIGN_OR_RETURN(Buffer staging, Buffer::Create(ctx, bytes, MemoryKind::kHostVisible));
  const VkBufferCopy region{0, 0, bytes};
  GB_RETURN_IF_ERROR(ctx.Submit([&](VkCommandBuffer cmd) {
                          vkCmdCopyBuffer(cmd, src.handle(), staging.handle(), 1, &region);
                          RecordHostReadBarrier(cmd);
                        })
                         .status());
  std::memcpy(data, staging.mapped(), bytes);
  return absl::OkStatus();
}

}  // namespace gridbench::kernels::vulkan
