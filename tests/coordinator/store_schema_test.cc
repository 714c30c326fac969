// Opening, migrations and the constraints the schema itself enforces.
#include <fstream>
#include <memory>
#include <string>

#include "coordinator/store/coordinator_store.h"
#include "coordinator/store/schema.h"
#include "coordinator/store/sqlite_db.h"
#include "gtest/gtest.h"
#include "tests/coordinator/store_testing.h"

namespace gridbench::coordinator {
namespace {

using testing::ScratchDir;

std::unique_ptr<SqliteDb> OpenRaw(const std::string& path) {
  auto db = SqliteDb::Open(path, SqliteDb::Mode::kReadWrite);
  EXPECT_TRUE(db.ok()) << db.status();
  return *std::move(db);
}

int64_t QueryInt(SqliteDb& db, const char* sql) {
  auto stmt = db.Prepare("test query", sql);
  EXPECT_TRUE(stmt.ok()) << stmt.status();
  auto row = stmt->Step();
  EXPECT_TRUE(row.ok() && *row) << sql;
  return stmt->ColumnInt(0);
}

TEST(StoreSchemaTest, FreshFileGetsEveryTableAndWal) {
  ScratchDir dir;
  auto store = CoordinatorStore::Open(dir.File("g.db"));
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->schema_version(), CurrentSchemaVersion());
  store->reset();

  auto db = OpenRaw(dir.File("g.db"));
  EXPECT_EQ(QueryInt(*db,
                     "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                     "('workers','jobs','tasks','attempts','results','tokens','audit_log')"),
            7);
  auto mode = db->Prepare("journal mode", "PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  ASSERT_TRUE(*mode->Step());
  EXPECT_EQ(mode->ColumnText(0), "wal");
}

TEST(StoreSchemaTest, ReopeningKeepsVersionAndData) {
  ScratchDir dir;
  {
    auto store = CoordinatorStore::Open(dir.File("g.db"));
    ASSERT_TRUE(store.ok()) << store.status();
    (*store)->AppendAudit(testing::MakeAudit("enroll", "w1"));
  }  // The destructor commits what was queued.
  auto store = CoordinatorStore::Open(dir.File("g.db"));
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->schema_version(), CurrentSchemaVersion());
  auto audit = (*store)->ListAudit("", 10);
  ASSERT_TRUE(audit.ok()) << audit.status();
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ((*audit)[0].subject, "w1");
}

TEST(StoreSchemaTest, NewerFileIsRefused) {
  ScratchDir dir;
  ASSERT_TRUE(CoordinatorStore::Open(dir.File("g.db")).ok());
  ASSERT_TRUE(OpenRaw(dir.File("g.db"))->Exec("test", "PRAGMA user_version = 99").ok());
  auto store = CoordinatorStore::Open(dir.File("g.db"));
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition) << store.status();
  EXPECT_NE(store.status().message().find("99"), absl::string_view::npos) << store.status();
}

TEST(StoreSchemaTest, UnopenablePathIsInternalAndNamesIt) {
  ScratchDir dir;
  const std::string path = dir.File("no/such/dir/g.db");
  auto store = CoordinatorStore::Open(path);
  ASSERT_EQ(store.status().code(), absl::StatusCode::kInternal) << store.status();
  EXPECT_NE(store.status().message().find(path), absl::string_view::npos) << store.status();
}

TEST(StoreSchemaTest, FileThatIsNotADatabaseIsInternalAndNamesIt) {
  ScratchDir dir;
  const std::string path = dir.File("notes.txt");
  std::ofstream(path) << "these are not the bytes of an SQLite database, but long enough to look\n";
  auto store = CoordinatorStore::Open(path);
  ASSERT_EQ(store.status().code(), absl::StatusCode::kInternal) << store.status();
  EXPECT_NE(store.status().message().find(path), absl::string_view::npos) << store.status();
}

TEST(StoreSchemaTest, FailingMigrationLeavesTheLastCompleteVersion) {
  ScratchDir dir;
  auto db = OpenRaw(dir.File("m.db"));
  const Migration broken[] = {{1, "first", "CREATE TABLE a (x INTEGER)"},
                              {2, "second", "CREATE TABLE b (x INTEGER); NOT SQL AT ALL"}};
  auto version = ApplyMigrations(*db, broken);
  ASSERT_FALSE(version.ok());
  EXPECT_NE(version.status().message().find("migration 2 (second)"), absl::string_view::npos)
      << version.status();
  EXPECT_EQ(*ReadSchemaVersion(*db), 1);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM sqlite_master WHERE name = 'b'"), 0);

  const Migration fixed[] = {{1, "first", "CREATE TABLE a (x INTEGER)"},
                             {2, "second", "CREATE TABLE b (x INTEGER)"}};
  version = ApplyMigrations(*db, fixed);
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(*version, 2);
  // Applying again is a no-op (migration 1 would fail: table a exists).
  version = ApplyMigrations(*db, fixed);
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(*version, 2);
}

TEST(StoreSchemaTest, MisnumberedMigrationsAreRejected) {
  ScratchDir dir;
  auto db = OpenRaw(dir.File("m.db"));
  const Migration gap[] = {{1, "first", "SELECT 1"}, {3, "third", "SELECT 1"}};
  EXPECT_EQ(ApplyMigrations(*db, gap).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*ReadSchemaVersion(*db), 0);
}

TEST(StoreSchemaTest, AuditLogRefusesUpdateAndDelete) {
  ScratchDir dir;
  auto store = CoordinatorStore::Open(dir.File("g.db"));
  ASSERT_TRUE(store.ok()) << store.status();
  (*store)->AppendAudit(testing::MakeAudit("auth_failure", "t1"));
  ASSERT_TRUE((*store)->Flush().ok());

  auto db = OpenRaw(dir.File("g.db"));
  absl::Status update = db->Exec("tampering", "UPDATE audit_log SET detail = 'forged'");
  EXPECT_EQ(update.code(), absl::StatusCode::kFailedPrecondition) << update;
  EXPECT_NE(update.message().find("append-only"), absl::string_view::npos) << update;
  absl::Status del = db->Exec("tampering", "DELETE FROM audit_log");
  EXPECT_EQ(del.code(), absl::StatusCode::kFailedPrecondition) << del;

  auto audit = (*store)->ListAudit("auth_failure", 10);
  ASSERT_TRUE(audit.ok()) << audit.status();
  ASSERT_EQ(audit->size(), 1u);
  EXPECT_EQ((*audit)[0].detail, "");
}

TEST(StoreSchemaTest, ForeignKeysAreEnforced) {
  ScratchDir dir;
  auto store = CoordinatorStore::Open(dir.File("g.db"));
  ASSERT_TRUE(store.ok()) << store.status();
  testing::DoneLog log;
  (*store)->UpsertAttempt("no-such-task", testing::MakeAttempt("a1", "w1", 1), log.Callback(1));
  (*store)->InsertResult(testing::MakeResult("j", "t", "no-such-attempt", "w"), log.Callback(2));
  ASSERT_TRUE((*store)->Flush().ok());
  const auto entries = log.entries();
  ASSERT_EQ(entries.size(), 2u);
  for (const auto& [id, status] : entries) {
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << id << ": " << status;
    EXPECT_NE(status.message().find("FOREIGN KEY"), absl::string_view::npos) << status;
  }
  auto results = (*store)->CountResultsForTask("t");
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ(*results, 0);
}

}  // namespace
}  // namespace gridbench::coordinator
