#include "worker/peak_fraction.h"

#include <algorithm>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gridbench::worker {
namespace {

constexpr char kBoundKey[] = "peak_bound";
constexpr char kDeviceKey[] = "peak_device";

struct Peak {
  double value = 0;
  std::string basis;
};

std::string Rate(const gridbench::v1::PeakMeasurement& m) {
  return absl::StrFormat("%.3g %s", m.value(), m.unit());
}

std::optional<Peak> VulkanPeak(const gridbench::v1::HardwareProfile& profile,
                               const std::string& name, const std::string& device) {
  for (const auto& m : profile.peaks()) {
    if (m.name() == name && m.device() == device) {
      return Peak{m.value(), absl::StrCat(name, " on ", device, ": ", Rate(m))};
    }
  }
  return std::nullopt;
}

std::optional<Peak> CpuPeak(const gridbench::v1::HardwareProfile& profile, const std::string& name,
                            uint32_t threads) {
  const gridbench::v1::PeakMeasurement* one = nullptr;
  const gridbench::v1::PeakMeasurement* most = nullptr;
  for (const auto& m : profile.peaks()) {
    if (m.name() != name) continue;
    if (m.threads() == threads) {
      return Peak{m.value(), absl::StrCat(name, " on ", threads, " threads: ", Rate(m))};
    }
    if (m.threads() == 1) one = &m;
    if (most == nullptr || m.threads() > most->threads()) most = &m;
  }
  if (one == nullptr || threads == 0) return std::nullopt;
  const double value = std::min(one->value() * threads, most->value());
  return Peak{value, absl::StrFormat("%s scaled to %u threads: %.3g %s (1 thread: %s, %u: %s)",
                                     name, threads, value, one->unit(), Rate(*one), most->threads(),
                                     Rate(*most))};
}

// The largest cache of the machine, usually the shared last level.
uint64_t LargestCacheBytes(const gridbench::v1::HardwareProfile& profile) {
  uint64_t largest = 0;
  for (const auto& c : profile.caches()) largest = std::max<uint64_t>(largest, c.size_bytes());
  return largest;
}

// Why a CPU bandwidth figure must not be read against the DRAM triad: what
// one run reads fits in cache, so it streams from there. "" when it does not.
std::string ServedFromCache(const gridbench::v1::HardwareProfile& profile,
                            const gridbench::v1::ResultPayload& result) {
  auto bytes = result.metrics().find(kWorkingSetMetric);
  const uint64_t cache = LargestCacheBytes(profile);
  if (bytes == result.metrics().end() || cache == 0 || bytes->second > cache) return "";
  return absl::StrFormat(
      "not compared with memory bandwidth: the %.3g MB one run reads fit in the %.3g MB cache",
      bytes->second / 1e6, static_cast<double>(cache) / 1e6);
}

}  // namespace

void DeclarePeakBound(gridbench::v1::ResultPayload& result, std::string_view peak_name,
                      std::string_view device) {
  auto& env = *result.mutable_environment();
  env[kBoundKey] = std::string(peak_name);
  if (!device.empty()) env[kDeviceKey] = std::string(device);
}

void AddFractionOfPeak(const gridbench::v1::HardwareProfile& profile,
                       gridbench::v1::ResultPayload& result) {
  const auto& env = result.environment();
  auto bound = env.find(kBoundKey);
  if (bound == env.end()) return;
  const std::string& name = bound->second;
  std::optional<Peak> peak;
  if (name.starts_with("vulkan_")) {
    auto device = env.find(kDeviceKey);
    if (device != env.end()) peak = VulkanPeak(profile, name, device->second);
  } else {
    auto threads = result.metrics().find("threads");
    if (threads != result.metrics().end() && threads->second >= 1) {
      peak = CpuPeak(profile, name, static_cast<uint32_t>(threads->second));
    }
  }
  if (!peak || peak->value <= 0) return;
  const bool bandwidth = name.ends_with("bandwidth");
  if (bandwidth && !name.starts_with("vulkan_")) {
    if (std::string why = ServedFromCache(profile, result); !why.empty()) {
      (*result.mutable_environment())["fraction_of_peak_basis"] = why;
      return;
    }
  }
  auto achieved = result.metrics().find(bandwidth ? "gbps_median" : "gflops_median");
  if (achieved == result.metrics().end()) return;
  (*result.mutable_metrics())["fraction_of_peak"] = achieved->second * 1e9 / peak->value;
  (*result.mutable_environment())["fraction_of_peak_basis"] = peak->basis;
}

}  // namespace gridbench::worker
