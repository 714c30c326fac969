// The registry of task kinds this worker can run.
#include <span>

#include "absl/strings/str_cat.h"
#include "worker/file_read_task.h"
#include "worker/gemm_blas_task.h"
#include "worker/gemm_quant_task.h"
#include "worker/gemm_vulkan_task.h"
#include "worker/gemv_tasks.h"
#include "worker/inference_task.h"
#include "worker/peak_task.h"
#include "worker/quantize_task.h"
#include "worker/task_kind.h"

namespace gridbench::worker {
namespace {

// In order of preference: the first kind of a name is its default backend,
// as common/task_params.h's BackendsOfKind lists them.
std::span<const TaskKind* const> Registered() {
  static const GemmBlasTask gemm_blas;
  static const GemmVulkanTask gemm_vulkan;
  static const GemmQuantTask gemm_quant;
  static const GemvQuantTask gemv_quant;
  static const GemvVulkanTask gemv_vulkan;
  static const PeakTask peak;
  static const QuantizeTask quantize;
  static const InferenceCpuTask inference_cpu;
  static const InferenceVulkanTask inference_vulkan;
  static const FileReadTask file_read;
  static const TaskKind* const kinds[] = {
      &gemm_blas, &gemm_vulkan, &gemm_quant,    &gemv_quant,       &gemv_vulkan,
      &peak,      &quantize,    &inference_cpu, &inference_vulkan, &file_read};
  return kinds;
}

}  // namespace

absl::StatusOr<const TaskKind*> FindTaskKind(std::string_view kind, std::string_view backend) {
  for (const TaskKind* k : Registered()) {
    if (k->Name() == kind && (backend.empty() || k->Backend() == backend)) return k;
  }
  return absl::UnimplementedError(absl::StrCat("this worker cannot run kind \"", std::string(kind),
                                               "\" on backend \"", std::string(backend), "\""));
}

}  // namespace gridbench::worker
