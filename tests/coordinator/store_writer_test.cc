// The group-commit writer: ordering, durability before `done`, isolation of
// failing changes, Flush() and shutdown.
#include "coordinator/store/store_writer.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "coordinator/store/coordinator_store.h"
#include "coordinator/store/schema.h"
#include "coordinator/store/sqlite_db.h"
#include "coordinator/store/store_changes.h"
#include "gtest/gtest.h"
#include "tests/coordinator/store_testing.h"

namespace gridbench::coordinator {
namespace {

using testing::DoneLog;
using testing::ScratchDir;

class StoreWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = CoordinatorStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }

  // Audit rows with `subject`, counted on a brand-new connection: only
  // committed rows are visible to it.
  int64_t CommittedRows(const std::string& subject) {
    auto db = SqliteDb::Open(path_, SqliteDb::Mode::kReadOnly);
    EXPECT_TRUE(db.ok()) << db.status();
    auto stmt = (*db)->Prepare("test", "SELECT count(*) FROM audit_log WHERE subject = ?1");
    EXPECT_TRUE(stmt.ok()) << stmt.status();
    stmt->BindText(1, subject);
    EXPECT_TRUE(*stmt->Step());
    return stmt->ColumnInt(0);
  }

  static AuditEntry Entry(const std::string& subject) {
    return testing::MakeAudit("test", subject);
  }

  ScratchDir dir_;
  const std::string path_ = dir_.File("g.db");
  std::unique_ptr<CoordinatorStore> store_;
};

TEST_F(StoreWriterTest, DoneRunsInOrderAndOnlyAfterCommit) {
  constexpr int kChanges = 300;
  std::vector<int> order;  // Written by the callback thread only, read after Flush.
  std::vector<int64_t> visible;
  for (int i = 0; i < kChanges; ++i) {
    const std::string subject = "s" + std::to_string(i);
    store_->AppendAudit(Entry(subject), [&, i, subject](absl::Status status) {
      EXPECT_TRUE(status.ok()) << status;
      order.push_back(i);
      if (i % 50 == 0) visible.push_back(CommittedRows(subject));
    });
  }
  ASSERT_TRUE(store_->Flush().ok());
  ASSERT_EQ(order.size(), static_cast<size_t>(kChanges));
  for (int i = 0; i < kChanges; ++i) EXPECT_EQ(order[i], i);
  EXPECT_EQ(visible, std::vector<int64_t>(kChanges / 50, 1));
}

// The writer does not wait for a group's callbacks before it commits the
// next group: here the first callback returns only once a change queued after
// it has run. A writer that ran callbacks itself would time out here.
TEST_F(StoreWriterTest, NextGroupCommitsWhileCallbacksRun) {
  absl::Notification callback_started, second_seen;
  store_->AppendAudit(Entry("first"), [&](absl::Status status) {
    EXPECT_TRUE(status.ok()) << status;
    callback_started.Notify();
    EXPECT_TRUE(second_seen.WaitForNotificationWithTimeout(absl::Seconds(30)));
  });
  callback_started.WaitForNotification();
  store_->AppendAudit(Entry("second"),
                      [&](absl::Status status) { EXPECT_TRUE(status.ok()) << status; });
  // The second change is committed while the first callback still waits.
  for (int i = 0; i < 3000 && CommittedRows("second") == 0; ++i)
    absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(CommittedRows("second"), 1);
  second_seen.Notify();
  EXPECT_TRUE(store_->Flush().ok());
}

