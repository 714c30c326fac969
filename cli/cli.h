// The gridbench command-line interface: global flags, the table of commands,
// help, and exit codes. main.cc only collects the process's environment.
#ifndef GRIDBENCH_CLI_CLI_H_
#define GRIDBENCH_CLI_CLI_H_

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace gridbench::cli {

// What RunCli needs from the process, so tests can supply their own.
struct CliEnvironment {
  // Looks up an environment variable (GRIDBENCH_COORDINATOR, ...).
  std::function<std::optional<std::string>(const std::string&)> getenv;
  bool out_is_terminal = false;
  std::string self_executable;  // Where `demo` looks for the other binaries.
};

// Runs `gridbench ARGS...` (`args` without the program name) and returns the
// process exit code (docs/CLI.md). Output goes to `out`, errors and
// diagnostics to `err`. Never throws; bad arguments print usage and give 2.
int RunCli(const std::vector<std::string>& args, const CliEnvironment& env, std::ostream& out,
           std::ostream& err);

}  // namespace gridbench::cli

#endif  // GRIDBENCH_CLI_CLI_H_
