#include "cli/command_line.h"

#include <algorithm>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gridbench::cli {
namespace {

constexpr char kUsagePayloadUrl[] = "gridbench.cli/usage";

const FlagSpec* FindFlag(const std::vector<FlagSpec>& flags, const std::string& name) {
  for (const FlagSpec& flag : flags) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

// "-o" -> "--output" when a flag has that short name; other args unchanged.
absl::StatusOr<std::string> ExpandShortFlag(const std::string& arg,
                                            const std::vector<FlagSpec>& flags) {
  if (arg.size() == 2 && arg[0] == '-') {
    for (const FlagSpec& flag : flags) {
      if (flag.short_name != 0 && flag.short_name == arg[1]) return "--" + flag.name;
    }
  }
  if (arg.rfind("--", 0) == 0) return arg;
  return UsageError(absl::StrCat("unknown flag ", arg, " (flags are spelled --name)"));
}

// Handles one "--name[=value]" in `arg` (args[i] with a short name
// expanded); may consume args[i + 1].
absl::Status ParseFlag(const std::string& arg, const std::vector<std::string>& args, size_t& i,
                       const std::vector<FlagSpec>& flags, ParsedArgs& out) {
  const size_t eq = arg.find('=');
  const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
  const FlagSpec* spec = FindFlag(flags, name);
  if (spec == nullptr) return UsageError(absl::StrCat("unknown flag --", name));
  if (out.Has(name)) return UsageError(absl::StrCat("--", name, " given more than once"));
  if (spec->value_name.empty()) {
    if (eq != std::string::npos) return UsageError(absl::StrCat("--", name, " takes no value"));
    out.switches.insert(name);
    return absl::OkStatus();
  }
  std::string value;
  if (eq != std::string::npos) {
    value = arg.substr(eq + 1);
  } else if (i + 1 < args.size()) {
    value = args[++i];
  } else {
    return UsageError(absl::StrCat("--", name, " needs a value (", spec->value_name, ")"));
  }
  if (!spec->choices.empty() &&
      std::find(spec->choices.begin(), spec->choices.end(), value) == spec->choices.end()) {
    return UsageError(absl::StrCat("--", name, " must be one of ",
                                   absl::StrJoin(spec->choices, ", "), ", got '", value, "'"));
  }
  out.values[name] = value;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ParsedArgs> ParseArgs(const std::vector<std::string>& args,
                                     const std::vector<FlagSpec>& flags, bool stop_at_positional,
                                     std::vector<std::string>* rest) {
  ParsedArgs out;
  bool flags_ended = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool is_flag = !flags_ended && arg.size() > 1 && arg[0] == '-';
    if (!is_flag) {
      if (stop_at_positional) {
        if (rest != nullptr) rest->assign(args.begin() + i, args.end());
        return out;
      }
      out.positionals.push_back(arg);
    } else if (arg == "--") {
      flags_ended = true;
    } else if (arg == "-h" || arg == "--help") {
      out.help = true;
    } else {
      absl::StatusOr<std::string> flag = ExpandShortFlag(arg, flags);
      if (!flag.ok()) return flag.status();
      if (absl::Status s = ParseFlag(*flag, args, i, flags, out); !s.ok()) return s;
    }
  }
  if (rest != nullptr) rest->clear();
  return out;
}

absl::Status UsageError(const std::string& message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kUsagePayloadUrl, absl::Cord("1"));
  return status;
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsagePayloadUrl).has_value();
}

}  // namespace gridbench::cli
