// Hand-written argument parsing for the gridbench CLI: flags as "--name VALUE",
// "--name=VALUE" or "--switch", "-h"/"--help", and "--" to end the flags.
// Everything here is pure (no I/O) and thread-compatible.
#ifndef GRIDBENCH_CLI_COMMAND_LINE_H_
#define GRIDBENCH_CLI_COMMAND_LINE_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gridbench::cli {

// One flag a command accepts.
struct FlagSpec {
  std::string name;        // Without the dashes: "format".
  std::string value_name;  // "FORMAT"; empty for a switch that takes no value.
  std::string help;
  std::vector<std::string> choices;  // When not empty, the only values allowed.
  char short_name = 0;               // 'o' lets "-o FILE" stand for "--output FILE".
};

struct ParsedArgs {
  std::map<std::string, std::string> values;  // Flags that took a value.
  std::set<std::string> switches;             // Switches that were given.
  std::vector<std::string> positionals;
  bool help = false;  // -h or --help was given.

  bool Has(const std::string& flag) const {
    return switches.count(flag) > 0 || values.count(flag) > 0;
  }
  // The flag's value, or `fallback` when it was not given.
  std::string Value(const std::string& flag, const std::string& fallback = "") const {
    auto it = values.find(flag);
    return it == values.end() ? fallback : it->second;
  }
};

// Parses `args` against `flags`. With `stop_at_positional`, parsing ends at
// the first positional argument, which is left with everything after it in
// `rest` (used for the global flags in front of a command).
// Errors are usage errors (see UsageError): an unknown flag, a flag given
// twice, a missing value, a value for a switch, or a value not in `choices`.
absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                                     const std::vector<FlagSpec>& flags,
                                     bool stop_at_positional = false,
                                     std::vector<std::string>* rest = nullptr);

// An INVALID_ARGUMENT marked as a command-line mistake, so the CLI exits with
// the usage code and shows the command's usage.
absl::Status UsageError(const std::string& message);
bool IsUsageError(const absl::Status& status);

}  // namespace gridbench::cli

#endif  // GRIDBENCH_CLI_COMMAND_LINE_H_
