// Conversion of VkResult codes into absl::Status.
//
// Every Vulkan call in kernels/vulkan goes through VkStatus so that a driver
// failure reaches the caller as a value naming the call and the VkResult,
// never as a crash. Thread-safe (pure functions).
#ifndef GRIDBENCH_KERNELS_VULKAN_VK_STATUS_H_
#define GRIDBENCH_KERNELS_VULKAN_VK_STATUS_H_

#include <vulkan/vulkan.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace gridbench::kernels::vulkan {

// The enumerator's name, e.g. "VK_ERROR_DEVICE_LOST"; "VkResult(<n>)" for a
// code this table does not know.
std::string VkResultName(VkResult result);

// OK for VK_SUCCESS (and the other non-negative success codes); otherwise a
// status whose message is "<what>: <VkResult name>". The code says what the
// caller should do:
//   out of host/device memory                 -> RESOURCE_EXHAUSTED
//   no driver, init failure, device lost      -> UNAVAILABLE
//   missing layer/extension/feature           -> FAILED_PRECONDITION
//   anything else                             -> INTERNAL
absl::Status VkStatus(VkResult result, absl::string_view what);

}  // namespace gridbench::kernels::vulkan

#endif  // GRIDBENCH_KERNELS_VULKAN_VK_STATUS_H_
