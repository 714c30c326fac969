#include "worker/task_run.h"

#include <signal.h>
#include <string.h>

#include "absl/strings/str_cat.h"

namespace gridbench::worker {
namespace {

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  const char* text = strsignal(sig);
  return absl::StrCat(abbrev != nullptr ? absl::StrCat("SIG", abbrev) : absl::StrCat(sig), " (",
                      text != nullptr ? text : "unknown signal", ")");
}

}  // namespace

TaskRun::TaskRun(ChildCommand command, gridbench::v1::Assignment assignment)
    : command_(std::move(command)), assignment_(std::move(assignment)) {}

gridbench::v1::AttemptFailure TaskRun::Failure(std::string reason) const {
  gridbench::v1::AttemptFailure f;
  f.set_task_id(assignment_.task_id());
  f.set_attempt_id(assignment_.attempt_id());
  f.set_lease_id(assignment_.lease_id());
  f.set_reason(std::move(reason));
  f.set_exit_status(-1);
  f.set_retryable(true);
  return f;
}

void TaskRun::Cancel(const std::string& reason, bool retryable) {
  absl::MutexLock lock(&mu_);
  if (cancel_reason_) return;
  cancel_reason_ = reason;
  cancel_retryable_ = retryable;
  if (child_ != nullptr) child_->Cancel();
}

TaskRun::Outcome TaskRun::Run(
    const TaskInputs& inputs,
    const std::function<void(const gridbench::v1::Progress&)>& on_progress) {
  const double timeout_seconds = assignment_.spec().timeout_seconds() > 0
                                     ? assignment_.spec().timeout_seconds()
                                     : kDefaultTaskTimeoutSeconds;
  const absl::Time deadline = absl::Now() + absl::Seconds(timeout_seconds);
  gridbench::v1::TaskChildInput input;
  *input.mutable_assignment() = assignment_;
  input.mutable_artifact_paths()->insert(inputs.artifact_paths.begin(),
                                         inputs.artifact_paths.end());
  input.set_output_dir(inputs.output_dir);
  absl::StatusOr<std::unique_ptr<ChildProcess>> child =
      ChildProcess::Start(command_, input.SerializeAsString());
  if (!child.ok()) return Failure(std::string(child.status().message()));
  {
    absl::MutexLock lock(&mu_);
    if (cancel_reason_) {
      gridbench::v1::AttemptFailure f = Failure(absl::StrCat("cancelled: ", *cancel_reason_));
      f.set_retryable(cancel_retryable_);
      return f;  // The destructor kills the child.
    }
    child_ = child->get();
  }
  std::optional<gridbench::v1::ResultPayload> result;
  std::optional<gridbench::v1::AttemptFailure> failure;
  absl::StatusOr<ChildExit> exit = (*child)->Wait(deadline, [&](Frame frame) {
    if (frame.type == FrameType::kProgress) {
      gridbench::v1::Progress p;
      if (!p.ParseFromString(frame.bytes)) return;
      p.set_task_id(assignment_.task_id());
      p.set_attempt_id(assignment_.attempt_id());
      p.set_lease_id(assignment_.lease_id());
      on_progress(p);
    } else if (frame.type == FrameType::kResult) {
      result.emplace();
      if (!result->ParseFromString(frame.bytes)) result.reset();
    } else if (frame.type == FrameType::kFailure) {
      failure.emplace();
      if (!failure->ParseFromString(frame.bytes)) failure.reset();
    }
  });
  {
    absl::MutexLock lock(&mu_);
    child_ = nullptr;
  }
  if (!exit.ok()) return Failure(std::string(exit.status().message()));
  return Interpret(*exit, std::move(result), std::move(failure), timeout_seconds);
}

TaskRun::Outcome TaskRun::Interpret(const ChildExit& exit,
                                    std::optional<gridbench::v1::ResultPayload> result,
                                    std::optional<gridbench::v1::AttemptFailure> failure,
                                    double timeout_seconds) const {
  if (result && exit.exit_status == 0 && !exit.cancelled && !exit.timed_out) return *result;
  gridbench::v1::AttemptFailure out = Failure("");
  out.set_exit_status(exit.exit_status);
  out.set_signal(exit.timed_out || exit.cancelled ? 0 : exit.signal);
  out.set_stderr_tail(exit.stderr_tail);
  if (exit.cancelled) {
    absl::MutexLock lock(&mu_);
    out.set_reason(absl::StrCat("cancelled: ", cancel_reason_.value_or("")));
    out.set_retryable(cancel_retryable_);
  } else if (exit.timed_out) {
    out.set_reason(absl::StrCat("timed out after ", timeout_seconds, "s"));
  } else if (!exit.frame_error.empty()) {
    out.set_reason(absl::StrCat("task process sent malformed output: ", exit.frame_error));
  } else if (failure && exit.exit_status == 0) {
    out.set_reason(failure->reason());
    out.set_retryable(failure->retryable());
  } else if (exit.signal != 0) {
    out.set_reason(absl::StrCat("task process killed by signal ", SignalName(exit.signal)));
  } else if (exit.exit_status != 0) {
    out.set_reason(absl::StrCat("task process exited with status ", exit.exit_status));
  } else {
    out.set_reason("task process exited without a result");
  }
  return out;
}

}  // namespace gridbench::worker
