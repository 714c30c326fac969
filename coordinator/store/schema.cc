#include "coordinator/store/schema.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace gridbench::coordinator {
namespace {

// Times are Unix nanoseconds; enums are the proto enum numbers; *_spec and
// hardware columns hold serialized protos; booleans are 0/1.
constexpr absl::string_view kInitialSchema = R"sql(
CREATE TABLE workers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  public_key BLOB NOT NULL,
  key_id TEXT NOT NULL,
  labels TEXT NOT NULL,  -- JSON object of strings
  hardware BLOB NOT NULL,  -- gridbench.v1.HardwareProfile
  state INTEGER NOT NULL,
  last_seen INTEGER NOT NULL
) STRICT;

CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  spec BLOB NOT NULL,  -- gridbench.v1.JobSpec
  state INTEGER NOT NULL,
  submitter TEXT NOT NULL,
  priority INTEGER NOT NULL,
  created INTEGER NOT NULL
) STRICT;

CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  job_id TEXT NOT NULL REFERENCES jobs(id),
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  spec BLOB NOT NULL,  -- gridbench.v1.TaskSpec
  state INTEGER NOT NULL,
  pinned_worker_id TEXT NOT NULL,
  attempts_made INTEGER NOT NULL,
  failure_reason TEXT NOT NULL,
  progress REAL NOT NULL,
  seq INTEGER NOT NULL,
  next_eligible INTEGER NOT NULL,
  avoid_worker_id TEXT NOT NULL,
  created INTEGER NOT NULL
) STRICT;
CREATE INDEX tasks_by_job ON tasks(job_id);
CREATE INDEX tasks_by_seq ON tasks(seq);

CREATE TABLE attempts (
  id TEXT PRIMARY KEY,
  task_id TEXT NOT NULL REFERENCES tasks(id),
  worker_id TEXT NOT NULL,
  lease_id TEXT NOT NULL,
  state INTEGER NOT NULL,
  started INTEGER NOT NULL,
  finished INTEGER NOT NULL,
  failure_reason TEXT NOT NULL
) STRICT;
CREATE INDEX attempts_by_task ON attempts(task_id);

-- One row per accepted result. `payload` and `signature` are the exact bytes
-- the worker signed, so anyone can re-verify; the summary columns and
-- `samples` (little-endian float64s) are decoded copies for queries.
CREATE TABLE results (
  id INTEGER PRIMARY KEY,
  attempt_id TEXT NOT NULL UNIQUE REFERENCES attempts(id),
  task_id TEXT NOT NULL REFERENCES tasks(id),
  job_id TEXT NOT NULL REFERENCES jobs(id),
  worker_id TEXT NOT NULL,
  lease_id TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  payload BLOB NOT NULL,
  signature BLOB NOT NULL,
  key_id TEXT NOT NULL,
  stored INTEGER NOT NULL,
  kind TEXT NOT NULL,
  median REAL NOT NULL,
  mean REAL NOT NULL,
  stddev REAL NOT NULL,
  min REAL NOT NULL,
  max REAL NOT NULL,
  p90 REAL NOT NULL,
  p99 REAL NOT NULL,
  count INTEGER NOT NULL,
  samples BLOB NOT NULL
) STRICT;
CREATE INDEX results_by_job ON results(job_id);
CREATE INDEX results_by_task ON results(task_id);

-- Bearer tokens by SHA-256 only; the tokens themselves are never stored.
CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  role INTEGER NOT NULL,
  created INTEGER NOT NULL,
  expires INTEGER NOT NULL,  -- 0: never
  one_time INTEGER NOT NULL,
  used INTEGER NOT NULL,
  revoked INTEGER NOT NULL,
  description TEXT NOT NULL
) STRICT;

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time INTEGER NOT NULL,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  detail TEXT NOT NULL,
  peer TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_by_kind ON audit_log(kind, id);
-- Append-only, enforced by the database rather than by convention.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END;
)sql";

