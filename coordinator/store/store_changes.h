// The store's changes as SQL: each function writes one logical change on the
// writer's connection, inside the transaction the StoreWriter opened (which
// rolls a failed change back alone). They validate what SQL cannot (empty
// ids, unparseable payloads) so bad input fails with INVALID_ARGUMENT naming
// the field, and leave the rest to the schema's constraints (see sqlite_db.h
// for how those map).
//
// Thread-safety: as for SqliteDb (the writer thread only).
#ifndef GRIDBENCH_COORDINATOR_STORE_STORE_CHANGES_H_
#define GRIDBENCH_COORDINATOR_STORE_STORE_CHANGES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "coordinator/store/coordinator_store.h"
#include "coordinator/store/sqlite_db.h"
#include "gridbench/v1/gridbench.pb.h"

namespace gridbench::coordinator {

absl::Status WriteWorker(SqliteDb& db, const gridbench::v1::Worker& worker);

// ALREADY_EXISTS when the job id is taken; INVALID_ARGUMENT when a task
// names another job.
absl::Status WriteNewJob(SqliteDb& db, const gridbench::v1::Job& job,
                         const std::vector<TaskRecord>& tasks);

// NOT_FOUND when no such job exists.
absl::Status WriteJobState(SqliteDb& db, const std::string& job_id, gridbench::v1::JobState state);

// Inserts the task's row, or updates the columns TaskUpdate covers;
// FAILED_PRECONDITION for an unknown job.
absl::Status WriteTask(SqliteDb& db, const TaskRecord& record);

// Updates the task's row and writes its latest attempt; NOT_FOUND when the
// task has no row.
absl::Status WriteTaskUpdate(SqliteDb& db, const TaskUpdate& update);

// Inserts the attempt's row, or updates its state, finish time and failure
// reason; FAILED_PRECONDITION for an unknown task.
absl::Status WriteAttempt(SqliteDb& db, const std::string& task_id,
                          const gridbench::v1::Attempt& attempt);

// A result with the columns decoded from its payload, ready for the writer.
// Decoding is the costliest part of storing a result, and needs no database,
// so it runs on the caller's thread rather than on the one writer thread.
struct ResultRow {
  gridbench::v1::StoredResult result;
  std::string kind;
  gridbench::v1::Summary summary;
  std::string samples;  // EncodeSamples() of the payload's samples.
};

// INVALID_ARGUMENT for an empty attempt id or an unparseable payload. Runs
// on any thread.
absl::StatusOr<ResultRow> DecodeResultRow(gridbench::v1::StoredResult result);

// `stored_now_nanos` is used when `row.result.stored_unix_nanos` is 0.
// ALREADY_EXISTS for a second result of one attempt; FAILED_PRECONDITION for
// an unknown attempt, task or job.
absl::Status WriteResultRow(SqliteDb& db, const ResultRow& row, int64_t stored_now_nanos);

// DecodeResultRow, then WriteResultRow.
absl::Status WriteNewResult(SqliteDb& db, const gridbench::v1::StoredResult& result,
                            int64_t stored_now_nanos);

// ALREADY_EXISTS when the id or the hash is taken.
absl::Status WriteNewToken(SqliteDb& db, const TokenRecord& token);
// Updates every field but the id; NOT_FOUND when no such token exists.
absl::Status WriteTokenUpdate(SqliteDb& db, const TokenRecord& token);

absl::Status WriteAudit(SqliteDb& db, const AuditEntry& entry);

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_STORE_STORE_CHANGES_H_
