// TaskScheduler: the coordinator's authoritative working state — jobs, tasks,
// attempts and workers — and every decision about them: which worker runs
// which task, when a silent worker is lost, when a failed task is retried.
//
// State lives in memory and every change is queued to the CoordinatorStore in
// order; Restore() rebuilds it from the store after a restart.
//
// Task life: PENDING -> RUNNING (an attempt with a fresh lease id is sent to
// a worker) -> SUCCEEDED (its signed result committed) | PENDING again after a
// retryable failure and its backoff | FAILED (invalid parameters, attempts
// used up, or no worker can ever match) | CANCELLED.
//
// Thread-safety: all public methods are thread-safe. Messages to workers are
// queued on their WorkerLink under the scheduler's mutex, which fixes their
// order, and written (WorkerLink::Flush) after it is released, so no gRPC
// write holds up the other threads: by the calling thread, or for
// OnResultStored by the LinkFlusher when there is one. Watchers are called
// under the mutex, so they must only queue work and never call back into the
// scheduler.
#ifndef GRIDBENCH_COORDINATOR_TASK_SCHEDULER_H_
#define GRIDBENCH_COORDINATOR_TASK_SCHEDULER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/statusor.h"
#include "common/annotated_mutex.h"
#include "coordinator/clock.h"
#include "coordinator/coordinator_config.h"
#include "coordinator/link_flusher.h"
#include "coordinator/pending_queue.h"
#include "coordinator/store/coordinator_store.h"
#include "coordinator/worker_link.h"
#include "gridbench/v1/gridbench.pb.h"
#include "gridbench/v1/worker.pb.h"

namespace gridbench::coordinator {

// True for SUCCEEDED, FAILED and CANCELLED: a job in one of them never changes.
bool IsFinalJobState(gridbench::v1::JobState state);

// What to do with a signed result whose signature has been verified.
enum class ResultVerdict {
  kStore,          // Current attempt and lease: store it.
  kAlreadyStored,  // This attempt's result is stored (or being stored).
  kStale,          // Not the task's current attempt or lease.
};

class TaskScheduler {
 public:
  using TaskEventSink = std::function<void(const gridbench::v1::TaskEvent&)>;

  // `flusher`, when given, writes the messages OnResultStored queues, so
  // the store's callback thread does not (link_flusher.h); without one the
  // caller of each method writes them before it returns.
  TaskScheduler(const CoordinatorConfig& config, CoordinatorStore* store, Clock* clock,
                LinkFlusher* flusher = nullptr);

  // Rebuilds state from the store. Running attempts wait
  // reconnect_grace_seconds for their worker to come back.
  void Restore(const LoadedState& state);

  // --- Jobs (submitter-facing). `done` runs once the job is durable.
  void SubmitJob(const gridbench::v1::JobSpec& spec, const std::string& submitter,
                 std::function<void(absl::StatusOr<gridbench::v1::SubmitJobResponse>)> done);
  absl::StatusOr<gridbench::v1::Job> GetJob(const std::string& job_id);
  std::vector<gridbench::v1::Job> ListJobs(size_t limit);
  absl::StatusOr<gridbench::v1::Job> CancelJob(const std::string& job_id);
  // Calls `sink` with the current state of every task of the job, then with
  // each change until Unwatch. Returns a watch id; NOT_FOUND for a bad job.
  absl::StatusOr<int64_t> Watch(const std::string& job_id, TaskEventSink sink);
  void Unwatch(int64_t watch_id);
  bool JobIsFinal(const std::string& job_id);

  // --- Workers.
  // `done` gets the new worker id once the enrollment is durable.
  void EnrollWorker(const gridbench::v1::EnrollRequest& request, const std::string& peer,
                    std::function<void(absl::StatusOr<std::string>)> done);
  // The worker's record; NOT_FOUND if unknown, PERMISSION_DENIED if revoked.
  absl::StatusOr<gridbench::v1::Worker> WorkerForSession(const std::string& worker_id);
  // Called once the worker proved it holds its key. Replaces any older
  // session of the same worker.
  absl::Status AttachSession(const gridbench::v1::Hello& hello, std::shared_ptr<WorkerLink> link);
  void DetachSession(const std::string& worker_id, const WorkerLink* link);
  void OnHeartbeat(const std::string& worker_id, const gridbench::v1::Heartbeat& heartbeat);
  void OnProgress(const std::string& worker_id, const gridbench::v1::Progress& progress);
  void OnFailure(const std::string& worker_id, const gridbench::v1::AttemptFailure& failure);
  // For a result whose signature verified, in `result->signed_()` (the
  // caller moves it there, so the payload is not copied). kStore marks the
  // attempt as committing, so its lease cannot expire while the store writes
  // it, and fills in the rest of `result`: where it belongs.
  ResultVerdict CheckResult(const std::string& worker_id, gridbench::v1::StoredResult* result);
  // After the store committed (ok) or refused the result CheckResult passed;
  // only the task and attempt ids of `r` are read. Sends `ack` to the
  // worker's current session first, then whatever follows (its next task).
  void OnResultStored(const std::string& worker_id, const gridbench::v1::SignedResult& r,
                      const absl::Status& store_status, gridbench::v1::CoordinatorMessage ack);
  std::vector<gridbench::v1::Worker> ListWorkers();
  absl::StatusOr<gridbench::v1::Worker> RevokeWorker(const std::string& worker_id);
  absl::StatusOr<gridbench::v1::Worker> DrainWorker(const std::string& worker_id);

