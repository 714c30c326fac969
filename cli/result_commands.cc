// results, verify.
#include "absl/strings/str_cat.h"
#include "cli/command.h"
#include "cli/connection.h"
#include "cli/results.h"
#include "common/crypto.h"
#include "common/status_macros.h"

namespace gridbench::cli {
namespace {

absl::StatusOr<ExitCode> ShowResults(CommandContext& ctx) {
  const std::string format = ctx.args.Value("format", "table");
  GB_RETURN_IF_ERROR(InitCrypto());
  GB_ASSIGN_OR_RETURN(Connection conn, Connection::Open(ctx.global));
  GB_ASSIGN_OR_RETURN(JobResults results, FetchJobResults(conn, ctx.args.positionals[0]));
  PrintResults(results,
               format == "json"  ? ResultFormat::kJson
               : format == "csv" ? ResultFormat::kCsv
                                 : ResultFormat::kTable,
               ctx.out);
  return ExitCode::kOk;
}

absl::StatusOr<ExitCode> Verify(CommandContext& ctx) {
  GB_RETURN_IF_ERROR(InitCrypto());
  GB_ASSIGN_OR_RETURN(Connection conn, Connection::Open(ctx.global));
  GB_ASSIGN_OR_RETURN(JobResults results, FetchJobResults(conn, ctx.args.positionals[0]));
  const VerifyReport report = VerifyResults(results, ctx.out);
  if (report.checked == 0) {
    ctx.out << "job " << ctx.args.positionals[0] << " has no results to verify\n";
    return ExitCode::kVerifyFailed;
  }
  ctx.out << report.checked - report.failed << " of " << report.checked
          << " result signatures verified\n";
  return report.failed == 0 ? ExitCode::kOk : ExitCode::kVerifyFailed;
}

}  // namespace

std::vector<Command> ResultCommands() {
  return {
      {"results",
       "JOB",
       "Show a job's results",
       "Columns: task, worker, kind, shape/params, median seconds, GFLOP/s, threads,\n"
       "OpenBLAS core name, and whether the worker's signature verifies locally.",
       {{"format", "FORMAT", "table (default), json or csv", {"table", "json", "csv"}}},
       1,
       1,
       ShowResults},
      {"verify",
       "JOB",
       "Check every result's signature locally",
       "Verifies each stored result's Ed25519 signature over its canonical bytes with\n"
       "the worker public key the coordinator returns with it, and prints each failure.\n"
       "Exits 9 if any fails or the job has no results.",
       {},
       1,
       1,
       Verify},
  };
}

}  // namespace gridbench::cli
