// The kinds of task a worker can run, each on one backend. A kind runs inside
// the task child process (worker/task_child.h), never in the agent itself.
//
// To add a kind: implement TaskKind in worker/<kind>_<backend>_task.{h,cc}
// and list it in worker/task_kinds.cc.
#ifndef GRIDBENCH_WORKER_TASK_KIND_H_
#define GRIDBENCH_WORKER_TASK_KIND_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gridbench/v1/common.pb.h"

namespace gridbench::worker {

// Where a running kind reports how far it got. Implementations are called
// from the kind's thread only and must be cheap; kinds should still report at
// most a few times a second.
class ProgressReporter {
 public:
  virtual ~ProgressReporter() = default;
  // `fraction` in [0, 1].
  virtual void Report(double fraction, std::string_view message) = 0;
};

// What the agent prepared for one run, before the child started.
struct TaskInputs {
  // Every artifact the task names (common/task_params.h ArtifactIdsOf), by
  // id: a local path whose bytes were verified against the id. Read-only:
  // the file is shared with later tasks through the worker's cache.
  std::map<std::string, std::string> artifact_paths;
  // artifact_paths[id]; FAILED_PRECONDITION when the agent supplied no copy
  // (a fault of the agent, not of the task's parameters).
  absl::StatusOr<std::string> LocalPath(const std::string& id) const {
    auto it = artifact_paths.find(id);
    if (it == artifact_paths.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the agent supplied no local copy of artifact ", id));
    }
    return it->second;
  }
  // A fresh, empty directory for this attempt's output files. A kind that
  // produces a file writes it here and lists it in ResultPayload.artifacts
  // with role "output", name = its file name here and artifact_id computed
  // from its bytes; the agent uploads it before signing the result. The
  // directory is removed after the attempt.
  std::string output_dir;
};

class TaskKind {
 public:
  virtual ~TaskKind() = default;
  virtual std::string_view Name() const = 0;     // e.g. "gemm".
  virtual std::string_view Backend() const = 0;  // e.g. "blas".

  // Runs the task described by `spec` and measures it. The returned payload
  // has every field except hardware_sha256, which the agent fills in.
  // Errors: INVALID_ARGUMENT for parameters that can never run (not worth a
  // retry); RESOURCE_EXHAUSTED when this machine is too small; anything else
  // is treated as retryable.
  virtual absl::StatusOr<gridbench::v1::ResultPayload> Run(const gridbench::v1::TaskSpec& spec,
                                                           const TaskInputs& inputs,
                                                           ProgressReporter& progress) const = 0;
};

// The kind that runs `kind` on `backend`; an empty backend picks the kind's
// default (the first one listed). UNIMPLEMENTED when this worker has no such
// kind or backend (another worker may). The result lives forever.
absl::StatusOr<const TaskKind*> FindTaskKind(std::string_view kind, std::string_view backend);

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_TASK_KIND_H_
