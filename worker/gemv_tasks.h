// Task kind "gemv": y = W x with W (rows x cols) quantized as
// params.weight_type, on backend "quant" (CPU, kernels/quant/matmul.h) or
// "vulkan" (kernels/vulkan/gemv_quant.h, Q8_0 and Q4_0). A GEMV reads every
// weight once per product, so memory bandwidth bounds it: results report
// GB/s of weight bytes besides GFLOP/s.
#ifndef GRIDBENCH_WORKER_GEMV_TASKS_H_
#define GRIDBENCH_WORKER_GEMV_TASKS_H_

#include "worker/task_kind.h"

namespace gridbench::worker {

// Both thread-safe (they keep no state).
//
// W and x come from FillSeededInputs (W first, as fp32, then quantized; then
// x); the checksum is OutputChecksum(y), so the two backends agree to float
// rounding for the same weight type and seed. Metrics as KernelResult with
// work.bytes the quantized weight bytes (gbps_median, gbps_best), plus
// weight_bytes; environment adds weight_type.
class GemvQuantTask final : public TaskKind {
 public:
  std::string_view Name() const override { return "gemv"; }
  std::string_view Backend() const override { return "quant"; }

  // Adds metrics threads and environment quant_isa. Bounded by the
  // cpu_triad_bandwidth peak at the same thread count.
  absl::StatusOr<gridbench::v1::ResultPayload> Run(const gridbench::v1::TaskSpec& spec,
                                                   const TaskInputs& inputs,
                                                   ProgressReporter& progress) const override;
};

class GemvVulkanTask final : public TaskKind {
 public:
  std::string_view Name() const override { return "gemv"; }
  std::string_view Backend() const override { return "vulkan"; }

  // Timing and facts as GemmVulkanTask. Bounded by the device's
  // vulkan_copy_bandwidth peak. RESOURCE_EXHAUSTED when rows exceed the
  // device's workgroup count or the weights its memory.
  absl::StatusOr<gridbench::v1::ResultPayload> Run(const gridbench::v1::TaskSpec& spec,
                                                   const TaskInputs& inputs,
                                                   ProgressReporter& progress) const override;
};

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_GEMV_TASKS_H_
