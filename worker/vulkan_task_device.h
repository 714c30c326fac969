// What the Vulkan kernel kinds (gemm and gemv on backend vulkan) share:
// opening the device a task names, timing repetitions with both GPU
// timestamps and the host clock, and recording the device in the result.
//
// Thread-safety: as kernels/vulkan/context.h (one Context per task).
#ifndef GRIDBENCH_WORKER_VULKAN_TASK_DEVICE_H_
#define GRIDBENCH_WORKER_VULKAN_TASK_DEVICE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "common/task_params.h"
#include "gridbench/v1/common.pb.h"
#include "kernels/vulkan/context.h"
#include "worker/task_kind.h"

namespace gridbench::worker {

// The index into kernels::vulkan::EnumerateDevices() of the device `choice`
// names (GemmParams::device): "" the first device that is not software, or
// the first device if all are; all digits an index; anything else the first
// device whose name contains it. NOT_FOUND, naming the devices there are,
// when nothing matches (another worker may have it); UNAVAILABLE when
// Vulkan does not initialise.
absl::StatusOr<uint32_t> ChooseVulkanDevice(
    const std::string& choice, const std::vector<kernels::vulkan::DeviceInfo>& devices);

// Enumerates the devices and opens the one ChooseVulkanDevice picks.
absl::StatusOr<std::unique_ptr<kernels::vulkan::Context>> OpenVulkanDevice(
    const std::string& choice);

// The parameters were valid when the task was submitted, so a kernel or
// buffer that refuses them here (INVALID_ARGUMENT: over this device's limits)
// means this device is too small: RESOURCE_EXHAUSTED, which another worker
// may not hit. Other statuses pass through.
absl::Status OverDeviceLimits(const absl::Status& status);

// Device and host seconds of each timed repetition.
struct VulkanSamples {
  std::vector<double> device_seconds;  // Host seconds where !device_timed.
  std::vector<double> host_seconds;    // Submit to fence, overhead included.
  bool device_timed = false;
};

// TimeRepetitions (timed_samples.h) of `submit_once`, keeping both clocks.
absl::StatusOr<VulkanSamples> TimeVulkanRepetitions(
    const TimingParams& timing, ProgressReporter& progress,
    absl::FunctionRef<absl::StatusOr<kernels::vulkan::SubmitTiming>()> submit_once);

// Adds to `result` the device a task ran on: environment vulkan_device,
// vulkan_driver, vulkan_driver_info, vulkan_api_version, vulkan_software
// ("true" for a CPU implementation such as lavapipe, whose figures are not a
// GPU's); details device_index.
void AddVulkanDeviceFacts(const kernels::vulkan::Context& ctx,
                          gridbench::v1::ResultPayload& result);

// Adds to `result` (whose samples are the device seconds) the device facts
// above, environment vulkan_timing ("device timestamps" or "host clock"),
// and metrics host_seconds_median and gflops_host_median (`flop` over the
// median host time).
void AddVulkanFacts(const kernels::vulkan::Context& ctx, const VulkanSamples& samples, double flop,
                    gridbench::v1::ResultPayload& result);

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_VULKAN_TASK_DEVICE_H_
