// Task kind "gemm" on backend "blas": times fp32 C = A * B through OpenBLAS
// (kernels/cpu/blas.h) with parameters as in common/task_params.h.
#ifndef GRIDBENCH_WORKER_GEMM_BLAS_TASK_H_
#define GRIDBENCH_WORKER_GEMM_BLAS_TASK_H_

#include "worker/task_kind.h"

namespace gridbench::worker {

// Thread-safe (it keeps no state).
class GemmBlasTask final : public TaskKind {
 public:
  std::string_view Name() const override { return "gemm"; }
  std::string_view Backend() const override { return "blas"; }

  // A and B from FillSeededInputs (kernel_inputs.h), checksum of C as
  // OutputChecksum (kernel_result.h). Metrics and environment as
  // KernelResult, plus threads, openblas_corename, openblas_version,
  // openblas_coretype (the OPENBLAS_CORETYPE this process started with).
  // Details: the parameters used. Bounded by the cpu_fp32_fma peak.
  // RESOURCE_EXHAUSTED before allocating when A, B and C do not fit in the
  // memory available, or when more threads are asked for than OpenBLAS has.
  absl::StatusOr<gridbench::v1::ResultPayload> Run(const gridbench::v1::TaskSpec& spec,
                                                   const TaskInputs& inputs,
                                                   ProgressReporter& progress) const override;
};

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_GEMM_BLAS_TASK_H_
