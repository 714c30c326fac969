// CoordinatorStore: the coordinator's durable state in one SQLite file.
//
// The file is opened in WAL mode with synchronous=FULL and foreign keys on;
// versioned schema migrations run at Open(). The coordinator keeps its
// authoritative working state in memory (TaskScheduler) and records every
// change here, in order, through one writer thread that groups queued
// changes into a transaction and fsyncs once per group ("group commit"). A
// change's `done` callback runs only after the COMMIT of its group returned,
// so anything acknowledged from a `done` callback survives a power cut.
//
// One failing change (say, a duplicate result) fails alone and does not sink
// its group: the writer rolls it back alone (see store_writer.h).
//
// Thread-safety: every method may be called from any thread. `done`
// callbacks run on the store's callback thread, one at a time, in queue
// order, while the writer commits the next group; they must not block (hand
// long work elsewhere) and may queue further changes.
#ifndef GRIDBENCH_COORDINATOR_STORE_COORDINATOR_STORE_H_
#define GRIDBENCH_COORDINATOR_STORE_COORDINATOR_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gridbench/v1/artifact.pb.h"
#include "gridbench/v1/gridbench.pb.h"

namespace gridbench::coordinator {

// A bearer token as stored: never the token itself, only its SHA-256.
struct TokenRecord {
  std::string token_id;  // Public handle, e.g. for `gridbench token revoke`.
  std::string hash_hex;  // Sha256Hex(token).
  gridbench::v1::Role role = gridbench::v1::ROLE_UNSPECIFIED;
  int64_t created_unix_nanos = 0;
  int64_t expires_unix_nanos = 0;  // 0: never expires.
  bool one_time = false;
  bool used = false;  // A one-time token that has been spent.
  bool revoked = false;
  std::string description;
};

// A task as the scheduler keeps it: the API view plus scheduling fields.
struct TaskRecord {
  gridbench::v1::Task task;
  int64_t seq = 0;                       // Submission order (FIFO within a priority).
  int64_t next_eligible_unix_nanos = 0;  // Retry backoff: not before this.
  std::string avoid_worker_id;           // Worker of the last failed attempt.
  int64_t created_unix_nanos = 0;
};

// What can change about a stored task. Its job, name, kind, spec, pinned
// worker, seq and creation time are fixed when its job is inserted, so an
// update neither copies nor rewrites them.
struct TaskUpdate {
  std::string task_id;
  gridbench::v1::TaskState state = gridbench::v1::TASK_STATE_UNSPECIFIED;
  uint32_t attempts_made = 0;
  std::string failure_reason;
  double progress = 0;
  int64_t next_eligible_unix_nanos = 0;
  std::string avoid_worker_id;
  // The task's latest attempt, the only one that can have changed since the
  // task was last written; none before its first attempt.
  std::optional<gridbench::v1::Attempt> latest_attempt;

  static TaskUpdate Of(const TaskRecord& record);
};

// One row of the append-only audit log.
struct AuditEntry {
  int64_t unix_nanos = 0;
  // E.g. "enroll", "worker_revoked", "token_created", "token_revoked",
  // "auth_failure", "signature_refused", "stale_result", "replayed_result".
  std::string kind;
  std::string subject;  // A worker id, token id, task id...
  std::string detail;
  std::string peer;  // The client address, when known.
};

// Everything the coordinator needs to resume after a restart.
struct LoadedState {
  std::vector<gridbench::v1::Worker> workers;
  std::vector<gridbench::v1::Job> jobs;  // Without tasks.
  std::vector<TaskRecord> tasks;         // Each task's attempts included.
  std::vector<TokenRecord> tokens;
};

class CoordinatorStore {
 public:
  using Done = std::function<void(absl::Status)>;

  // Opens (creating if needed) the database at `path` and migrates it to the
  // current schema. FAILED_PRECONDITION if the file's schema is newer than
  // this binary knows; INTERNAL for SQLite errors, naming the path.
  static absl::StatusOr<std::unique_ptr<CoordinatorStore>> Open(const std::string& path);

  // Commits everything queued, then stops the writer and callback threads.
  ~CoordinatorStore();

  CoordinatorStore(const CoordinatorStore&) = delete;
  CoordinatorStore& operator=(const CoordinatorStore&) = delete;

  int schema_version() const;

  // Reads the whole state. Call before queueing changes.
  absl::StatusOr<LoadedState> LoadState();

  // --- Changes, queued in order, committed in groups. `done` may be null.
  void UpsertWorker(const gridbench::v1::Worker& worker, Done done = nullptr);
  // Inserts the job and all its tasks in one change.
  void InsertJob(const gridbench::v1::Job& job, const std::vector<TaskRecord>& tasks,
                 Done done = nullptr);
  void UpdateJobState(const std::string& job_id, gridbench::v1::JobState state,
                      Done done = nullptr);
  // Updates a task inserted with its job and, in the same change, inserts or
  // updates its latest attempt. NOT_FOUND when the task has no row.
  void UpdateTask(TaskUpdate update, Done done = nullptr);
  // Inserts the attempt, or updates its state, finish time and failure
  // reason (the rest of an attempt never changes).
  void UpsertAttempt(const std::string& task_id, const gridbench::v1::Attempt& attempt,
                     Done done = nullptr);
  // Stores a verified result (its payload decoded into the summary and
  // samples columns too). ALREADY_EXISTS when a result for the same attempt
  // is stored already; INVALID_ARGUMENT when the payload does not parse.
  void InsertResult(gridbench::v1::StoredResult result, Done done = nullptr);
  void InsertToken(const TokenRecord& token, Done done = nullptr);
  void UpdateToken(const TokenRecord& token, Done done = nullptr);
  void AppendAudit(const AuditEntry& entry, Done done = nullptr);
  // Records an artifact's metadata; a row with the same id is kept as it is.
  void InsertArtifact(const gridbench::v1::ArtifactInfo& artifact, Done done = nullptr);
  // NOT_FOUND when there is no such row.
  void DeleteArtifact(const std::string& artifact_id, Done done = nullptr);

  // Blocks until every change queued before the call has committed; returns
  // the first commit error seen since the last Flush, if any. (Commit errors
  // include the failure of a change queued with a null `done`, which would
  // otherwise go unheard.) FAILED_PRECONDITION when called from a `done`
  // callback, where it would wait for itself.
  absl::Status Flush();

  // Totals since Open: transactions the writer ran and changes in them, so
  // changes / groups is the average group-commit size.
  struct CommitStats {
    int64_t groups = 0;
    int64_t changes = 0;
  };
  CommitStats commit_stats() const;

  // --- Reads, on a separate connection (WAL readers do not block the writer).
  // Results of a job in storage order, with each worker's name and public key.
  absl::StatusOr<std::vector<gridbench::v1::StoredResult>> GetResults(const std::string& job_id);
  // Newest first; `kind` empty means all kinds.
  absl::StatusOr<std::vector<AuditEntry>> ListAudit(const std::string& kind, int limit);
  // How many result rows exist for a task (tests, duplicate checks). Reads
  // every result: no index serves it.
  absl::StatusOr<int64_t> CountResultsForTask(const std::string& task_id);
  // Every artifact's metadata, newest first.
  absl::StatusOr<std::vector<gridbench::v1::ArtifactInfo>> ListArtifacts();

 private:
  class Impl;
  explicit CoordinatorStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_STORE_COORDINATOR_STORE_H_
