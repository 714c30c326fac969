// What the Vulkan loader reports about each physical device, for the worker's
// hardware probe and for picking a device.
//
// Thread-safety: EnumerateDevices may be called from any thread; it creates
// and destroys its own VkInstance.
#ifndef GRIDBENCH_KERNELS_VULKAN_DEVICE_INFO_H_
#define GRIDBENCH_KERNELS_VULKAN_DEVICE_INFO_H_

#include <vulkan/vulkan.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace gridbench::kernels::vulkan {

struct MemoryHeapInfo {
  uint64_t size_bytes = 0;
  bool device_local = false;
};

struct DeviceInfo {
  std::string name;
  std::string type;  // "discrete", "integrated", "virtual", "cpu", "other"
  uint32_t vendor_id = 0, device_id = 0;
  std::string driver_name, driver_info;  // VkPhysicalDeviceDriverProperties
  std::string api_version;               // "1.3.230"
  uint32_t driver_version = 0;
  std::vector<MemoryHeapInfo> heaps;
  uint32_t subgroup_size = 0;
  bool software =
      false;  // true for a CPU-type device such as llvmpipe: its numbers are not a GPU's
};

// Every physical device the loader reports, in the loader's order (the index
// into this vector is the device index ContextOptions takes). An empty vector
// when Vulkan loads but finds no device; UNAVAILABLE (with the VkResult named)
// when no Vulkan loader/driver can be initialised. Never crashes.
absl::StatusOr<std::vector<DeviceInfo>> EnumerateDevices();

// The description of one device. `device` must come from an instance of API
// version 1.1 or newer. Driver name/info stay empty on a device older than 1.2.
DeviceInfo DescribeDevice(VkPhysicalDevice device);

}  // namespace gridbench::kernels::vulkan

#endif  // GRIDBENCH_KERNELS_VULKAN_DEVICE_INFO_H_
