#include "worker/vulkan_task_device.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/sample_summary.h"
#include "common/status_macros.h"
#include "kernels/vulkan/device_info.h"
#include "worker/kernel_result.h"
#include "worker/timed_samples.h"

namespace gridbench::worker {

absl::StatusOr<uint32_t> ChooseVulkanDevice(
    const std::string& choice, const std::vector<kernels::vulkan::DeviceInfo>& devices) {
  std::vector<std::string> names;
  for (const auto& d : devices) names.push_back(d.name);
  const std::string there = names.empty() ? "this worker has no Vulkan device"
                                          : absl::StrCat("devices: ", absl::StrJoin(names, ", "));
  if (choice.empty()) {
    if (devices.empty()) return absl::NotFoundError(there);
    auto gpu =
        std::find_if(devices.begin(), devices.end(), [](const auto& d) { return !d.software; });
    return gpu == devices.end() ? 0u : static_cast<uint32_t>(gpu - devices.begin());
  }
  uint32_t index = 0;
  if (std::all_of(choice.begin(), choice.end(), absl::ascii_isdigit) &&
      absl::SimpleAtoi(choice, &index)) {
    if (index < devices.size()) return index;
    return absl::NotFoundError(absl::StrCat("params.device: no device ", index, "; ", there));
  }
  for (uint32_t i = 0; i < devices.size(); ++i) {
    if (devices[i].name.find(choice) != std::string::npos) return i;
  }
  return absl::NotFoundError(
      absl::StrCat("params.device: no device named like \"", choice, "\"; ", there));
}

absl::StatusOr<std::unique_ptr<kernels::vulkan::Context>> OpenVulkanDevice(
    const std::string& choice) {
  GB_ASSIGN_OR_RETURN(const std::vector<kernels::vulkan::DeviceInfo> devices,
                      kernels::vulkan::EnumerateDevices());
  kernels::vulkan::ContextOptions options;
  GB_ASSIGN_OR_RETURN(options.device_index, ChooseVulkanDevice(choice, devices));
  return kernels::vulkan::Context::Create(options);
}

absl::Status OverDeviceLimits(const absl::Status& status) {
  if (!absl::IsInvalidArgument(status)) return status;
  return absl::ResourceExhaustedError(
      absl::StrCat("over this device's limits: ", status.message()));
}

absl::StatusOr<VulkanSamples> TimeVulkanRepetitions(
    const TimingParams& timing, ProgressReporter& progress,
    absl::FunctionRef<absl::StatusOr<kernels::vulkan::SubmitTiming>()> submit_once) {
  VulkanSamples out;
  std::vector<double> host;  // Warm-up runs included; trimmed below.
  GB_ASSIGN_OR_RETURN(out.device_seconds,
                      TimeRepetitions(timing, progress, [&]() -> absl::StatusOr<double> {
                        GB_ASSIGN_OR_RETURN(const kernels::vulkan::SubmitTiming t, submit_once());
                        host.push_back(t.host_seconds);
                        out.device_timed = t.device_timed;
                        return t.device_seconds;
                      }));
  out.host_seconds.assign(host.end() - static_cast<ptrdiff_t>(out.device_seconds.size()),
                          host.end());
  return out;
}

void AddVulkanDeviceFacts(const kernels::vulkan::Context& ctx,
                          gridbench::v1::ResultPayload& result) {
  const kernels::vulkan::DeviceInfo& info = ctx.info();
  auto& env = *result.mutable_environment();
  env["vulkan_device"] = info.name;
  env["vulkan_driver"] = info.driver_name;
  env["vulkan_driver_info"] = info.driver_info;
  env["vulkan_api_version"] = info.api_version;
  env["vulkan_software"] = info.software ? "true" : "false";
  SetDetail(result, "device_index", ctx.device_index());
}

void AddVulkanFacts(const kernels::vulkan::Context& ctx, const VulkanSamples& samples, double flop,
                    gridbench::v1::ResultPayload& result) {
  AddVulkanDeviceFacts(ctx, result);
  auto& env = *result.mutable_environment();
  env["vulkan_timing"] = samples.device_timed ? "device timestamps" : "host clock";
  const double host_median = SummarizeSamples(samples.host_seconds).median();
  auto& metrics = *result.mutable_metrics();
  metrics["host_seconds_median"] = host_median;
  metrics["gflops_host_median"] = flop / host_median / 1e9;
}

}  // namespace gridbench::worker
