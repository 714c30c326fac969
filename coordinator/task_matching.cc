#include "coordinator/task_matching.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

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

}  // namespace

std::string UnmetRequirement(const gridbench::v1::Requirements& req,
                             const gridbench::v1::Worker& worker) {
  const gridbench::v1::HardwareProfile& hw = worker.hardware();
  if (!req.backend().empty() && !Contains(hw.backends(), req.backend())) {
    return absl::StrCat("needs ", req.backend());
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
