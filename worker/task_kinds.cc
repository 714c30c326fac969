// The registry of task kinds this worker can run.
#include <span>

#include "absl/strings/str_cat.h"
#include "worker/gemm_blas_task.h"
#include "worker/task_kind.h"

namespace gridbench::worker {
namespace {

// In order of preference: the first kind of a name is its default backend.
std::span<const TaskKind* const> Registered() {
  static const GemmBlasTask gemm_blas;
  static const TaskKind* const kinds[] = {&gemm_blas};
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
