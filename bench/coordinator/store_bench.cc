// Committed results per second through CoordinatorStore::InsertResult with N
// producer threads, each keeping at most W results unacknowledged (W=1: it
// waits for each result's `done` before sending the next, as a worker session
// waits for its ack), against the baseline of one transaction per result.
// Both commit with synchronous=FULL on a real file.
//
//   store_bench [--producers=1,8,64,256] [--window=1] [--results=20000] [--dir=/tmp]
//
// Prints one line per run; "vs_single_txn" is the speed-up over the baseline.
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/coordinator/database_files.h"
#include "bench/exit_on_error.h"
#include "coordinator/store/coordinator_store.h"
#include "coordinator/store/sqlite_db.h"
#include "coordinator/store/store_changes.h"

ABSL_FLAG(std::vector<std::string>, producers, std::vector<std::string>({"1", "8", "64", "256"}),
          "producer thread counts, one run each");
ABSL_FLAG(int, window, 1, "results each producer keeps unacknowledged");
ABSL_FLAG(int, results, 20000, "results per group-commit run");
ABSL_FLAG(std::string, dir, "/tmp", "where the scratch database goes");

namespace gridbench::coordinator {
namespace {

using bench::Die;
using bench::DieUnlessOk;

struct Options {
  std::vector<int> producers;
  int window = 0;
  int results = 0;
  std::string dir;
};

Options ParseOptions(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  Options options{
      {}, absl::GetFlag(FLAGS_window), absl::GetFlag(FLAGS_results), absl::GetFlag(FLAGS_dir)};
  for (const std::string& part : absl::GetFlag(FLAGS_producers)) {
    int n = 0;
    if (!absl::SimpleAtoi(part, &n) || n <= 0) Die("bad --producers value: " + part);
    options.producers.push_back(n);
  }
  if (options.producers.empty()) Die("--producers names no thread count");
  if (options.results <= 0) Die("--results must be positive");
  if (options.window <= 0) Die("--window must be positive");
  return options;
}

// A result of realistic size: 100 samples and a summary.
gridbench::v1::StoredResult MakeResult(int i) {
  gridbench::v1::ResultPayload payload;
  payload.set_kind("gemm");
  for (int s = 0; s < 100; ++s) payload.add_samples_seconds(1e-3 * (1 + s % 7));
  payload.mutable_summary()->set_count(100);
  payload.mutable_summary()->set_median(3e-3);
  (*payload.mutable_metrics())["gflops_median"] = 123.4;
  payload.set_checksum("0123456789abcdef");
  gridbench::v1::StoredResult result;
  auto& signed_result = *result.mutable_signed_();
  signed_result.set_worker_id("w1");
  signed_result.set_task_id("t1");
  signed_result.set_attempt_id("a" + std::to_string(i));
  signed_result.set_lease_id("l" + std::to_string(i));
  signed_result.set_sequence(i);
  signed_result.set_payload(payload.SerializeAsString());
  signed_result.set_signature(std::string(64, 's'));
  signed_result.set_key_id("k1");
  result.set_job_id("j1");
  return result;
}

// A fresh database with one worker, job and task and `n` attempts a0..a(n-1).
std::unique_ptr<CoordinatorStore> SeededStore(const std::string& path, int n) {
  bench::RemoveDatabaseFiles(path);
  auto store = CoordinatorStore::Open(path);
  DieUnlessOk(store.status(), "opening " + path);
  gridbench::v1::Worker worker;
  worker.set_worker_id("w1");
  (*store)->UpsertWorker(worker);
  gridbench::v1::Job job;
  job.set_job_id("j1");
  TaskRecord task;
  task.task.set_task_id("t1");
  task.task.set_job_id("j1");
  (*store)->InsertJob(job, {task});
  for (int i = 0; i < n; ++i) {
    gridbench::v1::Attempt attempt;
    attempt.set_attempt_id("a" + std::to_string(i));
    (*store)->UpsertAttempt("t1", attempt);
  }
  DieUnlessOk((*store)->Flush(), "seeding " + path);
  return *std::move(store);
}

// One BEGIN/COMMIT (one fsync) per result on the writer's kind of connection.
double SingleTransactionRate(const std::string& path, int n) {
  SeededStore(path, n).reset();
  auto db = SqliteDb::Open(path, SqliteDb::Mode::kReadWrite);
  DieUnlessOk(db.status(), "opening " + path);
  const absl::Time start = absl::Now();
  for (int i = 0; i < n; ++i) {
    DieUnlessOk((*db)->Exec("bench", "BEGIN IMMEDIATE"), "begin");
    DieUnlessOk(WriteNewResult(**db, MakeResult(i), 1), "insert");
    DieUnlessOk((*db)->Exec("bench", "COMMIT"), "commit");
  }
  return n / absl::ToDoubleSeconds(absl::Now() - start);
}

struct GroupRun {
  double results_per_second;
  double average_group;
};

// One producer's unacknowledged results.
class InFlight {
 public:
  explicit InFlight(int window) : window_(window) {}
  void Acquire() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &InFlight::HasRoom));
    ++count_;
  }
  void Release(const absl::Status& status) {
    absl::MutexLock lock(&mu_);
    if (first_error_.ok()) first_error_ = status;
    --count_;
  }
  // Waits for every result; the first error, if any.
  absl::Status Drain() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &InFlight::Empty));
    return first_error_;
  }

 private:
  bool HasRoom() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return count_ < window_; }
  bool Empty() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return count_ == 0; }

  const int window_;
  absl::Mutex mu_;
  int count_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
};

GroupRun GroupCommitRate(const std::string& path, int producers, int window, int n) {
  auto store = SeededStore(path, n);
  std::vector<gridbench::v1::StoredResult> results;
  results.reserve(n);
  for (int i = 0; i < n; ++i) results.push_back(MakeResult(i));
  const CoordinatorStore::CommitStats before = store->commit_stats();
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      InFlight in_flight(window);
      for (int i = p; i < n; i += producers) {
        in_flight.Acquire();
        store->InsertResult(results[i], [&](absl::Status s) { in_flight.Release(s); });
      }
      DieUnlessOk(in_flight.Drain(), "producer " + std::to_string(p));
    });
  }
  for (std::thread& thread : threads) thread.join();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const CoordinatorStore::CommitStats after = store->commit_stats();
  return {n / seconds, static_cast<double>(after.changes - before.changes) /
                           static_cast<double>(after.groups - before.groups)};
}

int Main(int argc, char** argv) {
  const Options options = ParseOptions(argc, argv);
  const std::string path = options.dir + "/gridbench_store_bench.db";
  // The baseline is ~100x slower; a tenth of the results measures it well.
  const int single_n = std::max(1, options.results / 10);
  const double single = SingleTransactionRate(path, single_n);
  std::printf("mode=single_txn results=%d results_per_s=%.0f\n", single_n, single);
  for (const int producers : options.producers) {
    const GroupRun run = GroupCommitRate(path, producers, options.window, options.results);
    std::printf(
        "mode=group_commit producers=%d window=%d results=%d results_per_s=%.0f avg_group=%.1f "
        "vs_single_txn=%.1fx\n",
        producers, options.window, options.results, run.results_per_second, run.average_group,
        run.results_per_second / single);
    std::fflush(stdout);
  }
  bench::RemoveDatabaseFiles(path);
  return 0;
}

}  // namespace
}  // namespace gridbench::coordinator

int main(int argc, char** argv) { return gridbench::coordinator::Main(argc, argv); }
