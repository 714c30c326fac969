#include "kernels/vulkan/device_info.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "kernels/vulkan/context.h"

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

// Points the loader at a driver manifest that does not exist for the life of
// the object, restoring the environment afterwards.
class NoDriverEnvironment {
 public:
  NoDriverEnvironment() {
    for (const char* name : kNames) {
      const char* old = std::getenv(name);
      saved_.emplace_back(old != nullptr ? std::optional<std::string>(old) : std::nullopt);
      setenv(name, "/nonexistent/gridbench_icd.json", 1);
    }
  }
  ~NoDriverEnvironment() {
    for (size_t i = 0; i < saved_.size(); ++i) {
      if (saved_[i]) {
        setenv(kNames[i], saved_[i]->c_str(), 1);
      } else {
        unsetenv(kNames[i]);
      }
    }
  }

 private:
  static constexpr const char* kNames[] = {"VK_DRIVER_FILES", "VK_ICD_FILENAMES"};
  std::vector<std::optional<std::string>> saved_;
};

TEST(EnumerateDevicesTest, NoDriverIsUnavailableOrEmpty) {
  NoDriverEnvironment no_driver;
  absl::StatusOr<std::vector<DeviceInfo>> devices = EnumerateDevices();
  if (devices.ok()) {
    EXPECT_TRUE(devices->empty());
  } else {
    EXPECT_EQ(devices.status().code(), absl::StatusCode::kUnavailable) << devices.status();
    EXPECT_NE(devices.status().message().find("VK_ERROR"), std::string::npos) << devices.status();
  }
  absl::StatusOr<std::unique_ptr<Context>> ctx = Context::Create(ContextOptions{});
  ASSERT_FALSE(ctx.ok());
  EXPECT_TRUE(ctx.status().code() == absl::StatusCode::kUnavailable ||
              ctx.status().code() == absl::StatusCode::kNotFound)
      << ctx.status();
}

}  // namespace
}  // namespace gridbench::kernels::vulkan
