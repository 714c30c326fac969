// Workers: enrollment, sessions, health (leases) and recovery after a restart.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/crypto.h"
#include "coordinator/store/row_ids.h"
#include "coordinator/task_matching.h"
#include "coordinator/task_scheduler.h"
#include "spdlog/spdlog.h"

namespace gridbench::coordinator {

void TaskScheduler::Restore(const LoadedState& state) {
  LockThenFlush lock(*this);
  const int64_t now = clock_->NowNanos();
  const int64_t grace_deadline = now + SecondsToNanos(config_.reconnect_grace_seconds);
  for (const auto& worker : state.workers) {
    WorkerEntry& entry = workers_[worker.worker_id()];
    entry.worker = worker;
    entry.worker.clear_running_task_id();
    if (worker.state() != gridbench::v1::WORKER_STATE_REVOKED) {
      entry.worker.set_state(gridbench::v1::WORKER_STATE_DISCONNECTED);
    }
    entry.lease_deadline = grace_deadline;
  }
  for (const auto& job : state.jobs) {
    jobs_[job.job_id()].job = job;
    job_order_.push_back(job.job_id());
  }
  std::sort(job_order_.begin(), job_order_.end(), [&](const auto& a, const auto& b) {
    return jobs_[a].job.created_unix_nanos() < jobs_[b].job.created_unix_nanos();
  });
  for (const TaskRecord& record : state.tasks) {
    next_seq_ = std::max(next_seq_, record.seq + 1);
    JobEntry& job = jobs_[record.task.job_id()];
    TaskEntry& task = tasks_[record.task.task_id()];
    task.record = record;
    task.priority = job.job.spec().priority();
    task.submitter = job.job.submitter();
    task.unmatched_since = now;
    job.task_ids.push_back(record.task.task_id());
    CountTask(record.task);
    const auto state_now = record.task.state();
    if (state_now == gridbench::v1::TASK_STATE_PENDING) Enqueue(task);
    if (state_now == gridbench::v1::TASK_STATE_RUNNING) {
      if (gridbench::v1::Attempt* attempt = CurrentAttempt(task)) {
        auto worker = workers_.find(attempt->worker_id());
        if (worker != workers_.end()) {
          worker->second.running_task_id = record.task.task_id();
          worker->second.worker.set_running_task_id(record.task.task_id());
        }
      }
    }
  }
}

void TaskScheduler::EnrollWorker(const gridbench::v1::EnrollRequest& request,
                                 const std::string& peer,
                                 std::function<void(absl::StatusOr<std::string>)> done) {
  LockThenFlush lock(*this);
  for (const auto& [id, entry] : workers_) {
    if (entry.worker.public_key() == request.public_key()) {
      return done(absl::AlreadyExistsError(absl::StrCat(
          "this key is already enrolled as worker ", id,
          entry.worker.state() == gridbench::v1::WORKER_STATE_REVOKED ? " (revoked)" : "")));
    }
  }
  WorkerEntry entry;
  auto& worker = entry.worker;
  worker.set_worker_id(RandomRowId("w-"));
  worker.set_name(request.name());
  worker.set_state(gridbench::v1::WORKER_STATE_DISCONNECTED);
  *worker.mutable_labels() = request.labels();
  *worker.mutable_hardware() = request.hardware();
  worker.set_public_key(request.public_key());
  worker.set_key_id(KeyId(request.public_key()));
  worker.set_last_seen_unix_nanos(clock_->NowNanos());
  const std::string id = worker.worker_id();
  store_->UpsertWorker(worker, [done, id](absl::Status status) {
    if (!status.ok()) return done(status);
    done(id);
  });
  Audit("enroll", id, absl::StrCat("name=", request.name(), " key=", worker.key_id()), peer);
  workers_[id] = std::move(entry);
}

absl::StatusOr<gridbench::v1::Worker> TaskScheduler::WorkerForSession(
    const std::string& worker_id) {
  LockThenFlush lock(*this);
  auto it = workers_.find(worker_id);
  if (it == workers_.end()) return absl::NotFoundError(absl::StrCat("unknown worker ", worker_id));
  if (it->second.worker.state() == gridbench::v1::WORKER_STATE_REVOKED) {
    return absl::PermissionDeniedError(absl::StrCat("worker ", worker_id, " is revoked"));
  }
  return it->second.worker;
}

absl::Status TaskScheduler::AttachSession(const gridbench::v1::Hello& hello,
                                          std::shared_ptr<WorkerLink> link) {
  LockThenFlush lock(*this);
  auto it = workers_.find(hello.worker_id());
  if (it == workers_.end()) return absl::NotFoundError("unknown worker");
  WorkerEntry& entry = it->second;
  if (entry.worker.state() == gridbench::v1::WORKER_STATE_REVOKED) {
    return absl::PermissionDeniedError("worker is revoked");
  }
  if (entry.link != link) {
    CloseLink(entry, absl::AbortedError("superseded by a newer session of the same worker"));
  }
  entry.link = std::move(link);
  entry.draining = false;
  *entry.worker.mutable_hardware() = hello.hardware();
  *entry.worker.mutable_labels() = hello.labels();
  entry.worker.set_state(gridbench::v1::WORKER_STATE_CONNECTED);
  const int64_t now = clock_->NowNanos();
  entry.worker.set_last_seen_unix_nanos(now);
  entry.lease_deadline = now + SecondsToNanos(config_.lease_timeout_seconds);
  store_->UpsertWorker(entry.worker);
  // An attempt the worker no longer knows about died with its old process.
  if (!entry.running_task_id.empty()) {
    TaskEntry& task = tasks_.at(entry.running_task_id);
    gridbench::v1::Attempt* attempt = CurrentAttempt(task);
    const auto& live = hello.live_attempt_ids();
    if (attempt != nullptr && !task.committing &&
        std::find(live.begin(), live.end(), attempt->attempt_id()) == live.end()) {
      FailAttempt(task, "worker restarted and lost the attempt", true);
    }
  }
  entry.unknown_attempt_id.clear();
  const gridbench::v1::Attempt* known =
      entry.running_task_id.empty() ? nullptr : CurrentAttempt(tasks_.at(entry.running_task_id));
  for (const std::string& live : hello.live_attempt_ids()) {
    if (known == nullptr || known->attempt_id() != live) entry.unknown_attempt_id = live;
  }
  TryAssign(entry);
  return absl::OkStatus();
}

void TaskScheduler::DetachSession(const std::string& worker_id, const WorkerLink* link) {
  LockThenFlush lock(*this);
  auto it = workers_.find(worker_id);
  if (it == workers_.end() || it->second.link.get() != link) return;
  it->second.link = nullptr;
  // Its running attempt keeps its lease: the worker may reconnect in time.
  if (it->second.worker.state() != gridbench::v1::WORKER_STATE_REVOKED) {
    it->second.worker.set_state(gridbench::v1::WORKER_STATE_DISCONNECTED);
    store_->UpsertWorker(it->second.worker);
  }
}

void TaskScheduler::OnHeartbeat(const std::string& worker_id,
                                const gridbench::v1::Heartbeat& heartbeat) {
  LockThenFlush lock(*this);
  auto it = workers_.find(worker_id);
  if (it == workers_.end()) return;
  const int64_t now = clock_->NowNanos();
  it->second.worker.set_last_seen_unix_nanos(now);
  it->second.worker.set_load_average(heartbeat.load_average());
  it->second.lease_deadline = now + SecondsToNanos(config_.lease_timeout_seconds);
  // A worker draining on its own (SIGTERM) shows as draining and gets no new work.
  if (heartbeat.draining() && !it->second.draining &&
      it->second.worker.state() == gridbench::v1::WORKER_STATE_CONNECTED) {
    it->second.draining = true;
    it->second.worker.set_state(gridbench::v1::WORKER_STATE_DRAINING);
    store_->UpsertWorker(it->second.worker);
  }
  if (heartbeat.running_tasks() == 0) EndUnknownAttempt(worker_id, "");
}

void TaskScheduler::OnProgress(const std::string& worker_id,
                               const gridbench::v1::Progress& progress) {
  LockThenFlush lock(*this);
  auto it = tasks_.find(progress.task_id());
  if (it == tasks_.end()) return;
  gridbench::v1::Attempt* attempt = CurrentAttempt(it->second);
  if (attempt == nullptr || attempt->attempt_id() != progress.attempt_id() ||
      attempt->worker_id() != worker_id) {
    return;
  }
  auto worker = workers_.find(worker_id);
  const int64_t now = clock_->NowNanos();
  worker->second.lease_deadline = now + SecondsToNanos(config_.lease_timeout_seconds);
  it->second.record.task.set_progress(std::clamp(progress.fraction(), 0.0, 1.0));
  Publish(it->second, progress.message());
}

void TaskScheduler::OnFailure(const std::string& worker_id,
                              const gridbench::v1::AttemptFailure& failure) {
  LockThenFlush lock(*this);
  auto it = tasks_.find(failure.task_id());
  if (it == tasks_.end()) return EndUnknownAttempt(worker_id, failure.attempt_id());
  gridbench::v1::Attempt* attempt = CurrentAttempt(it->second);
  if (attempt == nullptr || attempt->attempt_id() != failure.attempt_id() ||
      attempt->lease_id() != failure.lease_id() || attempt->worker_id() != worker_id) {
    Audit("stale_failure", failure.task_id(),
          absl::StrCat("worker ", worker_id, " reported attempt ", failure.attempt_id()));
    EndUnknownAttempt(worker_id, failure.attempt_id());
    return;
  }
  std::string reason = failure.reason();
  if (!failure.stderr_tail().empty()) absl::StrAppend(&reason, "; stderr: ", failure.stderr_tail());
  FailAttempt(it->second, reason, failure.retryable());
}

std::vector<gridbench::v1::Worker> TaskScheduler::ListWorkers() {
  LockThenFlush lock(*this);
  std::vector<gridbench::v1::Worker> out;
  for (const auto& [id, entry] : workers_) out.push_back(entry.worker);
  return out;
}

absl::StatusOr<gridbench::v1::Worker> TaskScheduler::RevokeWorker(const std::string& worker_id) {
  LockThenFlush lock(*this);
  auto it = workers_.find(worker_id);
  if (it == workers_.end()) return absl::NotFoundError(absl::StrCat("no worker ", worker_id));
  WorkerEntry& entry = it->second;
  entry.worker.set_state(gridbench::v1::WORKER_STATE_REVOKED);
  store_->UpsertWorker(entry.worker);
  Audit("worker_revoked", worker_id, absl::StrCat("key=", entry.worker.key_id()));
  CloseLink(entry, absl::PermissionDeniedError("worker revoked"));
  if (!entry.running_task_id.empty()) {
    FailAttempt(tasks_.at(entry.running_task_id), "worker revoked", true);
  }
  return entry.worker;
}

absl::StatusOr<gridbench::v1::Worker> TaskScheduler::DrainWorker(const std::string& worker_id) {
  LockThenFlush lock(*this);
  auto it = workers_.find(worker_id);
  if (it == workers_.end()) return absl::NotFoundError(absl::StrCat("no worker ", worker_id));
  WorkerEntry& entry = it->second;
  if (entry.worker.state() == gridbench::v1::WORKER_STATE_REVOKED) {
    return absl::FailedPreconditionError(absl::StrCat("worker ", worker_id, " is revoked"));
  }
  entry.draining = true;
  entry.worker.set_state(gridbench::v1::WORKER_STATE_DRAINING);
  store_->UpsertWorker(entry.worker);
  gridbench::v1::CoordinatorMessage drain;
  drain.mutable_drain();
  SendToLink(entry, std::move(drain));
  return entry.worker;
}

void TaskScheduler::LoseWorker(WorkerEntry& entry, const std::string& reason) {
  entry.worker.set_state(gridbench::v1::WORKER_STATE_LOST);
  store_->UpsertWorker(entry.worker);
  CloseLink(entry, absl::UnavailableError(reason));
  if (!entry.running_task_id.empty()) {
    FailAttempt(tasks_.at(entry.running_task_id), reason, true);
  }
}

void TaskScheduler::Tick() {
  LockThenFlush lock(*this);
  const int64_t now = clock_->NowNanos();
  for (auto& [id, entry] : workers_) {
    const auto state = entry.worker.state();
    if (state == gridbench::v1::WORKER_STATE_REVOKED || state == gridbench::v1::WORKER_STATE_LOST) {
      continue;
    }
    const bool busy_committing =
        !entry.running_task_id.empty() && tasks_.at(entry.running_task_id).committing;
    if (now > entry.lease_deadline && !busy_committing &&
        (entry.link != nullptr || !entry.running_task_id.empty())) {
      LoseWorker(entry, absl::StrCat("worker lost: silent for more than ",
                                     config_.lease_timeout_seconds, "s"));
    }
  }
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    const std::string id = delayed_.begin()->second;
    delayed_.erase(delayed_.begin());
    TaskEntry& task = tasks_.at(id);
    if (task.record.task.state() == gridbench::v1::TASK_STATE_PENDING) Enqueue(task);
  }
  FailUnmatchable(now);
  AssignAll();
}

