#include "kernels/vulkan/vk_status.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace gridbench::kernels::vulkan {

std::string VkResultName(VkResult result) {
  switch (result) {
#define GB_VK_NAME_(x) \
  case x:              \
    return #x;
    GB_VK_NAME_(VK_SUCCESS)
    GB_VK_NAME_(VK_NOT_READY)
    GB_VK_NAME_(VK_TIMEOUT)
    GB_VK_NAME_(VK_INCOMPLETE)
    GB_VK_NAME_(VK_ERROR_OUT_OF_HOST_MEMORY)
    GB_VK_NAME_(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    GB_VK_NAME_(VK_ERROR_INITIALIZATION_FAILED)
    GB_VK_NAME_(VK_ERROR_DEVICE_LOST)
    GB_VK_NAME_(VK_ERROR_MEMORY_MAP_FAILED)
    GB_VK_NAME_(VK_ERROR_LAYER_NOT_PRESENT)
    GB_VK_NAME_(VK_ERROR_EXTENSION_NOT_PRESENT)
    GB_VK_NAME_(VK_ERROR_FEATURE_NOT_PRESENT)
    GB_VK_NAME_(VK_ERROR_INCOMPATIBLE_DRIVER)
    GB_VK_NAME_(VK_ERROR_TOO_MANY_OBJECTS)
    GB_VK_NAME_(VK_ERROR_FORMAT_NOT_SUPPORTED)
    GB_VK_NAME_(VK_ERROR_FRAGMENTED_POOL)
    GB_VK_NAME_(VK_ERROR_UNKNOWN)
    GB_VK_NAME_(VK_ERROR_OUT_OF_POOL_MEMORY)
    GB_VK_NAME_(VK_ERROR_INVALID_EXTERNAL_HANDLE)
    GB_VK_NAME_(VK_ERROR_FRAGMENTATION)
    GB_VK_NAME_(VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS)
    GB_VK_NAME_(VK_PIPELINE_COMPILE_REQUIRED)
#undef GB_VK_NAME_
    default:
      return absl::StrCat("VkResult(", static_cast<int>(result), ")");
  }
}

absl::Status VkStatus(VkResult result, absl::string_view what) {
  if (result >= 0) return absl::OkStatus();
  std::string message = absl::StrCat(what, ": ", VkResultName(result));
  switch (result) {
    case VK_ERROR_OUT_OF_HOST_MEMORY:
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
    case VK_ERROR_OUT_OF_POOL_MEMORY:
    case VK_ERROR_FRAGMENTED_POOL:
    case VK_ERROR_TOO_MANY_OBJECTS:
      return absl::ResourceExhaustedError(message);
    case VK_ERROR_INITIALIZATION_FAILED:
    case VK_ERROR_INCOMPATIBLE_DRIVER:
    case VK_ERROR_DEVICE_LOST:
      return absl::UnavailableError(message);
    case VK_ERROR_LAYER_NOT_PRESENT:
    case VK_ERROR_EXTENSION_NOT_PRESENT:
    case VK_ERROR_FEATURE_NOT_PRESENT:
    case VK_ERROR_FORMAT_NOT_SUPPORTED:
      return absl::FailedPreconditionError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace gridbench::kernels::vulkan
