#include "cli/cli.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/command.h"

namespace gridbench::cli {
namespace {

constexpr char kDefaultCoordinator[] = "127.0.0.1:7070";

const std::vector<FlagSpec>& GlobalFlags() {
  static const auto* flags = new std::vector<FlagSpec>{
      {"coordinator",
       "HOST:PORT",
       "Coordinator address (default: $GRIDBENCH_COORDINATOR, else 127.0.0.1:7070)",
       {}},
      {"token", "TOKEN", "Bearer token (default: $GRIDBENCH_TOKEN)", {}},
      {"token-file",
       "FILE",
       "Read the bearer token from FILE (default: $GRIDBENCH_TOKEN_FILE)",
       {}},
      {"insecure", "", "Plaintext connection (no TLS)", {}},
      {"ca", "FILE", "TLS: CA certificate that signed the coordinator's certificate", {}},
      {"cert", "FILE", "TLS: client certificate, with --key", {}},
      {"key", "FILE", "TLS: client private key, with --cert", {}},
  };
  return *flags;
}

const std::vector<Command>& AllCommands() {
  static const auto* commands = [] {
    auto* all = new std::vector<Command>();
    for (auto group : {JobCommands, ResultCommands, AdminCommands, ArtifactCommands, ModelCommands,
                       DemoCommands}) {
      for (Command& c : group()) all->push_back(std::move(c));
    }
    return all;
  }();
  return *commands;
}

std::string UsageLine(const Command& c) {
  return absl::StrCat("gridbench ", c.name, c.flags.empty() ? "" : " [FLAGS]",
                      c.arguments.empty() ? "" : " ", c.arguments);
}

void PrintFlags(const std::vector<FlagSpec>& flags, std::ostream& out) {
  for (const FlagSpec& f : flags) {
    std::string left = absl::StrCat(
        f.short_name == 0 ? "  " : absl::StrCat("  -", std::string(1, f.short_name), ", "), "--",
        f.name, f.value_name.empty() ? "" : " ", f.value_name);
    left.resize(std::max<size_t>(left.size() + 2, 28), ' ');
    out << left << f.help << "\n";
  }
}

void PrintHelp(std::ostream& out) {
  out << "usage: gridbench [GLOBAL FLAGS] COMMAND [ARGS]\n\nCommands:\n";
  for (const Command& c : AllCommands()) {
    std::string left = absl::StrCat("  ", c.name, c.arguments.empty() ? "" : " ", c.arguments);
    left.resize(std::max<size_t>(left.size() + 2, 28), ' ');
    out << left << c.summary << "\n";
  }
  out << "\nGlobal flags (before or after the command):\n";
  PrintFlags(GlobalFlags(), out);
  out << "\nExit codes: 0 ok, 1 other error, 2 usage, 3 invalid argument, 4 not authenticated\n"
         "or not allowed, 5 not found, 6 coordinator unavailable, 7 failed precondition,\n"
         "8 job failed or cancelled, 9 signature check failed.\n"
         "Run 'gridbench COMMAND --help' for a command's flags.\n";
}

void PrintCommandHelp(const Command& c, std::ostream& out) {
  out << "usage: " << UsageLine(c) << "\n\n" << c.summary << ".\n";
  if (!c.details.empty()) out << c.details << "\n";
  if (!c.flags.empty()) {
    out << "\nFlags:\n";
    PrintFlags(c.flags, out);
  }
  out << "\nGlobal flags: see 'gridbench help'.\n";
}

// Finds the command named by the first one or two words of `words`, and
// removes those words.
const Command* FindCommand(std::vector<std::string>& words) {
  for (size_t n : {2, 1}) {
    if (words.size() < n) continue;
    const std::string name = absl::StrJoin(words.begin(), words.begin() + n, " ");
    for (const Command& c : AllCommands()) {
      if (c.name == name) {
        words.erase(words.begin(), words.begin() + n);
        return &c;
      }
    }
  }
  return nullptr;
}

// The commands whose first word is `group` ("token" -> "token create", ...).
std::vector<std::string> GroupMembers(const std::string& group) {
  std::vector<std::string> names;
  for (const Command& c : AllCommands()) {
    if (c.name.rfind(group + " ", 0) == 0) names.push_back(c.name);
  }
  return names;
}

absl::StatusOr<GlobalOptions> ResolveGlobals(const ParsedArgs& flags, const CliEnvironment& env) {
  GlobalOptions g;
  auto from_env = [&](const char* name) { return env.getenv(name).value_or(""); };
  g.coordinator = flags.Value("coordinator", from_env("GRIDBENCH_COORDINATOR"));
  if (g.coordinator.empty()) g.coordinator = kDefaultCoordinator;
  if (flags.Has("token") && flags.Has("token-file")) {
    return UsageError("--token and --token-file exclude each other");
  }
  if (flags.Has("token") || flags.Has("token-file")) {
    g.token = flags.Value("token");
    g.token_file = flags.Value("token-file");
  } else {
    g.token = from_env("GRIDBENCH_TOKEN");
    g.token_file = from_env("GRIDBENCH_TOKEN_FILE");
  }
  g.insecure = flags.Has("insecure");
  g.ca_file = flags.Value("ca");
  g.cert_file = flags.Value("cert");
  g.key_file = flags.Value("key");
  if (g.insecure && !g.ca_file.empty()) return UsageError("--insecure and --ca exclude each other");
  if (g.cert_file.empty() != g.key_file.empty()) {
    return UsageError("--cert and --key must be given together");
  }
  return g;
}

// Parses the command's own arguments (global flags may follow the command
// too) into `ctx`.
absl::Status ParseCommandArgs(const Command& command, const std::vector<std::string>& words,
                              ParsedArgs& globals, CommandContext& ctx) {
  std::vector<FlagSpec> flags = command.flags;
  flags.insert(flags.end(), GlobalFlags().begin(), GlobalFlags().end());
  absl::StatusOr<ParsedArgs> args = ParseArgs(words, flags);
  if (!args.ok()) return args.status();
  for (const FlagSpec& g : GlobalFlags()) {
    if (!args->Has(g.name)) continue;
    if (globals.Has(g.name)) return UsageError(absl::StrCat("--", g.name, " given more than once"));
    if (args->switches.erase(g.name)) globals.switches.insert(g.name);
    if (auto it = args->values.find(g.name); it != args->values.end()) {
      globals.values[g.name] = it->second;
      args->values.erase(it);
    }
  }
  ctx.args = std::move(*args);
  if (ctx.args.help) return absl::OkStatus();
  const size_t n = ctx.args.positionals.size();
  if (n < command.min_positionals || n > command.max_positionals) {
    return UsageError(command.arguments.empty()
                          ? absl::StrCat(command.name, " takes no arguments")
                          : absl::StrCat(command.name, " expects ", command.arguments));
  }
  return absl::OkStatus();
}

ExitCode RunCommand(const Command& command, std::vector<std::string> words, ParsedArgs globals,
                    const CliEnvironment& env, std::ostream& out, std::ostream& err) {
  CommandContext ctx{GlobalOptions(),     ParsedArgs(),       out, err,
                     env.out_is_terminal, env.self_executable};
  absl::Status status = ParseCommandArgs(command, words, globals, ctx);
  if (status.ok() && ctx.args.help) {
    PrintCommandHelp(command, out);
    return ExitCode::kOk;
  }
  if (status.ok()) {
    absl::StatusOr<GlobalOptions> resolved = ResolveGlobals(globals, env);
    status = resolved.status();
    if (resolved.ok()) ctx.global = *std::move(resolved);
  }
  if (status.ok()) {
    absl::StatusOr<ExitCode> result = command.run(ctx);
    if (result.ok()) return *result;
    status = result.status();
  }
  if (IsUsageError(status)) {
    err << "gridbench " << command.name << ": " << status.message()
        << "\nusage: " << UsageLine(command) << "\nrun 'gridbench " << command.name
        << " --help' for details\n";
    return ExitCode::kUsage;
  }
  err << "gridbench " << command.name << ": " << absl::StatusCodeToString(status.code()) << ": "
      << status.message() << "\n";
  return ExitCodeFor(status);
}

}  // namespace

ExitCode ExitCodeFor(const absl::Status& status) {
  if (IsUsageError(status)) return ExitCode::kUsage;
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return ExitCode::kOk;
    case absl::StatusCode::kInvalidArgument:
      return ExitCode::kInvalidArgument;
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return ExitCode::kAuth;
    case absl::StatusCode::kNotFound:
      return ExitCode::kNotFound;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return ExitCode::kUnavailable;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
      return ExitCode::kFailedPrecondition;
    default:
      return ExitCode::kOther;
  }
}

