// The store writer's CPU per result as the coordinator configures it, beside
// variants it rejected, in one run:
//   - random task and attempt ids (see coordinator/store/row_ids.h);
//   - a 64 MiB page cache (see kWriterCacheKiB in coordinator/store/sqlite_db.cc);
//   - the index results_by_task, dropped by schema version 4 (schema.cc).
//
// Per result it writes what the coordinator writes: the task running with a
// new attempt, the result, the task and attempt succeeded; `group` results
// share a BEGIN IMMEDIATE ... COMMIT (synchronous=FULL, a real file), as
// under group commit. Prints microseconds per result for each, and each
// variant's cost as a multiple of the coordinator's. It also decodes each
// result's payload, which the coordinator does on a gRPC thread, so every
// column is a little above the writer's own cost; the ratios are like for
// like.
//
//   writer_sql_bench [--results=20000] [--reps=3] [--dir=/tmp]
#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/coordinator/database_files.h"
#include "bench/exit_on_error.h"
#include "bench/thread_cpu_time.h"
#include "common/crypto.h"
#include "coordinator/store/coordinator_store.h"
#include "coordinator/store/row_ids.h"
#include "coordinator/store/schema.h"
#include "coordinator/store/sqlite_db.h"
#include "coordinator/store/store_changes.h"

ABSL_FLAG(int, results, 20000, "results per measurement");
ABSL_FLAG(int, reps, 3, "measurements of each group size");
ABSL_FLAG(std::string, dir, "/tmp", "where the scratch database goes");

