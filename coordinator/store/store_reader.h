// StoreReader: the store's queries, on a read-only connection of their own.
// In WAL mode readers see the last committed state and neither wait for nor
// hold up the writer thread.
//
// Rows that do not decode (a corrupt proto blob, labels that are not JSON)
// fail the read with DATA_LOSS naming the row, rather than being skipped.
//
// Thread-safety: every method may be called from any thread; a mutex
// serialises them on the one connection.
#ifndef GRIDBENCH_COORDINATOR_STORE_STORE_READER_H_
#define GRIDBENCH_COORDINATOR_STORE_STORE_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "coordinator/store/coordinator_store.h"
#include "coordinator/store/sqlite_db.h"
#include "common/annotated_mutex.h"

namespace gridbench::coordinator {

class StoreReader {
 public:
  // Takes a connection opened with SqliteDb::Mode::kReadOnly.
  explicit StoreReader(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

  // Workers, jobs (without tasks), tasks in `seq` order each with its
  // attempts in start order, and tokens.
  absl::StatusOr<LoadedState> LoadState();
  // See CoordinatorStore::GetResults.
  absl::StatusOr<std::vector<gridbench::v1::StoredResult>> GetResults(const std::string& job_id);
  // Newest first; INVALID_ARGUMENT unless `limit` is positive.
  absl::StatusOr<std::vector<AuditEntry>> ListAudit(const std::string& kind, int limit);
  absl::StatusOr<int64_t> CountResultsForTask(const std::string& task_id);
  absl::StatusOr<std::vector<gridbench::v1::ArtifactInfo>> ListArtifacts();

 private:
  // Each runs inside the snapshot LoadState opened.
  absl::Status LoadWorkers(LoadedState& state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadJobs(LoadedState& state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadTasks(LoadedState& state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadAttempts(LoadedState& state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status LoadTokens(LoadedState& state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  StdMutex mu_;
  const std::unique_ptr<SqliteDb> db_ ABSL_PT_GUARDED_BY(mu_);
};

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_STORE_STORE_READER_H_