// Artifact bytes live in files under <data_dir>/artifacts/sha256/; this
// table is their catalogue. `id` is "sha256:" + the hex of the bytes.
constexpr absl::string_view kArtifactsTable = R"sql(
CREATE TABLE artifacts (
  id TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  name TEXT NOT NULL,
  uploader TEXT NOT NULL,
  created INTEGER NOT NULL
) STRICT;
)sql";

// No query looks attempts up by task (they are loaded whole at start, and
// tasks are never deleted), and keeping the index cost the store writer an
// extra B-tree insert per assignment.
constexpr absl::string_view kDropAttemptsByTask = "DROP INDEX attempts_by_task;";

// Results are looked up by job (results_by_job) and by attempt (its UNIQUE
// index); by task only in tests. Results arrive in any order among the running
// tasks, so each insert into this index dirtied another page of the group's
// commit: writer_sql_bench measured the writer at about 0.90 of the cost
// without it.
constexpr absl::string_view kDropResultsByTask = "DROP INDEX results_by_task;";

constexpr Migration kMigrations[] = {
    {1, "initial schema", kInitialSchema},
    {2, "artifacts", kArtifactsTable},
    {3, "drop the unused index attempts_by_task", kDropAttemptsByTask},
    {4, "drop the index results_by_task", kDropResultsByTask},
};

absl::Status ValidateNumbering(absl::Span<const Migration> migrations) {
  for (size_t i = 0; i < migrations.size(); ++i) {
    if (migrations[i].version != static_cast<int>(i) + 1) {
      return absl::InvalidArgumentError(absl::StrCat("migration '", migrations[i].description,
                                                     "' has version ", migrations[i].version,
                                                     " but is number ", i + 1, " in the list"));
    }
  }
  return absl::OkStatus();
}

// Applies `m` if the file is exactly one version behind it, inside one
// IMMEDIATE transaction, so two processes opening the file at once cannot
// both apply it.
absl::Status ApplyOne(SqliteDb& db, const Migration& m) {
  GB_RETURN_IF_ERROR(db.Exec("starting a migration", "BEGIN IMMEDIATE"));
  absl::Status status = [&]() -> absl::Status {
    GB_ASSIGN_OR_RETURN(const int version, ReadSchemaVersion(db));
    if (version >= m.version) return absl::OkStatus();
    const std::string name = absl::StrCat("migration ", m.version, " (", m.description, ")");
    GB_RETURN_IF_ERROR(db.Exec(name, std::string(m.sql)));
    return db.Exec(name, absl::StrCat("PRAGMA user_version = ", m.version));
  }();
  if (!status.ok()) {
    // Keep the original error; a failed rollback adds nothing the caller can use.
    db.Exec("rolling back a failed migration", "ROLLBACK").IgnoreError();
    return status;
  }
  return db.Exec(absl::StrCat("committing migration ", m.version), "COMMIT");
}

}  // namespace

absl::Span<const Migration> SchemaMigrations() { return kMigrations; }

int CurrentSchemaVersion() { return SchemaMigrations().back().version; }

absl::StatusOr<int> ReadSchemaVersion(SqliteDb& db) {
  GB_ASSIGN_OR_RETURN(Statement stmt,
                      db.Prepare("reading the schema version", "PRAGMA user_version"));
  GB_ASSIGN_OR_RETURN(const bool row, stmt.Step());
  if (!row) return absl::InternalError("PRAGMA user_version returned no row");
  return static_cast<int>(stmt.ColumnInt(0));
}

absl::StatusOr<int> ApplyMigrations(SqliteDb& db, absl::Span<const Migration> migrations) {
  GB_RETURN_IF_ERROR(ValidateNumbering(migrations));
  GB_ASSIGN_OR_RETURN(const int version, ReadSchemaVersion(db));
  const int target = static_cast<int>(migrations.size());
  if (version > target) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database ", db.path(), " has schema version ", version,
        " but this binary knows only up to ", target, "; run a newer gridbench coordinator"));
  }
  for (const Migration& m : migrations.subspan(version)) GB_RETURN_IF_ERROR(ApplyOne(db, m));
  return ReadSchemaVersion(db);
}

}  // namespace gridbench::coordinator
