// Storage buffers with their own memory allocation, and copies between host
// memory and a buffer.
//
// Thread-safety: a Buffer is not thread-safe; Upload and Download submit on
// the Context and share its rules.
#ifndef GRIDBENCH_KERNELS_VULKAN_BUFFER_H_
#define GRIDBENCH_KERNELS_VULKAN_BUFFER_H_

#include <vulkan/vulkan.h>

#include <cstddef>

#include "absl/status/statusor.h"
#include "kernels/vulkan/context.h"

namespace gridbench::kernels::vulkan {

enum class MemoryKind {
  kDeviceLocal,  // fastest for the device; the host reaches it only by Upload/Download
  kHostVisible,  // host-coherent and persistently mapped; used for staging
};

// A VkBuffer usable as a storage buffer and as a transfer source and
// destination, bound to a dedicated allocation. Move-only; frees on
// destruction. The Context must outlive it.
class Buffer {
 public:
  // INVALID_ARGUMENT when `size` is 0 or larger than the device's storage
  // buffer range or allocation size; RESOURCE_EXHAUSTED when out of memory.
  static absl::StatusOr<Buffer> Create(const Context& ctx, VkDeviceSize size, MemoryKind kind);

  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;
  ~Buffer();

  VkBuffer handle() const { return buffer_; }
  VkDeviceSize size() const { return size_; }
  MemoryKind kind() const { return kind_; }
  // The mapped bytes of a kHostVisible buffer; nullptr for kDeviceLocal.
  void* mapped() const { return mapped_; }

 private:
  Buffer() = default;
  void Release();

  VkDevice device_ = VK_NULL_HANDLE;
  VkBuffer buffer_ = VK_NULL_HANDLE;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  VkDeviceSize size_ = 0;
  MemoryKind kind_ = MemoryKind::kDeviceLocal;
  void* mapped_ = nullptr;
};

// Copies `bytes` bytes from `data` to the start of `dst` through a staging
// buffer, and waits. INVALID_ARGUMENT if `bytes` exceeds dst.size().
absl::Status Upload(Context& ctx, const Buffer& dst, const void* data, size_t bytes);

// Copies the first `bytes` bytes of `src` into `data`, and waits.
// INVALID_ARGUMENT if `bytes` exceeds src.size().
absl::Status Download(Context& ctx, const Buffer& src, void* data, size_t bytes);

}  // namespace gridbench::kernels::vulkan

#endif  // GRIDBENCH_KERNELS_VULKAN_BUFFER_H_
