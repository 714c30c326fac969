// StoreWriter: the one thread that writes the coordinator's database, in
// queue order, committing queued changes in groups ("group commit"), and a
// second thread that calls the committed changes' `done` callbacks.
//
// The writer takes everything queued (at most kMaxGroupSize changes), runs
// them in one BEGIN IMMEDIATE ... COMMIT, and hands the group to the callback
// thread, which calls every change's `done` with that change's status while
// the writer runs the next group. With synchronous=FULL the COMMIT returns
// only once the group is on disk, so one fsync covers the group. A failed
// COMMIT fails every change of its group. Two threads, because the writer is
// the one stage of a result that more cores cannot share: the callbacks
// (acknowledgements and next assignments, with their gRPC writes) cost about
// half as much again as the group's SQL, and the writer need not wait for
// them.
//
// A failing change is rolled back alone: the group first runs without
// savepoints (changes rarely fail, and a SAVEPOINT and RELEASE around each
// change cost about as much as a small change itself); if one fails, the
// whole transaction is rolled back and the group runs again with each change
// inside its own SAVEPOINT. So a change may run twice, and must do nothing
// but write the database.
//
// Thread-safety: Enqueue() and Flush() may be called from any thread. `done`
// callbacks run on the callback thread, one at a time, in queue order, after
// their group's COMMIT returned; they may Enqueue() more changes but must not
// block. Flush() from a change or a `done` callback would wait on itself, so
// it returns FAILED_PRECONDITION there instead.
#ifndef GRIDBENCH_COORDINATOR_STORE_STORE_WRITER_H_
#define GRIDBENCH_COORDINATOR_STORE_STORE_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "common/annotated_mutex.h"
#include "coordinator/store/coordinator_store.h"
#include "coordinator/store/sqlite_db.h"

namespace gridbench::coordinator {

class StoreWriter {
 public:
  // One database change; runs on the writer thread inside a transaction,
  // perhaps twice (see above), so it must only write the database.
  using Change = std::function<absl::Status(SqliteDb&)>;
  using Done = std::function<void(absl::Status)>;

  // Bounds the transaction (and the latency of the group's first change).
  static constexpr size_t kMaxGroupSize = 1024;

  using Stats = CoordinatorStore::CommitStats;

  // Takes the write connection and starts both threads.
  explicit StoreWriter(std::unique_ptr<SqliteDb> db);
  // Stop(), if not called yet.
  ~StoreWriter();

  StoreWriter(const StoreWriter&) = delete;
  StoreWriter& operator=(const StoreWriter&) = delete;

  // Runs everything queued, including changes queued by `done` callbacks
  // meanwhile, then stops both threads. Call once, not from a `done`
  // callback; nothing may be queued after it.
  void Stop();

  // Queues `change`; `done` (may be null) gets its status once its group has
  // committed or failed.
  void Enqueue(Change change, Done done);

  // Waits until every change queued before the call has finished (its `done`
  // has run), then returns and forgets the first error since the last Flush()
  // among: failed transactions (BEGIN/COMMIT, or SQLite rolling a group back)
  // and failed changes queued without a `done`. A change that failed alone
  // and whose `done` heard about it is not reported again.
  absl::Status Flush();

  Stats stats() const;

 private:
  struct Item {
    Change change;
    Done done;
  };
  // A group whose transaction has ended, waiting for its `done` callbacks.
  struct CommittedGroup {
    std::vector<Item> items;
    std::vector<absl::Status> statuses;  // One per item.
  };

  void WriteLoop();
  void CallbackLoop();
  // The next group to run, taken from the queue, in a container of an
  // earlier group when one is spare. Empty when stopping with nothing left.
  std::vector<Item> TakeGroup();
  // Calls the group's `done`s, then destroys its changes and statuses
  // (keeping the changes' container's capacity). A Flush() that sees the
  // group finished knows the writer holds nothing of the caller's any more.
  void RunCallbacks(CommittedGroup& group);
  // Runs one group in a transaction; returns each change's status.
  std::vector<absl::Status> CommitGroup(std::vector<Item>& group);
  // BEGIN IMMEDIATE, then each change of `group`, its status in `statuses`.
  // With `isolate` each change runs in its own savepoint, rolled back when
  // the change fails; without, the first failing change ends the run, its
  // effects still in the transaction. Returns an error when the group is
  // lost as a whole (a failed BEGIN or savepoint statement, or SQLite ending
  // the transaction itself).
  absl::Status RunChanges(std::vector<Item>& group, bool isolate,
                          std::vector<absl::Status>& statuses);
  // Records a status that nobody else will hear about for the next Flush().
  void NoteUnreported(const absl::Status& status);

  // Constant after construction; the database is used only by the writer.
  const std::unique_ptr<SqliteDb> db_;

  mutable StdMutex mu_;
  StdCondVar work_queued_;      // Signalled on Enqueue(), after callbacks, at shutdown.
  StdCondVar group_committed_;  // Signalled when the writer hands over a group or ends.
  StdCondVar group_finished_;   // Signalled after each group's callbacks.
  std::vector<Item> queue_ ABSL_GUARDED_BY(mu_);
  std::deque<CommittedGroup> committed_ ABSL_GUARDED_BY(mu_);
  // Emptied containers of finished groups, so groups do not allocate anew.
  std::vector<std::vector<Item>> spare_groups_ ABSL_GUARDED_BY(mu_);
  int64_t enqueued_ ABSL_GUARDED_BY(mu_) = 0;  // Changes ever queued.
  int64_t finished_ ABSL_GUARDED_BY(mu_) = 0;  // ...whose `done` has run.
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool writer_ended_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status unreported_error_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);

  // Last: they start once everything above exists.
  std::thread writer_;
  std::thread callbacks_;
};

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_STORE_STORE_WRITER_H_