std::string TaskScheduler::WhyNoWorkerMatches(const TaskEntry& task) {
  std::set<std::string> reasons;
  const std::string& pinned = task.record.task.pinned_worker_id();
  for (const auto& [id, entry] : workers_) {
    if (entry.worker.state() == gridbench::v1::WORKER_STATE_REVOKED) continue;
    if (!pinned.empty() && pinned != id) continue;
    const std::string unmet = UnmetRequirement(task.record.task.spec(), entry.worker);
    if (unmet.empty()) return "";
    reasons.insert(unmet);
  }
  if (reasons.empty()) return pinned.empty() ? "no workers are enrolled" : "its worker is revoked";
  return absl::StrJoin(reasons, "; ");
}

void TaskScheduler::FailUnmatchable(int64_t now) {
  const int64_t wait = SecondsToNanos(config_.unmatched_task_timeout_seconds);
  std::vector<std::string> doomed;
  for (auto it = unmatched_.begin(); it != unmatched_.end();) {
    TaskEntry& task = tasks_.at(*it);
    // Matched, or no longer queued (Enqueue adds it back if queued again).
    if (task.ever_matched || !pending_.Contains(*it)) {
      it = unmatched_.erase(it);
      continue;
    }
    if (WhyNoWorkerMatches(task).empty()) {
      task.ever_matched = true;
      it = unmatched_.erase(it);
      continue;
    }
    if (now - task.unmatched_since > wait) doomed.push_back(*it);
    ++it;
  }
  for (const std::string& id : doomed) {
    unmatched_.erase(id);
    TaskEntry& task = tasks_.at(id);
    FinishTask(task, gridbench::v1::TASK_STATE_FAILED,
               absl::StrCat("no worker matches: ", WhyNoWorkerMatches(task)));
  }
}

void TaskScheduler::Audit(const std::string& kind, const std::string& subject,
                          const std::string& detail, const std::string& peer) {
  spdlog::info("audit {} {}: {}", kind, subject, detail);
  store_->AppendAudit({clock_->NowNanos(), kind, subject, detail, peer});
}

}  // namespace gridbench::coordinator
