#include "kernels/vulkan/device_info.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kernels/vulkan/instance.h"

namespace gridbench::kernels::vulkan {
namespace {

std::string TypeName(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
      return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
      return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
      return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
      return "cpu";
    default:
      return "other";
  }
}

std::string VersionString(uint32_t version) {
  return absl::StrCat(VK_API_VERSION_MAJOR(version), ".", VK_API_VERSION_MINOR(version), ".",
                      VK_API_VERSION_PATCH(version));
}

}  // namespace

DeviceInfo DescribeDevice(VkPhysicalDevice device) {
  VkPhysicalDeviceProperties base;
  vkGetPhysicalDeviceProperties(device, &base);

  VkPhysicalDeviceSubgroupProperties subgroup{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
  VkPhysicalDeviceDriverProperties driver{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
  VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  props.pNext = &subgroup;
  // Chaining a 1.2 structure to an older device is invalid usage.
  const bool has_driver_props = base.apiVersion >= VK_API_VERSION_1_2;
  if (has_driver_props) subgroup.pNext = &driver;
  vkGetPhysicalDeviceProperties2(device, &props);

  DeviceInfo info;
  info.name = base.deviceName;
  info.type = TypeName(base.deviceType);
  info.vendor_id = base.vendorID;
  info.device_id = base.deviceID;
  if (has_driver_props) {
    info.driver_name = driver.driverName;
    info.driver_info = driver.driverInfo;
  }
  info.api_version = VersionString(base.apiVersion);
  info.driver_version = base.driverVersion;
  info.subgroup_size = subgroup.subgroupSize;
  info.software = base.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;

  VkPhysicalDeviceMemoryProperties memory;
  vkGetPhysicalDeviceMemoryProperties(device, &memory);
  for (uint32_t i = 0; i < memory.memoryHeapCount; ++i) {
    info.heaps.push_back({memory.memoryHeaps[i].size,
                          (memory.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) != 0});
  }
  return info;
}

absl::StatusOr<std::vector<DeviceInfo>> EnumerateDevices() {
  GB_ASSIGN_OR_RETURN(std::unique_ptr<Instance> instance, Instance::Create(/*validation=*/false));
  GB_ASSIGN_OR_RETURN(std::vector<VkPhysicalDevice> devices, instance->PhysicalDevices());
  std::vector<DeviceInfo> infos;
  infos.reserve(devices.size());
  for (VkPhysicalDevice device : devices) infos.push_back(DescribeDevice(device));
  return infos;
}

}  // namespace gridbench::kernels::vulkan
