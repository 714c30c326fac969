// Versioned schema migrations for the coordinator's SQLite file.
//
// The file's schema version is SQLite's `PRAGMA user_version` (0 for a new
// file). Migration N takes the file from version N-1 to N; each runs with its
// version bump in one transaction, so a crash or a failing script leaves the
// file at the last complete version. Never edit a shipped migration: append a
// new one.
#ifndef GRIDBENCH_COORDINATOR_STORE_SCHEMA_H_
#define GRIDBENCH_COORDINATOR_STORE_SCHEMA_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "coordinator/store/sqlite_db.h"

namespace gridbench::coordinator {

struct Migration {
  int version;  // 1, 2, 3, ... in order, with no gaps.
  absl::string_view description;
  absl::string_view sql;
};

// This binary's migrations, oldest first.
absl::Span<const Migration> SchemaMigrations();

// The version this binary migrates files to (the last migration's).
int CurrentSchemaVersion();

// The file's schema version.
absl::StatusOr<int> ReadSchemaVersion(SqliteDb& db);

// Applies the migrations newer than the file's version, in order, and
// returns the resulting version. FAILED_PRECONDITION when the file is newer
// than the last of `migrations`; INVALID_ARGUMENT when `migrations` is not
// numbered 1, 2, 3...; otherwise the error of the failing migration, which
// names it (earlier migrations stay applied).
absl::StatusOr<int> ApplyMigrations(SqliteDb& db, absl::Span<const Migration> migrations);

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_STORE_SCHEMA_H_