namespace gridbench::coordinator {
namespace {

using bench::DieUnlessOk;

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

struct Layout {
  bool time_ordered = true;
  int cache_kib = 0;  // 0: the cache SqliteDb::Open sets.
  bool results_by_task = false;
};

struct Variant {
  const char* name;
  Layout layout;
};

constexpr Variant kRejected[] = {
    {"random ids", {.time_ordered = false}},
    {"64MiB cache", {.cache_kib = 64 * 1024}},
    {"by_task index", {.results_by_task = true}},
};

// As in bench/cluster/result_load: jobs of this many tasks, so results of
// the running job go in the middle of the results_by_job index, not only at
// its end (job ids are random).
constexpr int kTasksPerJob = 5000;
// Tasks running at once, one per worker session, as in result_load.
constexpr int kWorkers = 1000;

// The spec result_load submits.
gridbench::v1::TaskSpec GemmSpec(int i) {
  gridbench::v1::TaskSpec spec;
  spec.set_name(absl::StrCat("t", i));
  spec.set_kind("gemm");
  auto& fields = *spec.mutable_params()->mutable_fields();
  for (const char* dim : {"m", "n", "k"}) fields[dim].set_number_value(1);
  return spec;
}

// Stores jobs with `count` tasks in all, the way SubmitJob does.
std::vector<TaskRecord> SubmitJobs(SqliteDb& db, int count, bool time_ordered) {
  std::vector<TaskRecord> tasks(count);
  DieUnlessOk(db.Exec("begin", "BEGIN"), "begin");
  for (int first = 0; first < count; first += kTasksPerJob) {
    gridbench::v1::Job job;
    job.set_job_id(RandomRowId("j-"));
    const int end = std::min(first + kTasksPerJob, count);
    for (int i = first; i < end; ++i) {
      tasks[i].task.set_task_id(NewId("t-", time_ordered));
      tasks[i].task.set_job_id(job.job_id());
      *tasks[i].task.mutable_spec() = GemmSpec(i);
      tasks[i].seq = i;
    }
    DieUnlessOk(WriteNewJob(db, job, {tasks.begin() + first, tasks.begin() + end}), "job");
  }
  DieUnlessOk(db.Exec("commit", "COMMIT"), "commit");
  return tasks;
}

// The task running on `worker_id` with a new attempt.
TaskUpdate Assignment(const TaskRecord& task, const std::string& worker_id, bool time_ordered) {
  TaskUpdate update;
  update.task_id = task.task.task_id();
  update.state = gridbench::v1::TASK_STATE_RUNNING;
  update.attempts_made = 1;
  gridbench::v1::Attempt& attempt = update.latest_attempt.emplace();
  attempt.set_attempt_id(NewId("a-", time_ordered));
  attempt.set_worker_id(worker_id);
  attempt.set_lease_id(RandomRowId("l-"));
  attempt.set_state(gridbench::v1::ATTEMPT_STATE_RUNNING);
  attempt.set_started_unix_nanos(absl::GetCurrentTimeNanos());
  return update;
}

// Writer CPU microseconds per result for `results` results in groups of `group`.
double MicrosPerResult(const std::string& path, Layout layout, int group, int results) {
  const bool time_ordered = layout.time_ordered;
  bench::RemoveDatabaseFiles(path);
  auto opened = SqliteDb::Open(path, SqliteDb::Mode::kReadWrite);
  DieUnlessOk(opened.status(), "open");
  SqliteDb& db = **opened;
  if (layout.cache_kib > 0) {
    DieUnlessOk(db.Exec("cache", absl::StrCat("PRAGMA cache_size = -", layout.cache_kib)), "cache");
  }
  DieUnlessOk(ApplyMigrations(db, SchemaMigrations()).status(), "migrate");
  if (layout.results_by_task) {
    DieUnlessOk(db.Exec("index", "CREATE INDEX results_by_task ON results(task_id)"), "index");
  }
  gridbench::v1::Worker worker;
  worker.set_worker_id(RandomRowId("w-"));
  DieUnlessOk(WriteWorker(db, worker), "worker");
  const std::vector<TaskRecord> tasks = SubmitJobs(db, results, time_ordered);

  // Workers finish in any order: each result is for a random one of the
  // kWorkers running tasks, and its worker then gets the next queued task.
  std::mt19937 rng(1);
  std::vector<std::pair<int, TaskUpdate>> running;  // Task index, its update.
  int next = 0;
  const double start = bench::CallingThreadCpuSeconds();
  for (int done = 0; done < results;) {
    DieUnlessOk(db.Exec("begin", "BEGIN IMMEDIATE"), "begin");
    for (int i = 0; i < group && done < results; ++i, ++done) {
      while (running.size() < kWorkers && next < results) {
        running.emplace_back(next, Assignment(tasks[next], worker.worker_id(), time_ordered));
        DieUnlessOk(WriteTaskUpdate(db, running.back().second), "assign");
        ++next;
      }
      std::swap(running[rng() % running.size()], running.back());
      auto [task, update] = std::move(running.back());
      running.pop_back();
      gridbench::v1::Attempt& attempt = *update.latest_attempt;
      const std::string& job_id = tasks[task].task.job_id();
      DieUnlessOk(WriteNewResult(db, Result(job_id, attempt, update.task_id), 1), "result");
      update.state = gridbench::v1::TASK_STATE_SUCCEEDED;
      update.progress = 1;
      attempt.set_state(gridbench::v1::ATTEMPT_STATE_SUCCEEDED);
      attempt.set_finished_unix_nanos(absl::GetCurrentTimeNanos());
      DieUnlessOk(WriteTaskUpdate(db, update), "finish");
    }
    DieUnlessOk(db.Exec("commit", "COMMIT"), "commit");
  }
  return (bench::CallingThreadCpuSeconds() - start) * 1e6 / results;
}

int Main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int results = absl::GetFlag(FLAGS_results), reps = absl::GetFlag(FLAGS_reps);
  const std::string dir = absl::GetFlag(FLAGS_dir);
  if (results <= 0 || reps <= 0 || dir.empty()) {
    bench::Die("--results and --reps must be positive and --dir not empty");
  }
  DieUnlessOk(InitCrypto(), "initialising libsodium");
  const std::string path = dir + "/writer_sql_bench.db";
  std::printf("%-6s %-4s %10s", "group", "rep", "as run us");
  for (const Variant& variant : kRejected) std::printf(" %14s %5s", variant.name, "x");
  std::printf("\n");
  for (int group : {16, 64}) {
    for (int rep = 1; rep <= reps; ++rep) {
      const double as_run = MicrosPerResult(path, Layout{}, group, results);
      std::printf("%-6d %-4d %10.1f", group, rep, as_run);
      for (const Variant& variant : kRejected) {
        const double us = MicrosPerResult(path, variant.layout, group, results);
        std::printf(" %14.1f %5.2f", us, us / as_run);
      }
      std::printf("\n");
      std::fflush(stdout);
    }
  }
  bench::RemoveDatabaseFiles(path);
  return 0;
}

}  // namespace
}  // namespace gridbench::coordinator

int main(int argc, char** argv) { return gridbench::coordinator::Main(argc, argv); }
