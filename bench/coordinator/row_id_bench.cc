// The store writer's CPU per result with random and with time-ordered task
// and attempt ids, side by side in one run (see coordinator/store/row_ids.h).
//
// Per result it writes what the coordinator writes: the task running with a
// new attempt, the result, the task and attempt succeeded; `group` results
// share a BEGIN IMMEDIATE ... COMMIT (synchronous=FULL, a real file), as
// under group commit. Prints each pair and the ratio time-ordered / random.
//
//   row_id_bench [--results=20000] [--reps=3] [--dir=/tmp]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "bench/thread_cpu_time.h"
#include "common/crypto.h"
#include "coordinator/store/coordinator_store.h"
#include "coordinator/store/row_ids.h"
#include "coordinator/store/schema.h"
#include "coordinator/store/sqlite_db.h"
#include "coordinator/store/store_changes.h"

namespace gridbench::coordinator {
namespace {

void DieUnlessOk(const absl::Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "row_id_bench: %s: %s\n", what, std::string(status.ToString()).c_str());
  std::exit(2);
}

std::string NewId(const char* prefix, bool time_ordered) {
  return time_ordered ? TimeOrderedRowId(prefix, absl::GetCurrentTimeNanos()) : RandomRowId(prefix);
}

gridbench::v1::StoredResult Result(const std::string& job_id, const gridbench::v1::Attempt& a,
                                   const std::string& task_id) {
  gridbench::v1::ResultPayload payload;
  payload.set_kind("gemm");
  for (int i = 0; i < 10; ++i) payload.add_samples_seconds(1e-3);
  gridbench::v1::StoredResult result;
  gridbench::v1::SignedResult& signed_result = *result.mutable_signed_();
  signed_result.set_worker_id(a.worker_id());
  signed_result.set_task_id(task_id);
  signed_result.set_attempt_id(a.attempt_id());
  signed_result.set_lease_id(a.lease_id());
  signed_result.set_payload(payload.SerializeAsString());
  signed_result.set_signature(std::string(64, '\x07'));
  result.set_job_id(job_id);
  return result;
}

// Writer CPU microseconds per result for `results` results in groups of `group`.
double MicrosPerResult(const std::string& path, bool time_ordered, int group, int results) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  auto opened = SqliteDb::Open(path, SqliteDb::Mode::kReadWrite);
  DieUnlessOk(opened.status(), "open");
  SqliteDb& db = **opened;
  DieUnlessOk(ApplyMigrations(db, SchemaMigrations()).status(), "migrate");
  gridbench::v1::Worker worker;
  worker.set_worker_id(RandomRowId("w-"));
  DieUnlessOk(WriteWorker(db, worker), "worker");
  gridbench::v1::Job job;
  job.set_job_id(RandomRowId("j-"));
  std::vector<TaskRecord> tasks(results);
  for (int i = 0; i < results; ++i) {
    tasks[i].task.set_task_id(NewId("t-", time_ordered));
    tasks[i].task.set_job_id(job.job_id());
    tasks[i].seq = i;
  }
  DieUnlessOk(db.Exec("begin", "BEGIN"), "begin");
  DieUnlessOk(WriteNewJob(db, job, tasks), "job");
  DieUnlessOk(db.Exec("commit", "COMMIT"), "commit");

  const double start = bench::CallingThreadCpuSeconds();
  for (int first = 0; first < results; first += group) {
    DieUnlessOk(db.Exec("begin", "BEGIN IMMEDIATE"), "begin");
    for (int i = first; i < std::min(first + group, results); ++i) {
      TaskUpdate update;
      update.task_id = tasks[i].task.task_id();
      update.state = gridbench::v1::TASK_STATE_RUNNING;
      update.attempts_made = 1;
      gridbench::v1::Attempt& attempt = update.latest_attempt.emplace();
      attempt.set_attempt_id(NewId("a-", time_ordered));
      attempt.set_worker_id(worker.worker_id());
      attempt.set_lease_id(RandomRowId("l-"));
      attempt.set_state(gridbench::v1::ATTEMPT_STATE_RUNNING);
      DieUnlessOk(WriteTaskUpdate(db, update), "assign");
      DieUnlessOk(WriteNewResult(db, Result(job.job_id(), attempt, update.task_id), 1), "result");
      update.state = gridbench::v1::TASK_STATE_SUCCEEDED;
      attempt.set_state(gridbench::v1::ATTEMPT_STATE_SUCCEEDED);
      DieUnlessOk(WriteTaskUpdate(db, update), "finish");
    }
    DieUnlessOk(db.Exec("commit", "COMMIT"), "commit");
  }
  return (bench::CallingThreadCpuSeconds() - start) * 1e6 / results;
}

int Main(int argc, char** argv) {
  int results = 20000, reps = 3;
  std::string dir = "/tmp";
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    bool ok = false;
    if (absl::ConsumePrefix(&arg, "--results=")) {
      ok = absl::SimpleAtoi(arg, &results) && results > 0;
    } else if (absl::ConsumePrefix(&arg, "--reps=")) {
      ok = absl::SimpleAtoi(arg, &reps) && reps > 0;
    } else if (absl::ConsumePrefix(&arg, "--dir=")) {
      dir = std::string(arg);
      ok = !dir.empty();
    }
    if (!ok) {
      std::fprintf(stderr, "row_id_bench: bad argument %s\n", argv[i]);
      return 2;
    }
  }
  DieUnlessOk(InitCrypto(), "initialising libsodium");
  const std::string path = dir + "/row_id_bench.db";
  std::printf("%-6s %-4s %14s %14s %8s\n", "group", "rep", "random us/res", "ordered us/res",
              "ratio");
  for (int group : {16, 64}) {
    for (int rep = 1; rep <= reps; ++rep) {
      const double random = MicrosPerResult(path, false, group, results);
      const double ordered = MicrosPerResult(path, true, group, results);
      std::printf("%-6d %-4d %14.1f %14.1f %8.2f\n", group, rep, random, ordered, ordered / random);
    }
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return 0;
}

}  // namespace
}  // namespace gridbench::coordinator

int main(int argc, char** argv) { return gridbench::coordinator::Main(argc, argv); }
