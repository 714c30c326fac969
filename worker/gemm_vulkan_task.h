// Task kind "gemm" on backend "vulkan": times fp32 C = A * B with the tiled
// shader of kernels/vulkan/gemm.h on one Vulkan device (params.device).
#ifndef GRIDBENCH_WORKER_GEMM_VULKAN_TASK_H_
#define GRIDBENCH_WORKER_GEMM_VULKAN_TASK_H_

#include "worker/task_kind.h"

namespace gridbench::worker {

// Thread-safe (it keeps no state; each Run opens its own device).
class GemmVulkanTask final : public TaskKind {
 public:
  std::string_view Name() const override { return "gemm"; }
  std::string_view Backend() const override { return "vulkan"; }

  // Inputs and checksum as GemmBlasTask, so the two backends' checksums
  // agree to float rounding. Samples are device seconds from timestamp
  // queries (host seconds where the queue has none); metrics and
  // environment as KernelResult and AddVulkanFacts. Bounded by the
  // vulkan_fp32_fma peak of the device. NOT_FOUND when params.device names no
  // device here; RESOURCE_EXHAUSTED when the matrices exceed the device's or
  // the host's memory.
  absl::StatusOr<gridbench::v1::ResultPayload> Run(const gridbench::v1::TaskSpec& spec,
                                                   const TaskInputs& inputs,
                                                   ProgressReporter& progress) const override;
};

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_GEMM_VULKAN_TASK_H_
