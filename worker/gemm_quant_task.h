// Task kind "gemm" on backend "quant": C = A * B with B held quantized as
// params.weight_type, through kernels/quant's GEMM (kernels/quant/matmul.h),
// which quantizes A on the fly to the type's activation format.
#ifndef GRIDBENCH_WORKER_GEMM_QUANT_TASK_H_
#define GRIDBENCH_WORKER_GEMM_QUANT_TASK_H_

#include "worker/task_kind.h"

namespace gridbench::worker {

// Thread-safe (it keeps no state).
class GemmQuantTask final : public TaskKind {
 public:
  std::string_view Name() const override { return "gemm"; }
  std::string_view Backend() const override { return "quant"; }

  // A and B as GemmBlasTask; B is transposed (the kernel takes weights as
  // rows of k values) and quantized before timing, so the checksum of C
  // differs from the fp32 backends' by the quantization error only. Metrics
  // as KernelResult plus threads and weight_bytes; environment adds
  // weight_type and quant_isa (the code path that ran). Bounded by the
  // cpu_int8_dot peak. RESOURCE_EXHAUSTED as GemmBlasTask.
  absl::StatusOr<gridbench::v1::ResultPayload> Run(const gridbench::v1::TaskSpec& spec,
                                                   const TaskInputs& inputs,
                                                   ProgressReporter& progress) const override;
};

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_GEMM_QUANT_TASK_H_
