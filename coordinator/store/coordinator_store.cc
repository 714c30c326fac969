#include "coordinator/store/coordinator_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "coordinator/store/artifact_rows.h"
#include "coordinator/store/schema.h"
#include "coordinator/store/sqlite_db.h"
#include "coordinator/store/store_changes.h"
#include "coordinator/store/store_reader.h"
#include "coordinator/store/store_writer.h"

namespace gridbench::coordinator {

class CoordinatorStore::Impl {
 public:
  Impl(int schema_version, std::unique_ptr<SqliteDb> write_db, std::unique_ptr<SqliteDb> read_db)
      : schema_version(schema_version), reader(std::move(read_db)), writer(std::move(write_db)) {}

  const int schema_version;
  StoreReader reader;
  StoreWriter writer;
};

CoordinatorStore::CoordinatorStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

// Stops the writer while `impl_` is whole: a `done` callback that runs during
// the drain may still queue changes through this object.
CoordinatorStore::~CoordinatorStore() { impl_->writer.Stop(); }

absl::StatusOr<std::unique_ptr<CoordinatorStore>> CoordinatorStore::Open(const std::string& path) {
  GB_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> write_db,
                      SqliteDb::Open(path, SqliteDb::Mode::kReadWrite));
  absl::StatusOr<int> version = ApplyMigrations(*write_db, SchemaMigrations());
  if (!version.ok()) {
    if (absl::IsFailedPrecondition(version.status())) return version.status();
    return absl::InternalError(
        absl::StrCat("migrating ", path, " to the current schema: ", version.status().message()));
  }
  // Opened after the migrations, so the file exists with the current schema.
  GB_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> read_db,
                      SqliteDb::Open(path, SqliteDb::Mode::kReadOnly));
  return std::unique_ptr<CoordinatorStore>(new CoordinatorStore(
      std::make_unique<Impl>(*version, std::move(write_db), std::move(read_db))));
}

int CoordinatorStore::schema_version() const { return impl_->schema_version; }

absl::StatusOr<LoadedState> CoordinatorStore::LoadState() { return impl_->reader.LoadState(); }

void CoordinatorStore::UpsertWorker(const gridbench::v1::Worker& worker, Done done) {
  impl_->writer.Enqueue([worker](SqliteDb& db) { return WriteWorker(db, worker); },
                        std::move(done));
}

void CoordinatorStore::InsertJob(const gridbench::v1::Job& job,
                                 const std::vector<TaskRecord>& tasks, Done done) {
  impl_->writer.Enqueue([job, tasks](SqliteDb& db) { return WriteNewJob(db, job, tasks); },
                        std::move(done));
}

void CoordinatorStore::UpdateJobState(const std::string& job_id, gridbench::v1::JobState state,
                                      Done done) {
  impl_->writer.Enqueue([job_id, state](SqliteDb& db) { return WriteJobState(db, job_id, state); },
                        std::move(done));
}

TaskUpdate TaskUpdate::Of(const TaskRecord& record) {
  const gridbench::v1::Task& task = record.task;
  TaskUpdate update;
  update.task_id = task.task_id();
  update.state = task.state();
  update.attempts_made = task.attempts_made();
  update.failure_reason = task.failure_reason();
  update.progress = task.progress();
  update.next_eligible_unix_nanos = record.next_eligible_unix_nanos;
  update.avoid_worker_id = record.avoid_worker_id;
  if (!task.attempts().empty()) update.latest_attempt = *task.attempts().rbegin();
  return update;
}

void CoordinatorStore::UpdateTask(TaskUpdate update, Done done) {
  impl_->writer.Enqueue(
      [update = std::move(update)](SqliteDb& db) { return WriteTaskUpdate(db, update); },
      std::move(done));
}

void CoordinatorStore::UpsertAttempt(const std::string& task_id,
                                     const gridbench::v1::Attempt& attempt, Done done) {
  impl_->writer.Enqueue(
      [task_id, attempt](SqliteDb& db) { return WriteAttempt(db, task_id, attempt); },
      std::move(done));
}

void CoordinatorStore::InsertResult(gridbench::v1::StoredResult result, Done done) {
  // A payload that does not decode still fails in queue order, like any
  // failed change, so `done` keeps its place among the others.
  impl_->writer.Enqueue(
      [row = DecodeResultRow(std::move(result))](SqliteDb& db) -> absl::Status {
        if (!row.ok()) return row.status();
        return WriteResultRow(db, *row, absl::GetCurrentTimeNanos());
      },
      std::move(done));
}

void CoordinatorStore::InsertToken(const TokenRecord& token, Done done) {
  impl_->writer.Enqueue([token](SqliteDb& db) { return WriteNewToken(db, token); },
                        std::move(done));
}

void CoordinatorStore::UpdateToken(const TokenRecord& token, Done done) {
  impl_->writer.Enqueue([token](SqliteDb& db) { return WriteTokenUpdate(db, token); },
                        std::move(done));
}

void CoordinatorStore::AppendAudit(const AuditEntry& entry, Done done) {
  impl_->writer.Enqueue([entry](SqliteDb& db) { return WriteAudit(db, entry); }, std::move(done));
}

void CoordinatorStore::InsertArtifact(const gridbench::v1::ArtifactInfo& artifact, Done done) {
  impl_->writer.Enqueue([artifact](SqliteDb& db) { return WriteArtifact(db, artifact); },
                        std::move(done));
}

void CoordinatorStore::DeleteArtifact(const std::string& artifact_id, Done done) {
  impl_->writer.Enqueue(
      [artifact_id](SqliteDb& db) { return WriteArtifactDeletion(db, artifact_id); },
      std::move(done));
}

absl::Status CoordinatorStore::Flush() { return impl_->writer.Flush(); }

CoordinatorStore::CommitStats CoordinatorStore::commit_stats() const {
  return impl_->writer.stats();
}

absl::StatusOr<std::vector<gridbench::v1::StoredResult>> CoordinatorStore::GetResults(
    const std::string& job_id) {
  return impl_->reader.GetResults(job_id);
}

absl::StatusOr<std::vector<AuditEntry>> CoordinatorStore::ListAudit(const std::string& kind,
                                                                    int limit) {
  return impl_->reader.ListAudit(kind, limit);
}

absl::StatusOr<int64_t> CoordinatorStore::CountResultsForTask(const std::string& task_id) {
  return impl_->reader.CountResultsForTask(task_id);
}

absl::StatusOr<std::vector<gridbench::v1::ArtifactInfo>> CoordinatorStore::ListArtifacts() {
  return impl_->reader.ListArtifacts();
}

}  // namespace gridbench::coordinator
