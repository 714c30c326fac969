// A Vulkan device opened for compute: the chosen physical device, one compute
// queue, a command buffer for synchronous submits with timestamp queries, and
// a pipeline cache that can persist to a file.
//
// Thread-safety: a Context is not thread-safe (its queue and command pool are
// externally synchronised objects). Use one Context per thread, or serialise
// every call. Buffers and pipelines made from a Context must be destroyed
// before it.
#ifndef GRIDBENCH_KERNELS_VULKAN_CONTEXT_H_
#define GRIDBENCH_KERNELS_VULKAN_CONTEXT_H_

#include <vulkan/vulkan.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "kernels/vulkan/device_info.h"
#include "kernels/vulkan/instance.h"

namespace gridbench::kernels::vulkan {

struct ContextOptions {
  // Index into EnumerateDevices(). Unset: the best device by type, a discrete
  // GPU first, then integrated, virtual, and last a CPU (software) device.
  std::optional<uint32_t> device_index;
  // Enables VK_LAYER_KHRONOS_validation and counts its errors.
  bool validation = ValidationRequestedByEnv();
  // If set, the pipeline cache starts from this file when it exists and was
  // written for the same device, and SavePipelineCache() writes it.
  std::string pipeline_cache_path;
  // Longest a single Submit waits for the device.
  absl::Duration submit_timeout = absl::Seconds(120);
};

struct SubmitTiming {
  double host_seconds = 0;    // from vkQueueSubmit until the fence signalled
  double device_seconds = 0;  // between the two timestamps; host_seconds if !device_timed
  bool device_timed = false;  // false when the queue has no timestamps
};

class Context {
 public:
  // Opens the device. NOT_FOUND when there is no device or `device_index` is
  // out of range; FAILED_PRECONDITION when the chosen device cannot run compute
  // (no compute queue, or Vulkan older than 1.1); FAILED_PRECONDITION when
  // validation is asked for but not installed; UNAVAILABLE when no driver
  // initialises.
  static absl::StatusOr<std::unique_ptr<Context>> Create(const ContextOptions& options);

  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  const DeviceInfo& info() const { return info_; }
  uint32_t device_index() const { return device_index_; }
  VkPhysicalDevice physical_device() const { return physical_device_; }
  VkDevice device() const { return device_; }
  const VkPhysicalDeviceLimits& limits() const { return limits_; }
  VkPipelineCache pipeline_cache() const { return pipeline_cache_; }
  // Whether Submit measures device time with timestamp queries.
  bool timestamps_supported() const { return query_pool_ != VK_NULL_HANDLE; }

  bool validation_enabled() const { return instance_->validation_enabled(); }
  uint64_t validation_error_count() const { return instance_->validation_error_count(); }
  std::vector<std::string> validation_messages() const { return instance_->validation_messages(); }

  // Records the commands `record` adds, between two timestamps, into a primary
  // command buffer, submits it and waits for it. DEADLINE_EXCEEDED after
  // options.submit_timeout; UNAVAILABLE when the device is lost.
  absl::StatusOr<SubmitTiming> Submit(absl::FunctionRef<void(VkCommandBuffer)> record);

  // A memory type allowed by `type_bits` that has all of `required`, one that
  // also has `preferred` if any. NOT_FOUND when none has `required`.
  absl::StatusOr<uint32_t> FindMemoryType(uint32_t type_bits, VkMemoryPropertyFlags required,
                                          VkMemoryPropertyFlags preferred) const;

  // Writes the pipeline cache to options.pipeline_cache_path (via a temporary
  // file and a rename). FAILED_PRECONDITION if no path was given.
  absl::Status SavePipelineCache() const;

 private:
  Context() = default;
  absl::Status OpenDevice(uint32_t queue_family);
  absl::Status CreatePipelineCache();

  // Constant after Create.
  ContextOptions options_;
  std::unique_ptr<Instance> instance_;
  VkPhysicalDevice physical_device_ = VK_NULL_HANDLE;
  uint32_t device_index_ = 0;
  DeviceInfo info_;
  VkPhysicalDeviceLimits limits_{};
  VkPhysicalDeviceMemoryProperties memory_{};
  VkDevice device_ = VK_NULL_HANDLE;
  VkQueue queue_ = VK_NULL_HANDLE;
  VkCommandPool command_pool_ = VK_NULL_HANDLE;
  VkCommandBuffer command_buffer_ = VK_NULL_HANDLE;
  VkFence fence_ = VK_NULL_HANDLE;
  VkQueryPool query_pool_ = VK_NULL_HANDLE;  // null when the queue has no timestamps
  uint64_t timestamp_mask_ = 0;
  double timestamp_period_ns_ = 0;
  VkPipelineCache pipeline_cache_ = VK_NULL_HANDLE;
};

// Makes shader and transfer writes recorded before it visible to shader and
// transfer accesses recorded after it.
void RecordComputeBarrier(VkCommandBuffer cmd);

}  // namespace gridbench::kernels::vulkan

#endif  // GRIDBENCH_KERNELS_VULKAN_CONTEXT_H_