// A duplicate result fails alone: the changes around it in its group are
// committed.
TEST_F(StoreWriterTest, FailingChangeFailsAloneInItsGroup) {
  testing::SeedAttempt(*store_, "w1", "j1", "t1", "a1");
  store_.reset();  // Commits the seed and leaves the file to this test's writer.
  auto db = SqliteDb::Open(path_, SqliteDb::Mode::kReadWrite);
  ASSERT_TRUE(db.ok()) << db.status();
  DoneLog log;  // Outlives the writer, whose callbacks write to it.
  StoreWriter writer(*std::move(db));
  auto audit = [](const std::string& subject) {
    return [subject](SqliteDb& db) { return WriteAudit(db, Entry(subject)); };
  };
  auto result = [](SqliteDb& db) {
    return WriteNewResult(db, testing::MakeResult("j1", "t1", "a1", "w1"), 1);
  };
  writer.Enqueue(
      [&](SqliteDb&) {
        // Queued from the writer thread, so the next four share a group.
        writer.Enqueue(audit("before"), log.Callback(1));
        writer.Enqueue(result, log.Callback(2));
        writer.Enqueue(result, log.Callback(3));
        writer.Enqueue(audit("after"), log.Callback(4));
        return absl::OkStatus();
      },
      nullptr);
  ASSERT_TRUE(writer.Flush().ok());  // Until the first change has run...
  ASSERT_TRUE(writer.Flush().ok());  // ...and the group it queued.
  EXPECT_EQ(writer.stats().groups, 2);
  EXPECT_EQ(writer.stats().changes, 5);
  writer.Stop();

  const auto entries = log.entries();
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_TRUE(entries[0].second.ok());
  EXPECT_TRUE(entries[1].second.ok());
  EXPECT_EQ(entries[2].second.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(entries[3].second.ok());
  EXPECT_EQ(CommittedRows("before"), 1);
  EXPECT_EQ(CommittedRows("after"), 1);
  auto reopened = CoordinatorStore::Open(path_);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(*(*reopened)->CountResultsForTask("t1"), 1);
}

TEST_F(StoreWriterTest, FlushReportsFailuresNobodyElseHeard) {
  store_->UpsertAttempt("no-such-task", testing::MakeAttempt("a1", "w1", 1));
  store_->AppendAudit(Entry("fine"));
  absl::Status flushed = store_->Flush();
  EXPECT_EQ(flushed.code(), absl::StatusCode::kFailedPrecondition) << flushed;
  EXPECT_NE(flushed.message().find("a1"), absl::string_view::npos) << flushed;
  EXPECT_TRUE(store_->Flush().ok());  // Reported once.
  EXPECT_EQ(CommittedRows("fine"), 1);

  // A failure that its `done` heard about is not reported again.
  DoneLog log;
  store_->UpsertAttempt("no-such-task", testing::MakeAttempt("a2", "w1", 1), log.Callback(1));
  EXPECT_TRUE(store_->Flush().ok());
  ASSERT_EQ(log.entries().size(), 1u);
  EXPECT_FALSE(log.entries()[0].second.ok());
}

TEST_F(StoreWriterTest, FlushFromDoneIsRefusedRatherThanDeadlocking) {
  absl::Status inner;
  store_->AppendAudit(Entry("x"), [&](absl::Status) { inner = store_->Flush(); });
  ASSERT_TRUE(store_->Flush().ok());
  EXPECT_EQ(inner.code(), absl::StatusCode::kFailedPrecondition) << inner;
}

TEST_F(StoreWriterTest, ConcurrentProducersKeepTheirOwnOrder) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        store_->AppendAudit(testing::MakeAudit("p" + std::to_string(t), "x", i),
                            [&](absl::Status status) { failures += status.ok() ? 0 : 1; });
      }
    });
  }
  for (std::thread& producer : producers) producer.join();
  ASSERT_TRUE(store_->Flush().ok());
  EXPECT_EQ(failures.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    auto entries = store_->ListAudit("p" + std::to_string(t), kPerThread + 1);
    ASSERT_TRUE(entries.ok()) << entries.status();
    ASSERT_EQ(entries->size(), static_cast<size_t>(kPerThread));
    for (int i = 0; i < kPerThread; ++i) {  // Newest first.
      EXPECT_EQ((*entries)[i].unix_nanos, kPerThread - 1 - i);
    }
  }
  const auto stats = store_->commit_stats();
  EXPECT_EQ(stats.changes, kThreads * kPerThread);
  EXPECT_LE(stats.groups, stats.changes);
}

TEST_F(StoreWriterTest, DestructorCommitsEverythingQueued) {
  constexpr int kChanges = 500;
  for (int i = 0; i < kChanges; ++i) store_->AppendAudit(Entry("queued"));
  // A change queued by a callback during shutdown is committed too.
  CoordinatorStore* store = store_.get();
  store->AppendAudit(Entry("last"),
                     [store](absl::Status) { store->AppendAudit(Entry("chained")); });
  store_.reset();
  EXPECT_EQ(CommittedRows("queued"), kChanges);
  EXPECT_EQ(CommittedRows("chained"), 1);
}