  // Expires leases, releases retry backoffs, fails tasks nothing can match.
  // The server calls it periodically; tests call it after moving the clock.
  void Tick();

  void Audit(const std::string& kind, const std::string& subject, const std::string& detail,
             const std::string& peer = "");

 private:
  struct TaskEntry {
    TaskRecord record;
    int32_t priority = 0;
    std::string submitter;
    bool committing = false;      // Its result is being written.
    bool ever_matched = false;    // Some enrolled worker could run it.
    int64_t unmatched_since = 0;  // When it was queued not yet matched.
  };
  struct WorkerEntry {
    gridbench::v1::Worker worker;
    std::shared_ptr<WorkerLink> link;
    int64_t lease_deadline = 0;  // Lost unless heard from before this.
    std::string running_task_id;
    // An attempt the worker said it runs that this coordinator does not know:
    // sent, but not yet stored when the coordinator crashed. The worker gets
    // no new work until that attempt ends.
    std::string unknown_attempt_id;
    bool draining = false;
  };
  struct JobEntry {
    gridbench::v1::Job job;  // Without tasks.
    std::vector<std::string> task_ids;
    // Kept up to date as tasks change, so a job's state costs O(1) to derive.
    size_t final_tasks = 0;
    bool any_failed = false;
    bool any_cancelled = false;
    bool any_started = false;
  };

  // Holds mu_ and, on release, flushes the links that messages were queued
  // on meanwhile, or hands them to `flusher` when one is given. Every public
  // method takes it, so none can return with a message left unflushed.
  class ABSL_SCOPED_LOCKABLE LockThenFlush {
   public:
    explicit LockThenFlush(TaskScheduler& scheduler, LinkFlusher* flusher = nullptr)
        ABSL_EXCLUSIVE_LOCK_FUNCTION(scheduler.mu_);
    ~LockThenFlush() ABSL_UNLOCK_FUNCTION();
    LockThenFlush(const LockThenFlush&) = delete;
    LockThenFlush& operator=(const LockThenFlush&) = delete;

   private:
    TaskScheduler& scheduler_;
    LinkFlusher* const flusher_;
  };

  // Helpers below require mu_.
  // Queue on the worker's link, if it has one; Close also drops the link.
  void SendToLink(WorkerEntry& worker, gridbench::v1::CoordinatorMessage message)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CloseLink(WorkerEntry& worker, absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void TryAssign(WorkerEntry& worker) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The worker's unknown attempt ended (`attempt_id` is it, or empty when
  // the worker reports itself idle): it may take work again.
  void EndUnknownAttempt(const std::string& worker_id, const std::string& attempt_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  ResultVerdict JudgeResult(const std::string& worker_id, gridbench::v1::StoredResult* result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AssignAll() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Acceptable(const TaskEntry& task, const WorkerEntry& worker)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Enqueue(TaskEntry& task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  gridbench::v1::Attempt* CurrentAttempt(TaskEntry& task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FailAttempt(TaskEntry& task, const std::string& reason, bool retryable)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishTask(TaskEntry& task, gridbench::v1::TaskState state, const std::string& reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReleaseWorker(const std::string& worker_id, const std::string& task_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PersistTask(const TaskEntry& task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void UpdateJobState(const std::string& job_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CountTask(const gridbench::v1::Task& task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Publish(const TaskEntry& task, const std::string& message)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  gridbench::v1::TaskEvent EventFor(const TaskEntry& task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void LoseWorker(WorkerEntry& worker, const std::string& reason)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FailUnmatchable(int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string WhyNoWorkerMatches(const TaskEntry& task) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  gridbench::v1::Job JobView(const JobEntry& job, bool with_attempts)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<TaskRecord> ExpandTasks(const gridbench::v1::JobSpec& spec, const std::string& job_id,
                                      int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  gridbench::v1::RetryPolicy EffectiveRetry(const gridbench::v1::TaskSpec& spec) const;

  // Constant after construction.
  const CoordinatorConfig config_;
  CoordinatorStore* const store_;
  Clock* const clock_;
  LinkFlusher* const flusher_;

  StdMutex mu_;
  // Node maps: entries are referenced across calls that insert others.
  absl::node_hash_map<std::string, JobEntry> jobs_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> job_order_ ABSL_GUARDED_BY(mu_);  // Submission order.
  absl::node_hash_map<std::string, TaskEntry> tasks_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, WorkerEntry> workers_ ABSL_GUARDED_BY(mu_);
  PendingQueue pending_ ABSL_GUARDED_BY(mu_);
  // Queued tasks no worker has matched yet: the only ones Tick must check,
  // so its cost does not grow with the queue. May hold ids since matched.
  std::set<std::string> unmatched_ ABSL_GUARDED_BY(mu_);
  std::set<std::pair<int64_t, std::string>> delayed_ ABSL_GUARDED_BY(mu_);  // Backoff.
  std::map<int64_t, std::pair<std::string, TaskEventSink>> watchers_ ABSL_GUARDED_BY(mu_);
  int64_t next_watch_id_ ABSL_GUARDED_BY(mu_) = 1;
  // Links with messages queued since mu_ was taken; LockThenFlush flushes them.
  std::vector<std::shared_ptr<WorkerLink>> unflushed_ ABSL_GUARDED_BY(mu_);
  int64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_TASK_SCHEDULER_H_
