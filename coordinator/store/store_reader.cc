#include "coordinator/store/store_reader.h"

#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "coordinator/store/artifact_rows.h"
#include "coordinator/store/column_encoding.h"

namespace gridbench::coordinator {
namespace {

using gridbench::v1::StoredResult;

// Parses a serialized proto column; DATA_LOSS naming the row when it does not.
template <typename Message>
absl::Status ParseColumn(const Statement& stmt, int column, absl::string_view what,
                         absl::string_view row_id, Message* out) {
  if (!out->ParseFromString(stmt.ColumnBlob(column))) {
    return absl::DataLossError(absl::StrCat("stored ", what, " of ", row_id, " does not parse"));
  }
  return absl::OkStatus();
}

// The labels column (see EncodeLabels), parsed by SQLite's JSON reader.
absl::StatusOr<StringMap> DecodeLabels(SqliteDb& db, absl::string_view json,
                                       absl::string_view row_id) {
  GB_ASSIGN_OR_RETURN(Statement stmt,
                      db.Prepare(absl::StrCat("reading the labels of ", row_id),
                                 "SELECT key, value, type, typeof(key) FROM json_each(?1)"));
  stmt.BindText(1, json);
  StringMap labels;
  absl::Status status = stmt.ForEachRow([&]() -> absl::Status {
    if (stmt.ColumnText(2) != "text" || stmt.ColumnText(3) != "text") {
      return absl::DataLossError(
          absl::StrCat("labels of ", row_id, " are not an object of strings: ", json));
    }
    labels[stmt.ColumnText(0)] = stmt.ColumnText(1);
    return absl::OkStatus();
  });
  if (!status.ok() && !absl::IsDataLoss(status)) {
    return absl::DataLossError(absl::StrCat("labels of ", row_id, ": ", status.message()));
  }
  GB_RETURN_IF_ERROR(status);
  return labels;
}

}  // namespace

absl::StatusOr<LoadedState> StoreReader::LoadState() {
  StdMutexLock lock(mu_);
  // One read transaction, so the tables come from the same commit.
  GB_RETURN_IF_ERROR(db_->Exec("starting to load the state", "BEGIN"));
  LoadedState state;
  absl::Status status = LoadWorkers(state);
  if (status.ok()) status = LoadJobs(state);
  if (status.ok()) status = LoadTasks(state);
  if (status.ok()) status = LoadAttempts(state);
  if (status.ok()) status = LoadTokens(state);
  const absl::Status end = db_->Exec("ending the state load", "COMMIT");
  GB_RETURN_IF_ERROR(status);
  GB_RETURN_IF_ERROR(end);
  return state;
}

absl::Status StoreReader::LoadWorkers(LoadedState& state) {
  GB_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("loading workers", R"sql(
      SELECT id, name, public_key, key_id, labels, hardware, state, last_seen
      FROM workers ORDER BY id)sql"));
  SqliteDb& db = *db_;  // The analysis cannot see that mu_ is held in the lambda.
  return stmt.ForEachRow([&]() -> absl::Status {
    gridbench::v1::Worker& worker = state.workers.emplace_back();
    worker.set_worker_id(stmt.ColumnText(0));
    const std::string row = "worker " + worker.worker_id();
    worker.set_name(stmt.ColumnText(1));
    worker.set_public_key(stmt.ColumnBlob(2));
    worker.set_key_id(stmt.ColumnText(3));
    GB_ASSIGN_OR_RETURN(*worker.mutable_labels(), DecodeLabels(db, stmt.ColumnText(4), row));
    GB_RETURN_IF_ERROR(ParseColumn(stmt, 5, "hardware profile", row, worker.mutable_hardware()));
    worker.set_state(static_cast<gridbench::v1::WorkerState>(stmt.ColumnInt(6)));
    worker.set_last_seen_unix_nanos(stmt.ColumnInt(7));
    return absl::OkStatus();
  });
}

absl::Status StoreReader::LoadJobs(LoadedState& state) {
  GB_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("loading jobs", R"sql(
      SELECT id, spec, state, submitter, created FROM jobs ORDER BY created, id)sql"));
  return stmt.ForEachRow([&]() -> absl::Status {
    gridbench::v1::Job& job = state.jobs.emplace_back();
    job.set_job_id(stmt.ColumnText(0));
    GB_RETURN_IF_ERROR(ParseColumn(stmt, 1, "spec", "job " + job.job_id(), job.mutable_spec()));
    job.set_state(static_cast<gridbench::v1::JobState>(stmt.ColumnInt(2)));
    job.set_submitter(stmt.ColumnText(3));
    job.set_created_unix_nanos(stmt.ColumnInt(4));
    return absl::OkStatus();
  });
}

absl::Status StoreReader::LoadTasks(LoadedState& state) {
  GB_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("loading tasks", R"sql(
      SELECT id, job_id, spec, state, pinned_worker_id, attempts_made, failure_reason, progress,
             seq, next_eligible, avoid_worker_id, created
      FROM tasks ORDER BY seq, id)sql"));
  return stmt.ForEachRow([&]() -> absl::Status {
    TaskRecord& record = state.tasks.emplace_back();
    gridbench::v1::Task& task = record.task;
    task.set_task_id(stmt.ColumnText(0));
    task.set_job_id(stmt.ColumnText(1));
    GB_RETURN_IF_ERROR(ParseColumn(stmt, 2, "spec", "task " + task.task_id(), task.mutable_spec()));
    task.set_state(static_cast<gridbench::v1::TaskState>(stmt.ColumnInt(3)));
    task.set_pinned_worker_id(stmt.ColumnText(4));
    task.set_attempts_made(static_cast<uint32_t>(stmt.ColumnInt(5)));
    task.set_failure_reason(stmt.ColumnText(6));
    task.set_progress(stmt.ColumnDouble(7));
    record.seq = stmt.ColumnInt(8);
    record.next_eligible_unix_nanos = stmt.ColumnInt(9);
    record.avoid_worker_id = stmt.ColumnText(10);
    record.created_unix_nanos = stmt.ColumnInt(11);
    return absl::OkStatus();
  });
}

absl::Status StoreReader::LoadAttempts(LoadedState& state) {
  std::unordered_map<std::string, gridbench::v1::Task*> tasks;
  for (TaskRecord& record : state.tasks) tasks[record.task.task_id()] = &record.task;
  GB_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("loading attempts", R"sql(
      SELECT id, task_id, worker_id, lease_id, state, started, finished, failure_reason
      FROM attempts ORDER BY started, rowid)sql"));
  return stmt.ForEachRow([&]() -> absl::Status {
    const std::string task_id = stmt.ColumnText(1);
    auto it = tasks.find(task_id);
    if (it == tasks.end()) {
      return absl::DataLossError(absl::StrCat("attempt ", stmt.ColumnText(0), " belongs to task ",
                                              task_id, ", which is missing"));
    }
    gridbench::v1::Attempt& attempt = *it->second->add_attempts();
    attempt.set_attempt_id(stmt.ColumnText(0));
    attempt.set_worker_id(stmt.ColumnText(2));
    attempt.set_lease_id(stmt.ColumnText(3));
    attempt.set_state(static_cast<gridbench::v1::AttemptState>(stmt.ColumnInt(4)));
    attempt.set_started_unix_nanos(stmt.ColumnInt(5));
    attempt.set_finished_unix_nanos(stmt.ColumnInt(6));
    attempt.set_failure_reason(stmt.ColumnText(7));
    return absl::OkStatus();
  });
}

absl::Status StoreReader::LoadTokens(LoadedState& state) {
  GB_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("loading tokens", R"sql(
      SELECT id, hash, role, created, expires, one_time, used, revoked, description
      FROM tokens ORDER BY created, id)sql"));
  return stmt.ForEachRow([&]() -> absl::Status {
    TokenRecord& token = state.tokens.emplace_back();
    token.token_id = stmt.ColumnText(0);
    token.hash_hex = stmt.ColumnText(1);
    token.role = static_cast<gridbench::v1::Role>(stmt.ColumnInt(2));
    token.created_unix_nanos = stmt.ColumnInt(3);
    token.expires_unix_nanos = stmt.ColumnInt(4);
    token.one_time = stmt.ColumnInt(5) != 0;
    token.used = stmt.ColumnInt(6) != 0;
    token.revoked = stmt.ColumnInt(7) != 0;
    token.description = stmt.ColumnText(8);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<StoredResult>> StoreReader::GetResults(const std::string& job_id) {
  StdMutexLock lock(mu_);
  GB_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("reading the results of job " + job_id, R"sql(
      SELECT r.worker_id, r.task_id, r.attempt_id, r.lease_id, r.sequence, r.payload,
             r.signature, r.key_id, r.stored, t.name, w.name, w.public_key
      FROM results r
      LEFT JOIN tasks t ON t.id = r.task_id
      LEFT JOIN workers w ON w.id = r.worker_id
      WHERE r.job_id = ?1 ORDER BY r.id)sql"));
  stmt.BindText(1, job_id);
  std::vector<StoredResult> results;
  GB_RETURN_IF_ERROR(stmt.ForEachRow([&]() -> absl::Status {
    StoredResult& result = results.emplace_back();
    gridbench::v1::SignedResult& signed_result = *result.mutable_signed_();
    signed_result.set_worker_id(stmt.ColumnText(0));
    signed_result.set_task_id(stmt.ColumnText(1));
    signed_result.set_attempt_id(stmt.ColumnText(2));
    signed_result.set_lease_id(stmt.ColumnText(3));
    signed_result.set_sequence(static_cast<uint64_t>(stmt.ColumnInt(4)));
    signed_result.set_payload(stmt.ColumnBlob(5));
    signed_result.set_signature(stmt.ColumnBlob(6));
    signed_result.set_key_id(stmt.ColumnText(7));
    result.set_job_id(job_id);
    result.set_stored_unix_nanos(stmt.ColumnInt(8));
    result.set_task_name(stmt.ColumnText(9));
    result.set_worker_name(stmt.ColumnText(10));
    result.set_worker_public_key(stmt.ColumnBlob(11));
    return absl::OkStatus();
  }));
  return results;
}

absl::StatusOr<std::vector<AuditEntry>> StoreReader::ListAudit(const std::string& kind, int limit) {
  if (limit <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("audit limit must be positive, not ", limit));
  }
  StdMutexLock lock(mu_);
  // Two statements rather than "?1 = '' OR kind = ?1", which no index serves.
  const char* sql = kind.empty() ? "SELECT time, kind, subject, detail, peer FROM audit_log "
                                   "WHERE ?1 = '' ORDER BY id DESC LIMIT ?2"
                                 : "SELECT time, kind, subject, detail, peer FROM audit_log "
                                   "WHERE kind = ?1 ORDER BY id DESC LIMIT ?2";
  GB_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("listing the audit log", sql));
  stmt.BindText(1, kind).BindInt(2, limit);
  std::vector<AuditEntry> entries;
  GB_RETURN_IF_ERROR(stmt.ForEachRow([&]() -> absl::Status {
    entries.push_back(AuditEntry{.unix_nanos = stmt.ColumnInt(0),
                                 .kind = stmt.ColumnText(1),
                                 .subject = stmt.ColumnText(2),
                                 .detail = stmt.ColumnText(3),
                                 .peer = stmt.ColumnText(4)});
    return absl::OkStatus();
  }));
  return entries;
}

absl::StatusOr<int64_t> StoreReader::CountResultsForTask(const std::string& task_id) {
  StdMutexLock lock(mu_);
  GB_ASSIGN_OR_RETURN(Statement stmt,
                      db_->Prepare("counting the results of task " + task_id,
                                   "SELECT count(*) FROM results WHERE task_id = ?1"));
  stmt.BindText(1, task_id);
  GB_ASSIGN_OR_RETURN(const bool row, stmt.Step());
  if (!row) return absl::InternalError("count(*) returned no row");
  return stmt.ColumnInt(0);
}

absl::StatusOr<std::vector<gridbench::v1::ArtifactInfo>> StoreReader::ListArtifacts() {
  StdMutexLock lock(mu_);
  return ReadArtifacts(*db_);
}

}  // namespace gridbench::coordinator
