#include "coordinator/store/store_changes.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "coordinator/store/column_encoding.h"

namespace gridbench::coordinator {
namespace {

using gridbench::v1::Attempt;
using gridbench::v1::Job;
using gridbench::v1::ResultPayload;
using gridbench::v1::StoredResult;
using gridbench::v1::Worker;

absl::Status RequireId(absl::string_view what, absl::string_view id) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " is empty"));
  return absl::OkStatus();
}

// NOT_FOUND naming `what` when the last statement changed no row.
absl::Status RequireChanged(SqliteDb& db, absl::string_view what) {
  if (db.changes() == 0) return absl::NotFoundError(absl::StrCat(what, " not found"));
  return absl::OkStatus();
}

}  // namespace

absl::Status WriteWorker(SqliteDb& db, const Worker& worker) {
  GB_RETURN_IF_ERROR(RequireId("worker_id", worker.worker_id()));
  GB_ASSIGN_OR_RETURN(Statement stmt, db.Prepare("storing worker " + worker.worker_id(), R"sql(
      INSERT INTO workers (id, name, public_key, key_id, labels, hardware, state, last_seen)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
      ON CONFLICT (id) DO UPDATE SET name = ?2, public_key = ?3, key_id = ?4, labels = ?5,
          hardware = ?6, state = ?7, last_seen = ?8)sql"));
  return stmt.BindText(1, worker.worker_id())
      .BindText(2, worker.name())
      .BindBlob(3, worker.public_key())
      .BindText(4, worker.key_id())
      .BindText(5, EncodeLabels(worker.labels()))
      .BindBlob(6, worker.hardware().SerializeAsString())
      .BindInt(7, worker.state())
      .BindInt(8, worker.last_seen_unix_nanos())
      .Run();
}

absl::Status WriteNewJob(SqliteDb& db, const Job& job, const std::vector<TaskRecord>& tasks) {
  GB_RETURN_IF_ERROR(RequireId("job_id", job.job_id()));
  for (const TaskRecord& record : tasks) {
    if (record.task.job_id() != job.job_id()) {
      return absl::InvalidArgumentError(absl::StrCat("task ", record.task.task_id(),
                                                     " belongs to job '", record.task.job_id(),
                                                     "', not to job ", job.job_id()));
    }
  }
  GB_ASSIGN_OR_RETURN(Statement stmt, db.Prepare("storing job " + job.job_id(), R"sql(
      INSERT INTO jobs (id, name, spec, state, submitter, priority, created)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7))sql"));
  GB_RETURN_IF_ERROR(stmt.BindText(1, job.job_id())
                         .BindText(2, job.spec().name())
                         .BindBlob(3, job.spec().SerializeAsString())
                         .BindInt(4, job.state())
                         .BindText(5, job.submitter())
                         .BindInt(6, job.spec().priority())
                         .BindInt(7, job.created_unix_nanos())
                         .Run());
  for (const TaskRecord& record : tasks) GB_RETURN_IF_ERROR(WriteTask(db, record));
  return absl::OkStatus();
}

absl::Status WriteJobState(SqliteDb& db, const std::string& job_id, gridbench::v1::JobState state) {
  GB_ASSIGN_OR_RETURN(Statement stmt, db.Prepare("updating the state of job " + job_id,
                                                 "UPDATE jobs SET state = ?2 WHERE id = ?1"));
  GB_RETURN_IF_ERROR(stmt.BindText(1, job_id).BindInt(2, state).Run());
  return RequireChanged(db, "job " + job_id);
}

absl::Status WriteTask(SqliteDb& db, const TaskRecord& record) {
  const gridbench::v1::Task& task = record.task;
  GB_RETURN_IF_ERROR(RequireId("task_id", task.task_id()));
  GB_ASSIGN_OR_RETURN(Statement stmt, db.Prepare("storing task " + task.task_id(), R"sql(
      INSERT INTO tasks (id, job_id, name, kind, spec, state, pinned_worker_id, attempts_made,
                         failure_reason, progress, seq, next_eligible, avoid_worker_id, created)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
      ON CONFLICT (id) DO UPDATE SET state = ?6, attempts_made = ?8, failure_reason = ?9,
          progress = ?10, next_eligible = ?12, avoid_worker_id = ?13)sql"));
  return stmt.BindText(1, task.task_id())
      .BindText(2, task.job_id())
      .BindText(3, task.spec().name())
      .BindText(4, task.spec().kind())
      .BindBlob(5, task.spec().SerializeAsString())
      .BindInt(6, task.state())
      .BindText(7, task.pinned_worker_id())
      .BindInt(8, task.attempts_made())
      .BindText(9, task.failure_reason())
      .BindDouble(10, task.progress())
      .BindInt(11, record.seq)
      .BindInt(12, record.next_eligible_unix_nanos)
      .BindText(13, record.avoid_worker_id)
      .BindInt(14, record.created_unix_nanos)
      .Run();
}

// Sets only the columns that change, so SQLite leaves the indexes and the
// foreign key on job_id alone.
absl::Status WriteTaskUpdate(SqliteDb& db, const TaskUpdate& update) {
  GB_RETURN_IF_ERROR(RequireId("task_id", update.task_id));
  GB_ASSIGN_OR_RETURN(Statement stmt, db.Prepare("updating task " + update.task_id, R"sql(
      UPDATE tasks SET state = ?2, attempts_made = ?3, failure_reason = ?4, progress = ?5,
          next_eligible = ?6, avoid_worker_id = ?7
      WHERE id = ?1)sql"));
  GB_RETURN_IF_ERROR(stmt.BindText(1, update.task_id)
                         .BindInt(2, update.state)
                         .BindInt(3, update.attempts_made)
                         .BindText(4, update.failure_reason)
                         .BindDouble(5, update.progress)
                         .BindInt(6, update.next_eligible_unix_nanos)
                         .BindText(7, update.avoid_worker_id)
                         .Run());
  GB_RETURN_IF_ERROR(RequireChanged(db, "task " + update.task_id));
  if (!update.latest_attempt) return absl::OkStatus();
  return WriteAttempt(db, update.task_id, *update.latest_attempt);
}

absl::Status WriteAttempt(SqliteDb& db, const std::string& task_id, const Attempt& attempt) {
  GB_RETURN_IF_ERROR(RequireId("attempt_id", attempt.attempt_id()));
  GB_ASSIGN_OR_RETURN(Statement stmt, db.Prepare("storing attempt " + attempt.attempt_id(), R"sql(
      INSERT INTO attempts (id, task_id, worker_id, lease_id, state, started, finished,
                            failure_reason)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
      ON CONFLICT (id) DO UPDATE SET state = ?5, finished = ?7, failure_reason = ?8)sql"));
  return stmt.BindText(1, attempt.attempt_id())
      .BindText(2, task_id)
      .BindText(3, attempt.worker_id())
      .BindText(4, attempt.lease_id())
      .BindInt(5, attempt.state())
      .BindInt(6, attempt.started_unix_nanos())
      .BindInt(7, attempt.finished_unix_nanos())
      .BindText(8, attempt.failure_reason())
      .Run();
}

absl::StatusOr<ResultRow> DecodeResultRow(StoredResult result) {
  const std::string& attempt_id = result.signed_().attempt_id();
  GB_RETURN_IF_ERROR(RequireId("result attempt_id", attempt_id));
  ResultPayload payload;
  if (!payload.ParseFromString(result.signed_().payload())) {
    return absl::InvalidArgumentError(
        absl::StrCat("result for attempt ", attempt_id, ": payload is not a ResultPayload"));
  }
  ResultRow row;
  row.kind = std::move(*payload.mutable_kind());
  row.summary = std::move(*payload.mutable_summary());
  row.samples = EncodeSamples(payload.samples_seconds());
  row.result = std::move(result);
  return row;
}

absl::Status WriteResultRow(SqliteDb& db, const ResultRow& row, int64_t stored_now_nanos) {
  const gridbench::v1::SignedResult& signed_result = row.result.signed_();
  const std::string& attempt_id = signed_result.attempt_id();
  GB_ASSIGN_OR_RETURN(Statement stmt,
                      db.Prepare("storing the result of attempt " + attempt_id, R"sql(
      INSERT INTO results (attempt_id, task_id, job_id, worker_id, lease_id, sequence, payload,
                           signature, key_id, stored, kind, median, mean, stddev, min, max, p90,
                           p99, count, samples)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
              ?19, ?20))sql"));
  const gridbench::v1::Summary& summary = row.summary;
  const int64_t stored = row.result.stored_unix_nanos();
  const absl::Status status = stmt.BindText(1, attempt_id)
                                  .BindText(2, signed_result.task_id())
                                  .BindText(3, row.result.job_id())
                                  .BindText(4, signed_result.worker_id())
                                  .BindText(5, signed_result.lease_id())
                                  .BindInt(6, static_cast<int64_t>(signed_result.sequence()))
                                  .BindBlob(7, signed_result.payload())
                                  .BindBlob(8, signed_result.signature())
                                  .BindText(9, signed_result.key_id())
                                  .BindInt(10, stored != 0 ? stored : stored_now_nanos)
                                  .BindText(11, row.kind)
                                  .BindDouble(12, summary.median())
                                  .BindDouble(13, summary.mean())
                                  .BindDouble(14, summary.stddev())
                                  .BindDouble(15, summary.min())
                                  .BindDouble(16, summary.max())
                                  .BindDouble(17, summary.p90())
                                  .BindDouble(18, summary.p99())
                                  .BindInt(19, summary.count())
                                  .BindBlob(20, row.samples)
                                  .Run();
  if (absl::IsAlreadyExists(status)) {
    return absl::AlreadyExistsError(
        absl::StrCat("a result for attempt ", attempt_id, " is already stored"));
  }
  return status;
}

absl::Status WriteNewResult(SqliteDb& db, const StoredResult& result, int64_t stored_now_nanos) {
  GB_ASSIGN_OR_RETURN(ResultRow row, DecodeResultRow(result));
  return WriteResultRow(db, row, stored_now_nanos);
}

namespace {

// Both token statements number their parameters the same way, ?1..?9.
Statement& BindToken(Statement& stmt, const TokenRecord& token) {
  return stmt.BindText(1, token.token_id)
      .BindText(2, token.hash_hex)
      .BindInt(3, token.role)
      .BindInt(4, token.created_unix_nanos)
      .BindInt(5, token.expires_unix_nanos)
      .BindInt(6, token.one_time)
      .BindInt(7, token.used)
      .BindInt(8, token.revoked)
      .BindText(9, token.description);
}

}  // namespace

absl::Status WriteNewToken(SqliteDb& db, const TokenRecord& token) {
  GB_RETURN_IF_ERROR(RequireId("token_id", token.token_id));
  GB_RETURN_IF_ERROR(RequireId("token hash", token.hash_hex));
  GB_ASSIGN_OR_RETURN(Statement stmt, db.Prepare("storing token " + token.token_id, R"sql(
      INSERT INTO tokens (id, hash, role, created, expires, one_time, used, revoked, description)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9))sql"));
  return BindToken(stmt, token).Run();
}

absl::Status WriteTokenUpdate(SqliteDb& db, const TokenRecord& token) {
  GB_ASSIGN_OR_RETURN(Statement stmt, db.Prepare("updating token " + token.token_id, R"sql(
      UPDATE tokens SET hash = ?2, role = ?3, created = ?4, expires = ?5, one_time = ?6,
          used = ?7, revoked = ?8, description = ?9
      WHERE id = ?1)sql"));
  GB_RETURN_IF_ERROR(BindToken(stmt, token).Run());
  return RequireChanged(db, "token " + token.token_id);
}

absl::Status WriteAudit(SqliteDb& db, const AuditEntry& entry) {
  GB_RETURN_IF_ERROR(RequireId("audit kind", entry.kind));
  GB_ASSIGN_OR_RETURN(Statement stmt, db.Prepare("appending to the audit log (" + entry.kind + ")",
                                                 R"sql(
      INSERT INTO audit_log (time, kind, subject, detail, peer)
      VALUES (?1, ?2, ?3, ?4, ?5))sql"));
  return stmt.BindInt(1, entry.unix_nanos)
      .BindText(2, entry.kind)
      .BindText(3, entry.subject)
      .BindText(4, entry.detail)
      .BindText(5, entry.peer)
      .Run();
}

}  // namespace gridbench::coordinator
