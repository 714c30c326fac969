// One attempt at a task, run in a child process (worker/task_child.h) so that
// a crashing kernel or driver, or one that hangs, takes down only the child.
#ifndef GRIDBENCH_WORKER_TASK_RUN_H_
#define GRIDBENCH_WORKER_TASK_RUN_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "gridbench/v1/worker.pb.h"
#include "worker/child_process.h"
#include "worker/task_kind.h"

namespace gridbench::worker {

// Used when a task names no timeout.
inline constexpr double kDefaultTaskTimeoutSeconds = 600;

// Thread-safety: Run() once, from one thread; Cancel() from any thread.
class TaskRun {
 public:
  using Outcome = std::variant<gridbench::v1::ResultPayload, gridbench::v1::AttemptFailure>;

  // `command` starts the child (normally TaskChildCommand(exe, kRunTaskFlag));
  // its input is a serialized TaskChildInput: `assignment` and what Run()
  // is given.
  TaskRun(ChildCommand command, gridbench::v1::Assignment assignment);

  const gridbench::v1::Assignment& assignment() const { return assignment_; }

  // Runs the child to completion and returns its result payload, or an
  // AttemptFailure (ids filled in) that says why there is none:
  //   - the kind refused or failed (retryable unless the parameters are invalid);
  //   - "timed out after Ns" when spec.timeout_seconds passed (SIGKILL);
  //   - "task process killed by signal SIGSEGV (...)" or "... exited with
  //     status N", with the last 4 KiB of its output;
  //   - "cancelled: <reason>" after Cancel(), retryable as Cancel() says.
  // `inputs` are the verified artifacts and output directory the agent
  // prepared. `on_progress` gets each Progress report (ids filled in) as it
  // arrives.
  Outcome Run(const TaskInputs& inputs,
              const std::function<void(const gridbench::v1::Progress&)>& on_progress);

  // Kills the child if it is running, or makes Run() return at once if it has
  // not started. `retryable` says whether another attempt may succeed (true
  // when this worker is shutting down, false when the coordinator cancelled
  // the attempt). Only the first call counts.
  void Cancel(const std::string& reason, bool retryable);

 private:
  gridbench::v1::AttemptFailure Failure(std::string reason) const;
  Outcome Interpret(const ChildExit& exit, std::optional<gridbench::v1::ResultPayload> result,
                    std::optional<gridbench::v1::AttemptFailure> failure,
                    double timeout_seconds) const;

  // Constant after construction.
  const ChildCommand command_;
  const gridbench::v1::Assignment assignment_;

  mutable absl::Mutex mu_;
  ChildProcess* child_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::optional<std::string> cancel_reason_ ABSL_GUARDED_BY(mu_);
  bool cancel_retryable_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_TASK_RUN_H_
