// What every gridbench CLI command is: a name, its usage and flags, and a
// function. Each command group (job_commands.cc, result_commands.cc, ...)
// returns its commands; cli.cc puts them in one table.
#ifndef GRIDBENCH_CLI_COMMAND_H_
#define GRIDBENCH_CLI_COMMAND_H_

#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/command_line.h"

namespace gridbench::cli {

// Process exit codes; docs/CLI.md lists them. Errors map to a code by their
// status code (ExitCodeFor), outcomes that are not errors have their own.
enum class ExitCode : int {
  kOk = 0,
  kOther = 1,               // Any status code not listed below.
  kUsage = 2,               // Bad command line.
  kInvalidArgument = 3,     // INVALID_ARGUMENT, e.g. a job file with mistakes.
  kAuth = 4,                // UNAUTHENTICATED or PERMISSION_DENIED.
  kNotFound = 5,            // NOT_FOUND.
  kUnavailable = 6,         // UNAVAILABLE or DEADLINE_EXCEEDED: try again.
  kFailedPrecondition = 7,  // FAILED_PRECONDITION or ALREADY_EXISTS.
  kJobFailed = 8,           // The job ended failed or cancelled.
  kVerifyFailed = 9,        // A signature did not verify, or there was nothing to verify.
};

ExitCode ExitCodeFor(const absl::Status& status);

// Where and how to reach the coordinator, from the global flags and the
// GRIDBENCH_* environment variables.
struct GlobalOptions {
  std::string coordinator;  // "host:port".
  std::string token;        // Empty when none was given...
  std::string token_file;   // ...then read from here, when set.
  std::string ca_file, cert_file, key_file;
  bool insecure = false;
};

// Everything a command runs with. Output goes to `out`, diagnostics to `err`.
struct CommandContext {
  GlobalOptions global;
  ParsedArgs args;
  std::ostream& out;
  std::ostream& err;
  bool out_is_terminal = false;  // Redraw live views instead of appending lines.
  std::string self_executable;   // Path of the running gridbench binary.
};

struct Command {
  std::string name;       // "submit", or "token create" for a group.
  std::string arguments;  // Positional arguments for the usage line: "JOB.yaml".
  std::string summary;    // One line for `gridbench help`.
  std::string details;    // More text for `gridbench COMMAND --help`; may be empty.
  std::vector<FlagSpec> flags;
  size_t min_positionals = 0;
  size_t max_positionals = 0;
  // Returns the exit code for outcomes that are not errors (0, kJobFailed,
  // kVerifyFailed); errors come back as a status.
  std::function<absl::StatusOr<ExitCode>(CommandContext&)> run;
};

// The command groups, one per file.
std::vector<Command> JobCommands();
std::vector<Command> ResultCommands();
std::vector<Command> AdminCommands();
std::vector<Command> DemoCommands();
std::vector<Command> ModelCommands();
std::vector<Command> ArtifactCommands();

}  // namespace gridbench::cli

#endif  // GRIDBENCH_CLI_COMMAND_H_
