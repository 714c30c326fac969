// submit, watch, jobs, job, cancel.
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cli/command.h"
#include "cli/connection.h"
#include "cli/format.h"
#include "cli/job_watch.h"
#include "common/job_file.h"
#include "common/status_macros.h"

namespace gridbench::cli {
namespace {

using gridbench::v1::Job;

absl::StatusOr<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read job file ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Exit code for a job that has reached `state`.
ExitCode ExitCodeForJob(gridbench::v1::JobState state) {
  return state == gridbench::v1::JOB_STATE_SUCCEEDED ? ExitCode::kOk : ExitCode::kJobFailed;
}

absl::StatusOr<ExitCode> Follow(CommandContext& ctx, Connection& conn, const std::string& job_id) {
  GB_ASSIGN_OR_RETURN(gridbench::v1::JobState state,
                      FollowJob(conn, job_id, ctx.out, ctx.out_is_terminal));
  ctx.err << "job " << job_id << " " << StateName(state) << "\n";
  return ExitCodeForJob(state);
}

absl::StatusOr<ExitCode> Submit(CommandContext& ctx) {
  const std::string& path = ctx.args.positionals[0];
  GB_ASSIGN_OR_RETURN(std::string yaml, ReadTextFile(path));
  // Check locally first: mistakes show without a round trip, with the same
  // messages the coordinator would give.
  GB_ASSIGN_OR_RETURN(gridbench::v1::JobSpec spec, ParseJobFile(yaml, path));
  GB_ASSIGN_OR_RETURN(Connection conn, Connection::Open(ctx.global));
  gridbench::v1::SubmitJobRequest request;
  request.set_job_yaml(yaml);
  request.set_job_file_name(path);
  GB_ASSIGN_OR_RETURN(gridbench::v1::SubmitJobResponse response,
                      conn.Call(&Connection::Stub::SubmitJob, request));
  ctx.out << response.job_id() << "\n";
  ctx.err << "submitted job " << spec.name() << " as " << response.job_id() << " with "
          << response.task_ids_size() << " task(s)\n";
  if (!ctx.args.Has("wait")) return ExitCode::kOk;
  return Follow(ctx, conn, response.job_id());
}

absl::StatusOr<ExitCode> Watch(CommandContext& ctx) {
  GB_ASSIGN_OR_RETURN(Connection conn, Connection::Open(ctx.global));
  return Follow(ctx, conn, ctx.args.positionals[0]);
}

std::string TaskCounts(const Job& job) {
  int done = 0;
  for (const auto& task : job.tasks()) done += task.state() == gridbench::v1::TASK_STATE_SUCCEEDED;
  return absl::StrCat(done, "/", job.tasks_size());
}

absl::StatusOr<ExitCode> ListJobs(CommandContext& ctx) {
  gridbench::v1::ListJobsRequest request;
  if (ctx.args.Has("limit")) {
    uint32_t limit = 0;
    if (!absl::SimpleAtoi(ctx.args.Value("limit"), &limit) || limit == 0) {
      return UsageError(
          absl::StrCat("--limit must be a positive integer, got '", ctx.args.Value("limit"), "'"));
    }
    request.set_limit(limit);
  }
  GB_ASSIGN_OR_RETURN(Connection conn, Connection::Open(ctx.global));
  GB_ASSIGN_OR_RETURN(gridbench::v1::ListJobsResponse response,
                      conn.Call(&Connection::Stub::ListJobs, request));
  Table table({"JOB", "NAME", "STATE", "DONE", "PRIORITY", "CREATED", "SUBMITTER"});
  for (const Job& job : response.jobs()) {
    table.AddRow({job.job_id(), job.spec().name(), StateName(job.state()), TaskCounts(job),
                  absl::StrCat(job.spec().priority()), FormatUnixNanos(job.created_unix_nanos()),
                  job.submitter()});
  }
  table.Print(ctx.out);
  return ExitCode::kOk;
}

// The last attempt's worker, or "-".
std::string LastWorker(const gridbench::v1::Task& task) {
  if (!task.pinned_worker_id().empty()) return task.pinned_worker_id();
  return task.attempts().empty() ? "-" : task.attempts().rbegin()->worker_id();
}

absl::StatusOr<ExitCode> ShowJob(CommandContext& ctx) {
  GB_ASSIGN_OR_RETURN(Connection conn, Connection::Open(ctx.global));
  gridbench::v1::GetJobRequest request;
  request.set_job_id(ctx.args.positionals[0]);
  GB_ASSIGN_OR_RETURN(Job job, conn.Call(&Connection::Stub::GetJob, request));
  std::vector<std::string> labels;
  for (const auto& [key, value] : job.spec().labels()) labels.push_back(key + "=" + value);
  std::sort(labels.begin(), labels.end());
  Table header({"job", job.job_id()});
  header.AddRow({"name", job.spec().name()});
  header.AddRow({"state", StateName(job.state())});
  header.AddRow({"priority", absl::StrCat(job.spec().priority())});
  header.AddRow({"labels", labels.empty() ? "-" : absl::StrJoin(labels, " ")});
  header.AddRow({"created", FormatUnixNanos(job.created_unix_nanos())});
  header.AddRow({"submitter", job.submitter()});
  header.AddRow({"tasks", absl::StrCat(TaskCounts(job), " succeeded")});
  header.Print(ctx.out);
  ctx.out << "\n";
  Table tasks({"TASK", "NAME", "KIND", "PARAMS", "STATE", "ATTEMPTS", "WORKER", "DETAIL"});
  for (const auto& task : job.tasks()) {
    const bool running = task.state() == gridbench::v1::TASK_STATE_RUNNING;
    tasks.AddRow({task.task_id(), task.spec().name(), task.spec().kind(),
                  ParamsSummary(task.spec().kind(), task.spec().params()), StateName(task.state()),
                  absl::StrCat(task.attempts_made()), LastWorker(task),
                  running ? absl::StrCat(static_cast<int>(task.progress() * 100 + 0.5), "%")
                          : task.failure_reason()});
  }
  tasks.Print(ctx.out);
  return ExitCode::kOk;
}

absl::StatusOr<ExitCode> CancelJob(CommandContext& ctx) {
  GB_ASSIGN_OR_RETURN(Connection conn, Connection::Open(ctx.global));
  gridbench::v1::CancelJobRequest request;
  request.set_job_id(ctx.args.positionals[0]);
  GB_ASSIGN_OR_RETURN(Job job, conn.Call(&Connection::Stub::CancelJob, request));
  ctx.out << "job " << job.job_id() << " " << StateName(job.state()) << "\n";
  return ExitCode::kOk;
}

}  // namespace

std::vector<Command> JobCommands() {
  return {
      {"submit",
       "JOB.yaml",
       "Submit a job file; prints the job id",
       "The file is checked locally first (see docs/JOBS.md); every mistake is listed\n"
       "with its line. With --wait, follows the job like `watch` and exits 8 unless it\n"
       "succeeds.",
       {{"wait", "", "Follow the job until it finishes", {}}},
       1,
       1,
       Submit},
      {"watch",
       "JOB",
       "Follow a job's tasks until the job finishes",
       "Prints a line per task state change, or redraws a table when stdout is a\n"
       "terminal. Exits 0 when the job succeeded, 8 when it failed or was cancelled.",
       {},
       1,
       1,
       Watch},
      {"jobs",
       "",
       "List recent jobs",
       "",
       {{"limit", "N", "Show at most N jobs (the coordinator's default: 100)", {}}},
       0,
       0,
       ListJobs},
      {"job", "JOB", "Show one job and its tasks", "", {}, 1, 1, ShowJob},
      {"cancel", "JOB", "Cancel a job's unfinished tasks", "", {}, 1, 1, CancelJob},
  };
}

}  // namespace gridbench::cli