int RunCli(const std::vector<std::string>& args, const CliEnvironment& env, std::ostream& out,
           std::ostream& err) {
  std::vector<std::string> words;
  absl::StatusOr<ParsedArgs> globals = ParseArgs(args, GlobalFlags(), true, &words);
  if (!globals.ok()) {
    err << "gridbench: " << globals.status().message() << "\nrun 'gridbench help' for usage\n";
    return static_cast<int>(ExitCode::kUsage);
  }
  if (globals->help || (!words.empty() && words[0] == "help" && words.size() == 1)) {
    PrintHelp(out);
    return 0;
  }
  if (words.empty()) {
    PrintHelp(err);
    return static_cast<int>(ExitCode::kUsage);
  }
  const bool help_for = words[0] == "help";
  if (help_for) words.erase(words.begin());
  const std::string first_word = words[0];
  const Command* command = FindCommand(words);
  if (command == nullptr) {
    const std::vector<std::string> members = GroupMembers(first_word);
    err << "gridbench: "
        << (members.empty() ? absl::StrCat("unknown command '", first_word, "'")
                            : absl::StrCat("'", first_word,
                                           "' needs a subcommand: ", absl::StrJoin(members, ", ")))
        << "\nrun 'gridbench help' for the list of commands\n";
    return static_cast<int>(ExitCode::kUsage);
  }
  if (help_for) {
    PrintCommandHelp(*command, out);
    return 0;
  }
  return static_cast<int>(
      RunCommand(*command, std::move(words), *std::move(globals), env, out, err));
}

}  // namespace gridbench::cli
