// workers, token create, token revoke, worker revoke, worker drain.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cli/command.h"
#include "cli/connection.h"
#include "cli/format.h"
#include "common/job_file.h"
#include "common/status_macros.h"

namespace gridbench::cli {
namespace {

using gridbench::v1::Worker;

std::string CpuSummary(const gridbench::v1::HardwareProfile& hw) {
  if (hw.cpu_model().empty() && hw.cores() == 0) return "-";
  return absl::StrCat(hw.cores(), "c/", hw.threads(), "t ", hw.cpu_model());
}

absl::StatusOr<ExitCode> ListWorkers(CommandContext& ctx) {
  GB_ASSIGN_OR_RETURN(Connection conn, Connection::Open(ctx.global));
  GB_ASSIGN_OR_RETURN(
      gridbench::v1::ListWorkersResponse response,
      conn.Call(&Connection::Stub::ListWorkers, gridbench::v1::ListWorkersRequest()));
  const int64_t now = absl::GetCurrentTimeNanos();
  Table table({"WORKER", "NAME", "STATE", "CPU", "BACKENDS", "LABELS", "LAST SEEN", "RUNNING"});
  for (const Worker& w : response.workers()) {
    std::vector<std::string> labels;
    for (const auto& [key, value] : w.labels()) labels.push_back(key + "=" + value);
    std::sort(labels.begin(), labels.end());
    table.AddRow(
        {w.worker_id(), w.name(), StateName(w.state()), CpuSummary(w.hardware()),
         w.hardware().backends().empty() ? "-" : absl::StrJoin(w.hardware().backends(), ","),
         labels.empty() ? "-" : absl::StrJoin(labels, ","),
         FormatAge(w.last_seen_unix_nanos(), now),
         w.running_task_id().empty() ? "-" : w.running_task_id()});
  }
  table.Print(ctx.out);
  return ExitCode::kOk;
}

gridbench::v1::Role RoleNamed(const std::string& name) {
  if (name == "admin") return gridbench::v1::ROLE_ADMIN;
  if (name == "submitter") return gridbench::v1::ROLE_SUBMITTER;
  if (name == "viewer") return gridbench::v1::ROLE_VIEWER;
  return gridbench::v1::ROLE_WORKER;  // The flag's choices leave only "worker".
}

absl::StatusOr<ExitCode> CreateToken(CommandContext& ctx) {
  if (!ctx.args.Has("role")) return UsageError("--role is required");
  gridbench::v1::CreateTokenRequest request;
  request.set_role(RoleNamed(ctx.args.Value("role")));
  if (ctx.args.Has("ttl")) {
    absl::StatusOr<double> ttl = ParseDurationSeconds(ctx.args.Value("ttl"));
    if (!ttl.ok() || *ttl <= 0) {
      return UsageError(absl::StrCat("--ttl must be a positive duration such as 24h, got '",
                                     ctx.args.Value("ttl"), "'"));
    }
    request.set_ttl_seconds(*ttl);
  }
  if (ctx.args.Has("one-time")) {
    if (request.role() != gridbench::v1::ROLE_WORKER) {
      return UsageError("--one-time is only for --role worker (join tokens)");
    }
    request.set_one_time(true);
  }
  request.set_description(ctx.args.Value("description"));
  GB_ASSIGN_OR_RETURN(Connection conn, Connection::Open(ctx.global));
  GB_ASSIGN_OR_RETURN(gridbench::v1::CreateTokenResponse response,
                      conn.Call(&Connection::Stub::CreateToken, request));
  ctx.out << response.token() << "\n";
  ctx.err << "token id " << response.token_id() << ", role " << ctx.args.Value("role")
          << ", expires "
          << (response.expires_unix_nanos()
                  ? FormatUnixNanos(response.expires_unix_nanos()) + " UTC"
                  : "never")
          << ". It is shown only this once.\n";
  return ExitCode::kOk;
}

absl::StatusOr<ExitCode> RevokeToken(CommandContext& ctx) {
  GB_ASSIGN_OR_RETURN(Connection conn, Connection::Open(ctx.global));
  gridbench::v1::RevokeTokenRequest request;
  request.set_token_id(ctx.args.positionals[0]);
  GB_RETURN_IF_ERROR(conn.Call(&Connection::Stub::RevokeToken, request).status());
  ctx.out << "token " << request.token_id() << " revoked\n";
  return ExitCode::kOk;
}

// Runs RevokeWorker or DrainWorker and prints the worker's new state.
absl::StatusOr<ExitCode> ChangeWorker(
    CommandContext& ctx,
    grpc::Status (Connection::Stub::*method)(grpc::ClientContext*,
                                             const gridbench::v1::WorkerRequest&, Worker*)) {
  GB_ASSIGN_OR_RETURN(Connection conn, Connection::Open(ctx.global));
  gridbench::v1::WorkerRequest request;
  request.set_worker_id(ctx.args.positionals[0]);
  GB_ASSIGN_OR_RETURN(Worker worker, conn.Call(method, request));
  ctx.out << "worker " << worker.worker_id() << " (" << worker.name() << ") "
          << StateName(worker.state()) << "\n";
  return ExitCode::kOk;
}

}  // namespace

std::vector<Command> AdminCommands() {
  return {
      {"workers", "", "List workers, their hardware and state", "", {}, 0, 0, ListWorkers},
      {"token create",
       "",
       "Create a bearer token (admin); prints it once",
       "Prints the token alone on stdout, so `TOKEN=$(gridbench token create ...)` works;\n"
       "its id and expiry go to stderr. Worker join tokens use --role worker.",
       {{"role",
         "ROLE",
         "admin, submitter, viewer or worker (required)",
         {"admin", "submitter", "viewer", "worker"}},
        {"ttl", "DURATION", "Expire after this long, e.g. 24h (default: never)", {}},
        {"one-time", "", "The token works once (worker join tokens only)", {}},
        {"description", "TEXT", "Stored with the token, shown in audit logs", {}}},
       0,
       0,
       CreateToken},
      {"token revoke", "TOKEN_ID", "Revoke a token by its id (admin)", "", {}, 1, 1, RevokeToken},
      {"worker revoke",
       "WORKER",
       "Disconnect a worker and refuse its key from now on (admin)",
       "",
       {},
       1,
       1,
       [](CommandContext& ctx) { return ChangeWorker(ctx, &Connection::Stub::RevokeWorker); }},
      {"worker drain",
       "WORKER",
       "Let a worker finish its running task and take no new work (admin)",
       "",
       {},
       1,
       1,
       [](CommandContext& ctx) { return ChangeWorker(ctx, &Connection::Stub::DrainWorker); }},
  };
}

}  // namespace gridbench::cli