// A change that fails after writing part of itself leaves nothing behind,
// while the changes around it in its group are committed once each.
TEST(StoreWriterIsolationTest, PartlyWrittenFailedChangeIsRolledBackAlone) {
  ScratchDir dir;
  const std::string path = dir.File("w.db");
  auto db = SqliteDb::Open(path, SqliteDb::Mode::kReadWrite);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE(ApplyMigrations(**db, SchemaMigrations()).ok());
  DoneLog log;  // Outlives the writer, whose callbacks write to it.
  StoreWriter writer(*std::move(db));
  auto audit = [](const std::string& subject) {
    return [subject](SqliteDb& db) { return WriteAudit(db, testing::MakeAudit("k", subject)); };
  };
  writer.Enqueue(
      [&](SqliteDb&) {
        // Queued from the writer thread, so the next three share a group.
        writer.Enqueue(audit("first"), log.Callback(1));
        writer.Enqueue(
            [](SqliteDb& db) {
              absl::Status status = WriteAudit(db, testing::MakeAudit("k", "partial"));
              if (!status.ok()) return status;
              return absl::InternalError("failed after its first statement");
            },
            log.Callback(2));
        writer.Enqueue(audit("last"), log.Callback(3));
        return absl::OkStatus();
      },
      nullptr);
  ASSERT_TRUE(writer.Flush().ok());  // Until the first change has run...
  ASSERT_TRUE(writer.Flush().ok());  // ...and the group it queued.
  writer.Stop();
  const auto entries = log.entries();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_TRUE(entries[0].second.ok()) << entries[0].second;
  EXPECT_EQ(entries[1].second.code(), absl::StatusCode::kInternal) << entries[1].second;
  EXPECT_TRUE(entries[2].second.ok()) << entries[2].second;
  auto check = SqliteDb::Open(path, SqliteDb::Mode::kReadOnly);
  ASSERT_TRUE(check.ok()) << check.status();
  auto stmt = (*check)->Prepare("test", "SELECT subject FROM audit_log ORDER BY id");
  ASSERT_TRUE(stmt.ok()) << stmt.status();
  std::vector<std::string> committed;
  ASSERT_TRUE(stmt->ForEachRow([&] {
                    committed.push_back(stmt->ColumnText(0));
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(committed, (std::vector<std::string>{"first", "last"}));
}

// A COMMIT that fails takes its whole group with it, whatever each change
// returned. Deferred foreign keys are checked only at COMMIT, which makes
// such a failure easy to cause.
TEST(StoreWriterCommitTest, FailedCommitFailsEveryChangeOfItsGroup) {
  ScratchDir dir;
  auto db = SqliteDb::Open(dir.File("w.db"), SqliteDb::Mode::kReadWrite);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE(ApplyMigrations(**db, SchemaMigrations()).ok());
  DoneLog log;  // Outlives the writer, whose callbacks write to it.
  StoreWriter writer(*std::move(db));
  writer.Enqueue(
      [&](SqliteDb&) {
        // Queued from the writer thread, so the next three share a group.
        writer.Enqueue([](SqliteDb& db) { return WriteAudit(db, testing::MakeAudit("k", "s")); },
                       log.Callback(1));
        writer.Enqueue(
            [](SqliteDb& db) {
              absl::Status status = db.Exec("test", "PRAGMA defer_foreign_keys = ON");
              if (!status.ok()) return status;
              return WriteAttempt(db, "no-such-task", testing::MakeAttempt("a1", "w1", 1));
            },
            log.Callback(2));
        writer.Enqueue([](SqliteDb& db) { return WriteAudit(db, testing::MakeAudit("k", "t")); },
                       log.Callback(3));
        return absl::OkStatus();
      },
      nullptr);
  // The first Flush() waits for the first change only, but may already
  // report the group's failed COMMIT; the second waits for the group's
  // callbacks. The error is reported once.
  const absl::Status first = writer.Flush();
  const absl::Status second = writer.Flush();
  const absl::Status& flushed = first.ok() ? second : first;
  EXPECT_EQ(flushed.code(), absl::StatusCode::kFailedPrecondition) << flushed;
  EXPECT_TRUE(first.ok() || second.ok()) << second;
  const auto entries = log.entries();
  ASSERT_EQ(entries.size(), 3u);
  for (const auto& [id, status] : entries) {
    EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << id << ": " << status;
    EXPECT_NE(status.message().find("committing a group of 3"), absl::string_view::npos) << status;
  }
  // The writer carries on with the next group.
  writer.Enqueue([](SqliteDb& db) { return WriteAudit(db, testing::MakeAudit("k", "u")); },
                 log.Callback(4));
  EXPECT_TRUE(writer.Flush().ok());
  EXPECT_TRUE(log.entries().back().second.ok()) << log.entries().back().second;
}

}  // namespace
}  // namespace gridbench::coordinator
