#include "coordinator/task_matching.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/task_params.h"

namespace gridbench::coordinator {
namespace {

bool HasHardwareGpu(const gridbench::v1::HardwareProfile& hw) {
  return std::any_of(hw.vulkan_devices().begin(), hw.vulkan_devices().end(),
                     [](const auto& d) { return !d.software(); });
}

template <typename Container>
bool Contains(const Container& items, const std::string& wanted) {
  return std::find(items.begin(), items.end(), wanted) != items.end();
}

// "" when `hw` has a Vulkan device and, if the task names one in
// params.device, that one.
std::string UnmetVulkanDevice(const gridbench::v1::TaskSpec& task,
                              const gridbench::v1::HardwareProfile& hw) {
  if (hw.vulkan_devices().empty()) return "needs a Vulkan device";
  auto it = task.params().fields().find("device");
  if (it == task.params().fields().end()) return "";
  const google::protobuf::Value& device = it->second;
  if (device.has_number_value()) {
    if (device.number_value() < hw.vulkan_devices_size()) return "";
    return absl::StrCat("needs Vulkan device ", device.number_value());
  }
  const std::string& name = device.string_value();
  const bool index = !name.empty() && std::all_of(name.begin(), name.end(), absl::ascii_isdigit);
  for (int i = 0; i < hw.vulkan_devices_size(); ++i) {
    if (index ? name == std::to_string(i)
              : hw.vulkan_devices(i).name().find(name) != std::string::npos) {
      return "";
    }
  }
  return absl::StrCat("needs a Vulkan device named like \"", name, "\"");
}

}  // namespace

std::string UnmetRequirement(const gridbench::v1::TaskSpec& task,
                             const gridbench::v1::Worker& worker) {
  const gridbench::v1::Requirements& req = task.requirements();
  const gridbench::v1::HardwareProfile& hw = worker.hardware();
  const std::string backend = EffectiveBackend(task);
  if (!backend.empty() && !Contains(hw.backends(), backend)) {
    return absl::StrCat("needs ", backend);
  }
  if (backend == "vulkan") {
    if (std::string unmet = UnmetVulkanDevice(task, hw); !unmet.empty()) return unmet;
  }
  if (req.device_type() == gridbench::v1::DEVICE_TYPE_GPU && !HasHardwareGpu(hw)) {
    return "needs a GPU (software Vulkan devices do not count)";
  }
  if (req.min_memory_bytes() > hw.memory_bytes()) {
    return absl::StrCat("needs ", req.min_memory_bytes(), " bytes of memory");
  }
  for (const std::string& isa : req.isa_features()) {
    if (!Contains(hw.isa_features(), isa)) return absl::StrCat("needs ", isa);
  }
  for (const auto& [key, value] : req.labels()) {
    auto it = worker.labels().find(key);
    if (it == worker.labels().end() || it->second != value) {
      return absl::StrCat("needs label ", key, "=", value);
    }
  }
  return "";
}

}  // namespace gridbench::coordinator
