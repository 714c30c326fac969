#include "coordinator/store/sqlite_db.h"

#include <sqlite3.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace gridbench::coordinator {
namespace {

// Long enough to ride out a checkpoint or a reader's snapshot; short enough
// that a wedged second process shows up as UNAVAILABLE rather than a hang.
constexpr int kBusyTimeoutMs = 5000;

// The writer's page cache, in KiB. Small on purpose: whenever a B-tree
// split renumbers pages, SQLite parks one at a page number near 1 GiB, and
// the next COMMIT then walks the whole cache to drop pages past the end of
// the file (pcache1TruncateUnsafe). With a 64 MiB cache that walk took about
// a fifth of the writer's CPU under result_load; with time-ordered ids (see
// row_ids.h) the pages a group changes stay in a small cache anyway.
// bench/coordinator/writer_sql_bench measures both side by side.
constexpr int kWriterCacheKiB = 2 * 1024;

absl::StatusCode CodeFor(int extended_rc) {
  switch (extended_rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return absl::StatusCode::kAlreadyExists;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
    case SQLITE_CONSTRAINT_TRIGGER:
      return absl::StatusCode::kFailedPrecondition;
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
      return absl::StatusCode::kInvalidArgument;
    default:
      break;
  }
  switch (extended_rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

Statement::Statement(const SqliteDb* db, sqlite3_stmt* stmt, absl::string_view purpose)
    : db_(db), stmt_(stmt), purpose_(purpose) {}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      purpose_(std::move(other.purpose_)),
      bind_status_(std::move(other.bind_status_)) {}

Statement::~Statement() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Statement::NoteBindResult(int rc, int index) {
  if (rc == SQLITE_OK || !bind_status_.ok()) return;
  bind_status_ = db_->Error(rc, absl::StrCat(purpose_, " (binding parameter ", index, ")"));
}

Statement& Statement::BindInt(int index, int64_t value) {
  NoteBindResult(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

Statement& Statement::BindDouble(int index, double value) {
  NoteBindResult(sqlite3_bind_double(stmt_, index, value), index);
  return *this;
}

Statement& Statement::BindText(int index, absl::string_view value) {
  NoteBindResult(
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8),
      index);
  return *this;
}

Statement& Statement::BindBlob(int index, absl::string_view value) {
  // A null data pointer would bind NULL; an empty blob must stay a blob.
  static const char kEmpty = 0;
  const void* data = value.empty() ? &kEmpty : value.data();
  NoteBindResult(sqlite3_bind_blob64(stmt_, index, data, value.size(), SQLITE_STATIC), index);
  return *this;
}

absl::StatusOr<bool> Statement::Step() {
  if (!bind_status_.ok()) return bind_status_;
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error(rc, purpose_);
}

absl::Status Statement::Run() {
  while (true) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
  }
}

absl::Status Statement::ForEachRow(const std::function<absl::Status()>& on_row) {
  while (true) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::OkStatus();
    absl::Status status = on_row();
    if (!status.ok()) return status;
  }
}

int64_t Statement::ColumnInt(int index) const { return sqlite3_column_int64(stmt_, index); }

double Statement::ColumnDouble(int index) const { return sqlite3_column_double(stmt_, index); }

std::string Statement::ColumnText(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  return text == nullptr ? std::string() : std::string(text, sqlite3_column_bytes(stmt_, index));
}

std::string Statement::ColumnBlob(int index) const {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, index));
  return data == nullptr ? std::string() : std::string(data, sqlite3_column_bytes(stmt_, index));
}

absl::StatusOr<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path, Mode mode) {
  // NOMUTEX: each connection is used by one thread at a time (see header).
  const int flags =
      SQLITE_OPEN_NOMUTEX | (mode == Mode::kReadWrite ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                                      : SQLITE_OPEN_READONLY);
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);
    return absl::InternalError(absl::StrCat("opening SQLite database ", path, ": ", message));
  }
  sqlite3_extended_result_codes(raw, 1);
  std::unique_ptr<SqliteDb> db(new SqliteDb(path, raw));
  std::string pragmas =
      absl::StrCat("PRAGMA foreign_keys = ON; PRAGMA busy_timeout = ", kBusyTimeoutMs, ";");
  if (mode == Mode::kReadWrite) {
    absl::StrAppend(&pragmas, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;",
                    "PRAGMA cache_size = -", kWriterCacheKiB, ";");
  }
  absl::Status status = db->Exec("setting connection pragmas", pragmas);
  if (!status.ok()) return absl::InternalError(status.message());
  if (mode == Mode::kReadWrite) {
    // journal_mode reports the mode it ended up in rather than failing.
    absl::StatusOr<Statement> check = db->Prepare("checking journal mode", "PRAGMA journal_mode");
    if (!check.ok()) return absl::InternalError(check.status().message());
    absl::StatusOr<bool> row = check->Step();
    if (!row.ok()) return absl::InternalError(row.status().message());
    if (!*row || check->ColumnText(0) != "wal") {
      return absl::InternalError(
          absl::StrCat("SQLite database ", path, " could not be switched to WAL mode"));
    }
  }
  return db;
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

absl::Status SqliteDb::Exec(absl::string_view purpose, const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);  // Error() reads the same text from the connection.
  if (rc != SQLITE_OK) return Error(rc, purpose);
  return absl::OkStatus();
}

absl::StatusOr<Statement> SqliteDb::Prepare(absl::string_view purpose, absl::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return Error(rc, absl::StrCat(purpose, " (preparing SQL)"));
    it = statements_.emplace(std::string(sql), stmt).first;
  }
  return Statement(this, it->second, purpose);
}

int64_t SqliteDb::changes() const { return sqlite3_changes64(db_); }

bool SqliteDb::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

absl::Status SqliteDb::Error(int rc, absl::string_view purpose) const {
  // The connection's message is only about `rc` if it is the latest error.
  const bool connection_knows = sqlite3_extended_errcode(db_) == rc;
  const char* message = connection_knows ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  return absl::Status(CodeFor(rc), absl::StrCat(purpose, ": ", message, " [", path_, "]"));
}

}  // namespace gridbench::coordinator
