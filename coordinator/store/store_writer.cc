#include "coordinator/store/store_writer.h"

#include <pthread.h>

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"

namespace gridbench::coordinator {
namespace {

absl::Status RunStatement(SqliteDb& db, absl::string_view purpose, absl::string_view sql) {
  absl::StatusOr<Statement> stmt = db.Prepare(purpose, sql);
  if (!stmt.ok()) return stmt.status();
  return stmt->Run();
}

}  // namespace

StoreWriter::StoreWriter(std::unique_ptr<SqliteDb> db)
    : db_(std::move(db)),
      writer_([this] { WriteLoop(); }),
      callbacks_([this] { CallbackLoop(); }) {}

StoreWriter::~StoreWriter() {
  if (writer_.joinable()) Stop();
}

void StoreWriter::Stop() {
  {
    StdMutexLock lock(mu_);
    stopping_ = true;
    work_queued_.Signal();
  }
  writer_.join();
  callbacks_.join();
}

void StoreWriter::Enqueue(Change change, Done done) {
  StdMutexLock lock(mu_);
  queue_.push_back(Item{std::move(change), std::move(done)});
  ++enqueued_;
  work_queued_.Signal();
}

absl::Status StoreWriter::Flush() {
  const std::thread::id self = std::this_thread::get_id();
  if (self == writer_.get_id() || self == callbacks_.get_id()) {
    return absl::FailedPreconditionError(
        "CoordinatorStore::Flush called from a change or a done callback; it would wait for "
        "itself");
  }
  StdMutexLock lock(mu_);
  const int64_t target = enqueued_;
  while (finished_ < target) group_finished_.Wait(mu_);
  return std::exchange(unreported_error_, absl::OkStatus());
}

StoreWriter::Stats StoreWriter::stats() const {
  StdMutexLock lock(mu_);
  return stats_;
}

void StoreWriter::NoteUnreported(const absl::Status& status) {
  StdMutexLock lock(mu_);
  if (unreported_error_.ok()) unreported_error_ = status;
}

void StoreWriter::WriteLoop() {
  // Named for top(1) and the load generator's per-thread report: the writer
  // is the stage of a result that more cores do not parallelise.
  pthread_setname_np(pthread_self(), "store-writer");
  while (true) {
    std::vector<Item> group = TakeGroup();
    if (group.empty()) break;
    std::vector<absl::Status> statuses = CommitGroup(group);
    StdMutexLock lock(mu_);
    committed_.push_back(CommittedGroup{std::move(group), std::move(statuses)});
    group_committed_.Signal();
  }
  StdMutexLock lock(mu_);
  writer_ended_ = true;
  group_committed_.Signal();
}

std::vector<StoreWriter::Item> StoreWriter::TakeGroup() {
  StdMutexLock lock(mu_);
  // Stopping waits for the callbacks too: they may queue more changes.
  while (queue_.empty() && !(stopping_ && finished_ == enqueued_)) work_queued_.Wait(mu_);
  std::vector<Item> group;
  if (!spare_groups_.empty()) {
    group = std::move(spare_groups_.back());
    spare_groups_.pop_back();
  }
  if (queue_.size() <= kMaxGroupSize) {
    group.swap(queue_);  // The queue keeps the spare container's capacity.
  } else {
    std::move(queue_.begin(), queue_.begin() + kMaxGroupSize, std::back_inserter(group));
    queue_.erase(queue_.begin(), queue_.begin() + kMaxGroupSize);
  }
  return group;
}

void StoreWriter::CallbackLoop() {
  pthread_setname_np(pthread_self(), "store-callback");
  while (true) {
    CommittedGroup group;
    {
      StdMutexLock lock(mu_);
      while (committed_.empty() && !writer_ended_) group_committed_.Wait(mu_);
      if (committed_.empty()) return;  // The writer ended and nothing is left.
      group = std::move(committed_.front());
      committed_.pop_front();
    }
    const auto size = static_cast<int64_t>(group.items.size());
    RunCallbacks(group);
    StdMutexLock lock(mu_);
    spare_groups_.push_back(std::move(group.items));
    finished_ += size;
    ++stats_.groups;
    stats_.changes += size;
    group_finished_.SignalAll();
    work_queued_.Signal();  // A stopping writer waits for finished_.
  }
}

void StoreWriter::RunCallbacks(CommittedGroup& group) {
  for (size_t i = 0; i < group.items.size(); ++i) {
    if (group.items[i].done) {
      group.items[i].done(group.statuses[i]);
    } else if (!group.statuses[i].ok()) {
      NoteUnreported(group.statuses[i]);
    }
  }
  group.items.clear();
  group.statuses.clear();
}

std::vector<absl::Status> StoreWriter::CommitGroup(std::vector<Item>& group) {
  std::vector<absl::Status> statuses(group.size());
  absl::Status status = RunChanges(group, /*isolate=*/false, statuses);
  const bool change_failed =
      std::any_of(statuses.begin(), statuses.end(), [](const absl::Status& s) { return !s.ok(); });
  if (status.ok() && change_failed) {
    // The failed change may have written part of itself: start again with
    // each change in a savepoint. The others succeed again, on the same rows.
    status = RunStatement(*db_, "rolling back a group to isolate its failed change", "ROLLBACK");
    if (status.ok()) status = RunChanges(group, /*isolate=*/true, statuses);
  }
  if (status.ok()) {
    status = RunStatement(*db_, absl::StrCat("committing a group of ", group.size(), " changes"),
                          "COMMIT");
  }
  if (!status.ok()) {
    // The transaction's outcome is known only after a rollback; its own
    // failure would hide the error that caused it.
    if (db_->in_transaction()) {
      RunStatement(*db_, "rolling back a failed group", "ROLLBACK").IgnoreError();
    }
    std::fill(statuses.begin(), statuses.end(), status);
    NoteUnreported(status);
  }
  return statuses;
}

absl::Status StoreWriter::RunChanges(std::vector<Item>& group, bool isolate,
                                     std::vector<absl::Status>& statuses) {
  absl::Status status = RunStatement(*db_, "starting a write transaction", "BEGIN IMMEDIATE");
  for (size_t i = 0; status.ok() && i < group.size(); ++i) {
    if (isolate) status = RunStatement(*db_, "opening a change's savepoint", "SAVEPOINT change");
    if (!status.ok()) break;
    statuses[i] = group[i].change(*db_);
    if (!db_->in_transaction()) {
      return absl::AbortedError(absl::StrCat("SQLite rolled back a group of ", group.size(),
                                             " changes after: ", statuses[i].message()));
    }
    if (!isolate) {
      if (!statuses[i].ok()) break;
      continue;
    }
    if (!statuses[i].ok()) {
      status = RunStatement(*db_, "rolling back a failed change", "ROLLBACK TO change");
    }
    if (status.ok())
      status = RunStatement(*db_, "releasing a change's savepoint", "RELEASE change");
  }
  return status;
}

}  // namespace gridbench::coordinator
