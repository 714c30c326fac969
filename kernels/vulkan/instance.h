// A Vulkan instance, optionally with the Khronos validation layer and a
// debug-utils messenger that counts what the layer reports.
//
// Thread-safety: the handle is constant after Create; the validation counters
// may be read from any thread while the driver reports on another.
#ifndef GRIDBENCH_KERNELS_VULKAN_INSTANCE_H_
#define GRIDBENCH_KERNELS_VULKAN_INSTANCE_H_

#include <vulkan/vulkan.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace gridbench::kernels::vulkan {

// True when the environment variable GRIDBENCH_VULKAN_VALIDATION is "1".
bool ValidationRequestedByEnv();

class Instance {
 public:
  // Creates an instance for Vulkan 1.1 or newer (the newest the loader offers,
  // capped at 1.3). With `validation`, enables VK_LAYER_KHRONOS_validation and
  // a messenger; FAILED_PRECONDITION if the layer or VK_EXT_debug_utils is not
  // installed. UNAVAILABLE (naming the VkResult) when no driver initialises.
  static absl::StatusOr<std::unique_ptr<Instance>> Create(bool validation);

  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  VkInstance handle() const { return instance_; }
  uint32_t api_version() const { return api_version_; }
  bool validation_enabled() const { return messenger_ != VK_NULL_HANDLE; }

  // Every physical device the loader reports; empty is not an error.
  absl::StatusOr<std::vector<VkPhysicalDevice>> PhysicalDevices() const;

  // Messages of ERROR severity from the validation layer since creation.
  uint64_t validation_error_count() const { return validation_errors_.load(); }
  // The first few such messages, for a test's failure output.
  std::vector<std::string> validation_messages() const;

 private:
  Instance() = default;
  static VKAPI_ATTR VkBool32 VKAPI_CALL OnDebugMessage(
      VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT types,
      const VkDebugUtilsMessengerCallbackDataEXT* data, void* user_data);

  // Constant after Create.
  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  uint32_t api_version_ = 0;

  std::atomic<uint64_t> validation_errors_{0};
  mutable absl::Mutex mu_;
  std::vector<std::string> messages_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gridbench::kernels::vulkan

#endif  // GRIDBENCH_KERNELS_VULKAN_INSTANCE_H_
