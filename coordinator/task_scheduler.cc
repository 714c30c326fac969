// Jobs, tasks and assignment. Worker sessions and health are in
// task_scheduler_workers.cc.
#include "coordinator/task_scheduler.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "coordinator/retry_backoff.h"
#include "coordinator/store/row_ids.h"
#include "coordinator/task_matching.h"
#include "spdlog/spdlog.h"

namespace gridbench::coordinator {

using gridbench::v1::Attempt;
using gridbench::v1::Job;
using gridbench::v1::TaskState;

namespace {

bool IsFinal(TaskState state) {
  return state == gridbench::v1::TASK_STATE_SUCCEEDED ||
         state == gridbench::v1::TASK_STATE_FAILED || state == gridbench::v1::TASK_STATE_CANCELLED;
}

}  // namespace

bool IsFinalJobState(gridbench::v1::JobState state) {
  return state == gridbench::v1::JOB_STATE_SUCCEEDED || state == gridbench::v1::JOB_STATE_FAILED ||
         state == gridbench::v1::JOB_STATE_CANCELLED;
}

TaskScheduler::TaskScheduler(const CoordinatorConfig& config, CoordinatorStore* store, Clock* clock,
                             LinkFlusher* flusher)
    : config_(config),
      store_(store),
      clock_(clock),
      flusher_(flusher),
      rng_(std::random_device{}()) {}

TaskScheduler::LockThenFlush::LockThenFlush(TaskScheduler& scheduler, LinkFlusher* flusher)
    : scheduler_(scheduler), flusher_(flusher) {
  scheduler_.mu_.Lock();
}

TaskScheduler::LockThenFlush::~LockThenFlush() {
  std::vector<std::shared_ptr<WorkerLink>> links;
  links.swap(scheduler_.unflushed_);
  scheduler_.mu_.Unlock();
  if (flusher_ != nullptr) {
    flusher_->Flush(std::move(links));
    return;
  }
  for (const std::shared_ptr<WorkerLink>& link : links) link->Flush();
}

void TaskScheduler::SendToLink(WorkerEntry& worker, gridbench::v1::CoordinatorMessage message) {
  if (worker.link == nullptr) return;
  worker.link->Send(std::move(message));
  unflushed_.push_back(worker.link);
}

void TaskScheduler::CloseLink(WorkerEntry& worker, absl::Status status) {
  if (worker.link == nullptr) return;
  worker.link->Close(std::move(status));
  unflushed_.push_back(std::move(worker.link));
  worker.link = nullptr;
}

gridbench::v1::RetryPolicy TaskScheduler::EffectiveRetry(
    const gridbench::v1::TaskSpec& spec) const {
  gridbench::v1::RetryPolicy retry = config_.default_retry;
  const auto& own = spec.retry();
  if (own.max_attempts() > 0) retry.set_max_attempts(own.max_attempts());
  if (own.initial_backoff_seconds() > 0)
    retry.set_initial_backoff_seconds(own.initial_backoff_seconds());
  if (own.max_backoff_seconds() > 0) retry.set_max_backoff_seconds(own.max_backoff_seconds());
  if (own.multiplier() > 0) retry.set_multiplier(own.multiplier());
  return retry;
}

std::vector<TaskRecord> TaskScheduler::ExpandTasks(const gridbench::v1::JobSpec& spec,
                                                   const std::string& job_id, int64_t now) {
  std::vector<TaskRecord> out;
  auto add = [&](const gridbench::v1::TaskSpec& task_spec, const std::string& name,
                 const std::string& pinned) {
    TaskRecord record;
    record.task.set_task_id(TimeOrderedRowId("t-", now));
    record.task.set_job_id(job_id);
    *record.task.mutable_spec() = task_spec;
    record.task.mutable_spec()->set_name(name);
    record.task.set_state(gridbench::v1::TASK_STATE_PENDING);
    record.task.set_pinned_worker_id(pinned);
    record.seq = next_seq_++;
    record.created_unix_nanos = now;
    out.push_back(std::move(record));
  };
  for (const auto& task_spec : spec.tasks()) {
    if (task_spec.placement() != gridbench::v1::PLACEMENT_EACH) {
      add(task_spec, task_spec.name(), "");
      continue;
    }
    size_t copies = 0;
    for (const auto& [id, worker] : workers_) {
      if (worker.worker.state() == gridbench::v1::WORKER_STATE_REVOKED) continue;
      if (!UnmetRequirement(task_spec, worker.worker).empty()) continue;
      add(task_spec, absl::StrCat(task_spec.name(), "@", worker.worker.name()), id);
      ++copies;
    }
    // No matching worker yet: one copy that fails with the reason if none appears.
    if (copies == 0) add(task_spec, task_spec.name(), "");
  }
  return out;
}

void TaskScheduler::SubmitJob(
    const gridbench::v1::JobSpec& spec, const std::string& submitter,
    std::function<void(absl::StatusOr<gridbench::v1::SubmitJobResponse>)> done) {
  LockThenFlush lock(*this);
  const int64_t now = clock_->NowNanos();
  JobEntry entry;
  entry.job.set_job_id(RandomRowId("j-"));
  *entry.job.mutable_spec() = spec;
  entry.job.set_state(gridbench::v1::JOB_STATE_QUEUED);
  entry.job.set_submitter(submitter);
  entry.job.set_created_unix_nanos(now);
  std::vector<TaskRecord> records = ExpandTasks(spec, entry.job.job_id(), now);
  gridbench::v1::SubmitJobResponse response;
  response.set_job_id(entry.job.job_id());
  for (const TaskRecord& record : records) {
    response.add_task_ids(record.task.task_id());
    entry.task_ids.push_back(record.task.task_id());
  }
  store_->InsertJob(entry.job, records, [done, response](absl::Status status) {
    if (!status.ok()) return done(status);
    done(response);
  });
  for (TaskRecord& record : records) {
    TaskEntry& task = tasks_[record.task.task_id()];
    task.record = std::move(record);
    task.priority = spec.priority();
    task.submitter = submitter;
    task.unmatched_since = now;
    Enqueue(task);
  }
  job_order_.push_back(entry.job.job_id());
  jobs_[entry.job.job_id()] = std::move(entry);
  AssignAll();
}

void TaskScheduler::Enqueue(TaskEntry& task) {
  const int64_t eligible = task.record.next_eligible_unix_nanos;
  if (eligible > clock_->NowNanos()) {
    delayed_.emplace(eligible, task.record.task.task_id());
    return;
  }
  pending_.Add({task.priority, task.submitter, task.record.seq, task.record.task.task_id()});
  if (!task.ever_matched) unmatched_.insert(task.record.task.task_id());
}

bool TaskScheduler::Acceptable(const TaskEntry& task, const WorkerEntry& worker) {
  const auto& record = task.record;
  const std::string& pinned = record.task.pinned_worker_id();
  if (!pinned.empty() && pinned != worker.worker.worker_id()) return false;
  if (!UnmetRequirement(record.task.spec(), worker.worker).empty()) return false;
  if (record.avoid_worker_id != worker.worker.worker_id() || !pinned.empty()) return true;
  // A retry prefers another worker, when another connected one could run it.
  for (const auto& [id, other] : workers_) {
    if (id == worker.worker.worker_id() || other.link == nullptr || other.draining) continue;
    if (UnmetRequirement(record.task.spec(), other.worker).empty()) return false;
  }
  return true;
}

void TaskScheduler::TryAssign(WorkerEntry& worker) {
  if (worker.link == nullptr || worker.draining || !worker.running_task_id.empty() ||
      !worker.unknown_attempt_id.empty()) {
    return;
  }
  std::optional<std::string> task_id =
      pending_.TakeFirst([&](const std::string& id) { return Acceptable(tasks_.at(id), worker); });
  if (!task_id) return;
  TaskEntry& task = tasks_.at(*task_id);
  const int64_t now = clock_->NowNanos();
  Attempt* attempt = task.record.task.add_attempts();
  attempt->set_attempt_id(TimeOrderedRowId("a-", now));
  attempt->set_worker_id(worker.worker.worker_id());
  attempt->set_lease_id(RandomRowId("l-"));
  attempt->set_state(gridbench::v1::ATTEMPT_STATE_RUNNING);
  attempt->set_started_unix_nanos(now);
  task.record.task.set_state(gridbench::v1::TASK_STATE_RUNNING);
  task.record.task.set_attempts_made(task.record.task.attempts_made() + 1);
  task.record.task.set_progress(0);
  task.ever_matched = true;
  jobs_.at(task.record.task.job_id()).any_started = true;
  worker.running_task_id = *task_id;
  worker.worker.set_running_task_id(*task_id);
  PersistTask(task);

  gridbench::v1::CoordinatorMessage message;
  auto* assignment = message.mutable_assignment();
  assignment->set_job_id(task.record.task.job_id());
  assignment->set_task_id(*task_id);
  assignment->set_attempt_id(attempt->attempt_id());
  assignment->set_lease_id(attempt->lease_id());
  *assignment->mutable_spec() = task.record.task.spec();
  SendToLink(worker, std::move(message));
  UpdateJobState(task.record.task.job_id());
  Publish(task,
          absl::StrCat("attempt ", task.record.task.attempts_made(), " on ", worker.worker.name()));
}

void TaskScheduler::AssignAll() {
  if (pending_.size() == 0) return;
  for (auto& [id, worker] : workers_) {
    TryAssign(worker);
    if (pending_.size() == 0) return;
  }
}

Attempt* TaskScheduler::CurrentAttempt(TaskEntry& task) {
  auto* attempts = task.record.task.mutable_attempts();
  if (attempts->empty()) return nullptr;
  Attempt* last = &attempts->at(attempts->size() - 1);
  return last->state() == gridbench::v1::ATTEMPT_STATE_RUNNING ? last : nullptr;
}

// Writes the task with its latest attempt: every attempt change goes through here.
void TaskScheduler::PersistTask(const TaskEntry& task) {
  store_->UpdateTask(TaskUpdate::Of(task.record));
}

void TaskScheduler::ReleaseWorker(const std::string& worker_id, const std::string& task_id) {
  auto it = workers_.find(worker_id);
  if (it == workers_.end() || it->second.running_task_id != task_id) return;
  it->second.running_task_id.clear();
  it->second.worker.clear_running_task_id();
}

void TaskScheduler::FailAttempt(TaskEntry& task, const std::string& reason, bool retryable) {
  Attempt* attempt = CurrentAttempt(task);
  if (attempt == nullptr) return;
  attempt->set_state(gridbench::v1::ATTEMPT_STATE_FAILED);
  attempt->set_finished_unix_nanos(clock_->NowNanos());
  attempt->set_failure_reason(reason);
  const std::string worker_id = attempt->worker_id();
  ReleaseWorker(worker_id, task.record.task.task_id());
  task.committing = false;

  const gridbench::v1::RetryPolicy retry = EffectiveRetry(task.record.task.spec());
  const uint32_t made = task.record.task.attempts_made();
  if (!retryable) {
    FinishTask(task, gridbench::v1::TASK_STATE_FAILED, reason);
  } else if (made >= retry.max_attempts()) {
    FinishTask(task, gridbench::v1::TASK_STATE_FAILED,
               absl::StrCat("gave up after ", made, " attempts; last: ", reason));
  } else {
    std::uniform_real_distribution<double> uniform(0, 1);
    const double wait = BackoffSeconds(retry, made, uniform(rng_));
    task.record.next_eligible_unix_nanos = clock_->NowNanos() + SecondsToNanos(wait);
    task.record.avoid_worker_id = worker_id;
    task.record.task.set_state(gridbench::v1::TASK_STATE_PENDING);
    task.record.task.set_failure_reason(reason);
    PersistTask(task);
    Enqueue(task);
    Publish(task, absl::StrCat("attempt failed (", reason, "); retry in ", wait, "s"));
  }
  auto worker = workers_.find(worker_id);
  if (worker != workers_.end()) TryAssign(worker->second);
}

void TaskScheduler::FinishTask(TaskEntry& task, TaskState state, const std::string& reason) {
  if (IsFinal(task.record.task.state())) return;
  task.record.task.set_state(state);
  CountTask(task.record.task);
  task.record.task.set_failure_reason(reason);
  if (state == gridbench::v1::TASK_STATE_SUCCEEDED) task.record.task.set_progress(1);
  pending_.Remove(task.record.task.task_id());
  delayed_.erase({task.record.next_eligible_unix_nanos, task.record.task.task_id()});
  PersistTask(task);
  // The job's state first, so the event carries it (watchers end on a final one).
  UpdateJobState(task.record.task.job_id());
  Publish(task, reason);
}

void TaskScheduler::CountTask(const gridbench::v1::Task& task) {
  JobEntry& job = jobs_.at(task.job_id());
  job.any_started |= task.attempts_made() > 0;
  if (!IsFinal(task.state())) return;
  ++job.final_tasks;
  job.any_failed |= task.state() == gridbench::v1::TASK_STATE_FAILED;
  job.any_cancelled |= task.state() == gridbench::v1::TASK_STATE_CANCELLED;
}

void TaskScheduler::UpdateJobState(const std::string& job_id) {
  JobEntry& job = jobs_.at(job_id);
  if (IsFinalJobState(job.job.state())) return;
  gridbench::v1::JobState next = job.job.state();
  if (job.final_tasks == job.task_ids.size()) {
    next = job.any_cancelled ? gridbench::v1::JOB_STATE_CANCELLED
           : job.any_failed  ? gridbench::v1::JOB_STATE_FAILED
                             : gridbench::v1::JOB_STATE_SUCCEEDED;
  } else if (job.any_started) {
    next = gridbench::v1::JOB_STATE_RUNNING;
  }
  if (next == job.job.state()) return;
  job.job.set_state(next);
  store_->UpdateJobState(job_id, next);
}

gridbench::v1::TaskEvent TaskScheduler::EventFor(const TaskEntry& task) {
  const auto& t = task.record.task;
  gridbench::v1::TaskEvent event;
  event.set_job_id(t.job_id());
  event.set_task_id(t.task_id());
  event.set_task_name(t.spec().name());
  event.set_state(t.state());
  if (!t.attempts().empty()) event.set_worker_id(t.attempts().rbegin()->worker_id());
  event.set_progress(t.progress());
  event.set_job_state(jobs_.at(t.job_id()).job.state());
  event.set_unix_nanos(clock_->NowNanos());
  return event;
}

void TaskScheduler::Publish(const TaskEntry& task, const std::string& message) {
  if (watchers_.empty()) return;
  gridbench::v1::TaskEvent event = EventFor(task);
  event.set_message(message);
  for (const auto& [id, watcher] : watchers_) {
    if (watcher.first == event.job_id()) watcher.second(event);
  }
}

absl::StatusOr<int64_t> TaskScheduler::Watch(const std::string& job_id, TaskEventSink sink) {
  LockThenFlush lock(*this);
  auto job = jobs_.find(job_id);
  if (job == jobs_.end()) return absl::NotFoundError(absl::StrCat("no job ", job_id));
  for (const std::string& id : job->second.task_ids) sink(EventFor(tasks_.at(id)));
  const int64_t watch_id = next_watch_id_++;
  watchers_[watch_id] = {job_id, std::move(sink)};
  return watch_id;
}

void TaskScheduler::Unwatch(int64_t watch_id) {
  LockThenFlush lock(*this);
  watchers_.erase(watch_id);
}

bool TaskScheduler::JobIsFinal(const std::string& job_id) {
  LockThenFlush lock(*this);
  auto job = jobs_.find(job_id);
  return job == jobs_.end() || IsFinalJobState(job->second.job.state());
}

Job TaskScheduler::JobView(const JobEntry& entry, bool with_attempts) {
  Job job = entry.job;
  for (const std::string& id : entry.task_ids) {
    gridbench::v1::Task* task = job.add_tasks();
    *task = tasks_.at(id).record.task;
    if (!with_attempts) task->clear_attempts();
  }
  return job;
}

absl::StatusOr<Job> TaskScheduler::GetJob(const std::string& job_id) {
  LockThenFlush lock(*this);
  auto job = jobs_.find(job_id);
  if (job == jobs_.end()) return absl::NotFoundError(absl::StrCat("no job ", job_id));
  return JobView(job->second, true);
}

std::vector<Job> TaskScheduler::ListJobs(size_t limit) {
  LockThenFlush lock(*this);
  std::vector<Job> out;
  for (auto it = job_order_.rbegin(); it != job_order_.rend() && out.size() < limit; ++it) {
    out.push_back(JobView(jobs_.at(*it), false));
  }
  return out;
}

absl::StatusOr<Job> TaskScheduler::CancelJob(const std::string& job_id) {
  LockThenFlush lock(*this);
  auto job = jobs_.find(job_id);
  if (job == jobs_.end()) return absl::NotFoundError(absl::StrCat("no job ", job_id));
  if (IsFinalJobState(job->second.job.state())) {
    return absl::FailedPreconditionError(absl::StrCat("job ", job_id, " has already finished"));
  }
  for (const std::string& id : job->second.task_ids) {
    TaskEntry& task = tasks_.at(id);
    if (IsFinal(task.record.task.state()) || task.committing) continue;
    if (Attempt* attempt = CurrentAttempt(task)) {
      attempt->set_state(gridbench::v1::ATTEMPT_STATE_CANCELLED);
      attempt->set_finished_unix_nanos(clock_->NowNanos());
      gridbench::v1::CoordinatorMessage cancel;
      cancel.mutable_cancel()->set_task_id(id);
      cancel.mutable_cancel()->set_attempt_id(attempt->attempt_id());
      cancel.mutable_cancel()->set_reason("job cancelled");
      const std::string worker_id = attempt->worker_id();
      auto worker = workers_.find(worker_id);
      if (worker != workers_.end()) SendToLink(worker->second, std::move(cancel));
      ReleaseWorker(worker_id, id);
    }
    FinishTask(task, gridbench::v1::TASK_STATE_CANCELLED, "job cancelled");
  }
  AssignAll();
  return JobView(job->second, true);
}

ResultVerdict TaskScheduler::CheckResult(const std::string& worker_id,
                                         gridbench::v1::StoredResult* result) {
  LockThenFlush lock(*this);
  const ResultVerdict verdict = JudgeResult(worker_id, result);
  if (verdict == ResultVerdict::kStale)
    EndUnknownAttempt(worker_id, result->signed_().attempt_id());
  return verdict;
}

void TaskScheduler::EndUnknownAttempt(const std::string& worker_id, const std::string& attempt_id) {
  auto it = workers_.find(worker_id);
  if (it == workers_.end() || it->second.unknown_attempt_id.empty()) return;
  if (!attempt_id.empty() && attempt_id != it->second.unknown_attempt_id) return;
  it->second.unknown_attempt_id.clear();
  TryAssign(it->second);
}

ResultVerdict TaskScheduler::JudgeResult(const std::string& worker_id,
                                         gridbench::v1::StoredResult* result) {
  const gridbench::v1::SignedResult& r = result->signed_();
  auto it = tasks_.find(r.task_id());
  if (it == tasks_.end()) return ResultVerdict::kStale;
  TaskEntry& task = it->second;
  const auto& attempts = task.record.task.attempts();
  const bool stored_for_attempt =
      (task.committing || task.record.task.state() == gridbench::v1::TASK_STATE_SUCCEEDED) &&
      !attempts.empty() && attempts.rbegin()->attempt_id() == r.attempt_id();
  if (stored_for_attempt) return ResultVerdict::kAlreadyStored;
  Attempt* attempt = CurrentAttempt(task);
  if (attempt == nullptr || attempt->attempt_id() != r.attempt_id() ||
      attempt->lease_id() != r.lease_id() || attempt->worker_id() != worker_id) {
    return ResultVerdict::kStale;
  }
  task.committing = true;
  result->set_job_id(task.record.task.job_id());
  result->set_task_name(task.record.task.spec().name());
  result->set_stored_unix_nanos(clock_->NowNanos());
  return ResultVerdict::kStore;
}

void TaskScheduler::OnResultStored(const std::string& worker_id,
                                   const gridbench::v1::SignedResult& r,
                                   const absl::Status& store_status,
                                   gridbench::v1::CoordinatorMessage ack) {
  LockThenFlush lock(*this, flusher_);
  auto worker = workers_.find(worker_id);
  if (worker != workers_.end()) SendToLink(worker->second, std::move(ack));
  TaskEntry& task = tasks_.at(r.task_id());
  task.committing = false;
  Attempt* attempt = CurrentAttempt(task);
  if (attempt == nullptr || attempt->attempt_id() != r.attempt_id()) return;
  // ALREADY_EXISTS: an earlier copy of this very result was committed.
  if (!store_status.ok() && !absl::IsAlreadyExists(store_status)) {
    FailAttempt(task, absl::StrCat("result could not be stored: ", store_status.message()), true);
    return;
  }
  attempt->set_state(gridbench::v1::ATTEMPT_STATE_SUCCEEDED);
  attempt->set_finished_unix_nanos(clock_->NowNanos());
  ReleaseWorker(worker_id, r.task_id());
  FinishTask(task, gridbench::v1::TASK_STATE_SUCCEEDED, "");
  if (worker != workers_.end()) TryAssign(worker->second);
}

}  // namespace gridbench::coordinator
