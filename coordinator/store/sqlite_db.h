// SqliteDb: one SQLite connection with a cache of prepared statements, and
// Statement, a prepared statement borrowed from that cache.
//
// Every failure comes back as an absl::Status whose message names what the
// SQL was for, SQLite's own message and the database path. SQLite result
// codes map to status codes by what the caller should do:
//   UNIQUE / PRIMARY KEY constraint  -> ALREADY_EXISTS
//   FOREIGN KEY constraint, RAISE()  -> FAILED_PRECONDITION
//   CHECK / NOT NULL constraint      -> INVALID_ARGUMENT
//   BUSY / LOCKED                    -> UNAVAILABLE
//   anything else                    -> INTERNAL
//
// Thread-safety: none. A SqliteDb and its Statements are used by one thread
// at a time; the owner serialises access (the store's writer thread owns the
// write connection, a mutex guards the read connection).
#ifndef GRIDBENCH_COORDINATOR_STORE_SQLITE_DB_H_
#define GRIDBENCH_COORDINATOR_STORE_SQLITE_DB_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;
struct sqlite3_stmt;

namespace gridbench::coordinator {

class SqliteDb;

// A cached prepared statement. Bind parameters (1-based, as in SQLite), then
// Step() or Run(). Destroying it resets the statement and clears its bindings
// so the next borrower starts clean. Bind errors are kept and reported by the
// next Step()/Run(), so call sites stay flat.
//
// BindText and BindBlob do not copy: the bytes must stay valid until the
// last Step()/Run() (binding a temporary is fine when the Run() is in the
// same expression, as in stmt.BindBlob(1, proto.SerializeAsString()).Run()).
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement();

  Statement& BindInt(int index, int64_t value);
  Statement& BindDouble(int index, double value);
  Statement& BindText(int index, absl::string_view value);
  Statement& BindBlob(int index, absl::string_view value);

  // True when a row is available, false when the statement has finished.
  absl::StatusOr<bool> Step();
  // Steps to the end; for statements that return no rows.
  absl::Status Run();
  // Steps to the end, calling `on_row` at each row; stops at its first error.
  absl::Status ForEachRow(const std::function<absl::Status()>& on_row);

  // Columns of the current row, 0-based. NULL reads as 0 / empty.
  int64_t ColumnInt(int index) const;
  double ColumnDouble(int index) const;
  std::string ColumnText(int index) const;
  std::string ColumnBlob(int index) const;

 private:
  friend class SqliteDb;
  Statement(const SqliteDb* db, sqlite3_stmt* stmt, absl::string_view purpose);
  void NoteBindResult(int rc, int index);

  const SqliteDb* db_;
  sqlite3_stmt* stmt_;
  std::string purpose_;  // Names the SQL in error messages.
  absl::Status bind_status_;
};

class SqliteDb {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // Opens `path` (kReadWrite creates it when missing) and sets the pragmas
  // every connection needs: foreign_keys=ON, busy_timeout; kReadWrite also
  // sets journal_mode=WAL, synchronous=FULL and a larger page cache.
  // INTERNAL on failure, naming the path.
  static absl::StatusOr<std::unique_ptr<SqliteDb>> Open(const std::string& path, Mode mode);

  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs a script of one or more statements that return no rows we need.
  absl::Status Exec(absl::string_view purpose, const std::string& sql);

  // Borrows the prepared form of `sql`, preparing it on first use. `purpose`
  // says what the SQL is for ("storing worker w1") and prefixes its errors.
  // Only one Statement per distinct `sql` may be alive at a time.
  absl::StatusOr<Statement> Prepare(absl::string_view purpose, absl::string_view sql);

  // Rows changed by the most recent INSERT/UPDATE/DELETE.
  int64_t changes() const;
  // False once SQLite has ended the transaction on its own (it rolls back
  // after some I/O and out-of-memory errors).
  bool in_transaction() const;
  const std::string& path() const { return path_; }

  // The status for SQLite result code `rc` on this connection.
  absl::Status Error(int rc, absl::string_view purpose) const;

 private:
  SqliteDb(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

  const std::string path_;
  sqlite3* const db_;
  // Looked up by the SQL's text without copying it.
  absl::flat_hash_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_STORE_SQLITE_DB_H_
