#include "kernels/vulkan/device_info.h"

#include <gtest/gtest.h>

namespace gridbench::kernels::vulkan {
namespace {

TEST(EnumerateDevicesTest, ReportsLavapipeAsSoftware) {
  absl::StatusOr<std::vector<DeviceInfo>> devices = EnumerateDevices();
  ASSERT_TRUE(devices.ok()) << devices.status();
  ASSERT_FALSE(devices->empty()) << "the test machine has lavapipe installed";
  bool found_cpu = false;
  for (const DeviceInfo& d : *devices) {
    EXPECT_FALSE(d.name.empty());
    EXPECT_FALSE(d.heaps.empty()) << d.name;
    EXPECT_GT(d.subgroup_size, 0u) << d.name;
    EXPECT_EQ(d.software, d.type == "cpu") << d.name;
    if (d.name.find("llvmpipe") != std::string::npos) {
      found_cpu = true;
      EXPECT_TRUE(d.software);
      EXPECT_EQ(d.type, "cpu");
      EXPECT_EQ(d.driver_name, "llvmpipe");
    }
  }
  EXPECT_TRUE(found_cpu) << "expected lavapipe (llvmpipe) among the devices";
}

}  // namespace
}  // namespace gridbench::kernels::vulkan
