// The CLI's argument handling, help and exit codes, through RunCli. None of
// these reach a coordinator: each fails before the first call, or talks to a
// port nothing listens on.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "cli/cli.h"
#include "cli/command.h"
#include "cli/command_line.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridbench::cli {
namespace {

using ::testing::HasSubstr;

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

Outcome RunGridbench(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& environment = {}) {
  CliEnvironment env;
  env.getenv = [environment](const std::string& name) -> std::optional<std::string> {
    auto it = environment.find(name);
    if (it == environment.end()) return std::nullopt;
    return it->second;
  };
  std::ostringstream out, err;
  const int code = RunCli(args, env, out, err);
  return {code, out.str(), err.str()};
}

// A local port with nothing listening: bound to port 0, then closed.
int ClosedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST(CommandLineTest, ParsesFlagsSwitchesAndPositionals) {
  const std::vector<FlagSpec> flags = {
      {"format", "FORMAT", "", {"table", "json"}}, {"wait", "", "", {}}, {"dir", "DIR", "", {}}};
  auto parsed = ParseArgs({"a", "--format=json", "--wait", "--dir", "/x", "--", "--b"}, flags);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Value("format"), "json");
  EXPECT_EQ(parsed->Value("dir"), "/x");
  EXPECT_TRUE(parsed->Has("wait"));
  EXPECT_FALSE(parsed->help);
  EXPECT_EQ(parsed->positionals, (std::vector<std::string>{"a", "--b"}));
  EXPECT_TRUE(ParseArgs({"-h"}, flags)->help);
}

TEST(CommandLineTest, ShortNameStandsForItsFlag) {
  const std::vector<FlagSpec> flags = {{"output", "FILE", "", {}, 'o'}};
  auto parsed = ParseArgs({"-o", "model.gguf", "in"}, flags);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->Value("output"), "model.gguf");
  EXPECT_EQ(parsed->positionals, (std::vector<std::string>{"in"}));
  EXPECT_EQ(ParseArgs({"-o", "a", "--output", "b"}, flags).status().message(),
            "--output given more than once");
  EXPECT_EQ(ParseArgs({"-p"}, flags).status().message(),
            "unknown flag -p (flags are spelled --name)");
}

TEST(CommandLineTest, MistakesAreUsageErrors) {
  const std::vector<FlagSpec> flags = {{"format", "FORMAT", "", {"table", "json"}},
                                       {"wait", "", "", {}}};
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--nope"}, "unknown flag --nope"},
      {{"-x"}, "unknown flag -x (flags are spelled --name)"},
      {{"--format"}, "--format needs a value (FORMAT)"},
      {{"--format", "xml"}, "--format must be one of table, json, got 'xml'"},
      {{"--wait=yes"}, "--wait takes no value"},
      {{"--wait", "--wait"}, "--wait given more than once"},
  };
  for (const auto& [args, message] : cases) {
    absl::StatusOr<ParsedArgs> parsed = ParseArgs(args, flags);
    ASSERT_FALSE(parsed.ok()) << message;
    EXPECT_TRUE(IsUsageError(parsed.status()));
    EXPECT_EQ(parsed.status().message(), message);
  }
  EXPECT_FALSE(IsUsageError(absl::InvalidArgumentError("from a server")));
}

TEST(CliTest, HelpListsEveryCommand) {
  Outcome help = RunGridbench({"help"});
  EXPECT_EQ(help.code, 0);
  for (const char* command :
       {"submit JOB.yaml", "watch JOB", "jobs", "job JOB", "cancel JOB", "workers", "results JOB",
        "verify JOB", "token create", "token revoke TOKEN_ID", "worker revoke WORKER",
        "worker drain WORKER", "demo"}) {
    EXPECT_THAT(help.out, HasSubstr(std::string("  ") + command)) << command;
  }
  EXPECT_EQ(RunGridbench({"--help"}).out, help.out);
  Outcome none = RunGridbench({});
  EXPECT_EQ(none.code, 2);
  EXPECT_EQ(none.err, help.out);
}

TEST(CliTest, CommandHelpShowsItsFlags) {
  Outcome help = RunGridbench({"results", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_THAT(help.out, HasSubstr("usage: gridbench results [FLAGS] JOB"));
  EXPECT_THAT(help.out, HasSubstr("--format FORMAT"));
  EXPECT_EQ(RunGridbench({"help", "results"}).out, help.out);
  EXPECT_THAT(RunGridbench({"token", "create", "-h"}).out, HasSubstr("--one-time"));
}

TEST(CliTest, BadCommandLinesExitWithUsageCode) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"bogus"}, "unknown command 'bogus'"},
      {{"token"}, "'token' needs a subcommand: token create, token revoke"},
      {{"worker", "fire", "w1"}, "'worker' needs a subcommand: worker revoke, worker drain"},
      {{"submit"}, "submit expects JOB.yaml"},
      {{"jobs", "extra"}, "jobs takes no arguments"},
      {{"results", "j1", "--format", "xml"}, "--format must be one of table, json, csv"},
      {{"--bogus", "jobs"}, "unknown flag --bogus"},
      {{"jobs"}, "--insecure for plaintext, or --ca FILE for TLS"},
      {{"jobs", "--insecure"}, "no token"},
      {{"--insecure", "--ca", "ca.pem", "jobs"}, "--insecure and --ca exclude each other"},
      {{"--insecure", "jobs", "--insecure"}, "--insecure given more than once"},
      {{"jobs", "--insecure", "--cert", "c.pem"}, "--cert and --key must be given together"},
      {{"jobs", "--insecure", "--token", "t", "--limit", "0"}, "--limit must be a positive"},
      {{"token", "create", "--insecure", "--token", "t"}, "--role is required"},
      {{"token", "create", "--role", "root"}, "--role must be one of admin, submitter"},
      {{"token", "create", "--role", "admin", "--one-time", "--insecure", "--token", "t"},
       "--one-time is only for --role worker"},
      {{"token", "create", "--role", "viewer", "--ttl", "soon", "--insecure", "--token", "t"},
       "--ttl must be a positive duration"},
  };
  for (const auto& [args, message] : cases) {
    Outcome outcome = RunGridbench(args);
    EXPECT_EQ(outcome.code, 2) << message << "\n" << outcome.err;
    EXPECT_THAT(outcome.err, HasSubstr(message));
    EXPECT_EQ(outcome.out, "");
  }
}

TEST(CliTest, JobFileMistakesAreShownBeforeConnecting) {
  const std::string dir = ::testing::TempDir() + "/cli_args_test";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/bad.yaml";
  std::ofstream(path) << "name: j\ntasks:\n  - name: t\n    kind: gemm\n    params: {m: 0}\n";
  // No transport or token given: the file is checked before either matters.
  Outcome bad = RunGridbench({"submit", path});
  EXPECT_EQ(bad.code, 3);
  // Sorted by position: missing params point at the params mapping.
  EXPECT_THAT(bad.err,
              HasSubstr("INVALID_ARGUMENT: " + path + ":5:13: tasks[0].params.n: required"));
  EXPECT_THAT(bad.err, HasSubstr(path + ":5:17: tasks[0].params.m: must be an integer"));
  Outcome missing = RunGridbench({"submit", dir + "/missing.yaml"});
  EXPECT_EQ(missing.code, 5);
  EXPECT_THAT(missing.err, HasSubstr("NOT_FOUND: cannot read job file"));
}

TEST(CliTest, EnvironmentSuppliesCoordinatorAndToken) {
  const std::string coordinator = "127.0.0.1:" + std::to_string(ClosedPort());
  // The token file is read before connecting, so a missing one is NOT_FOUND.
  Outcome no_file =
      RunGridbench({"jobs", "--insecure"}, {{"GRIDBENCH_TOKEN_FILE", "/nonexistent/tok"}});
  EXPECT_EQ(no_file.code, 5) << no_file.err;
  EXPECT_THAT(no_file.err, HasSubstr("cannot read token file /nonexistent/tok"));
  // Nothing listens on the coordinator's port: UNAVAILABLE, exit code 6.
  Outcome down = RunGridbench({"jobs", "--insecure"}, {{"GRIDBENCH_COORDINATOR", coordinator},
                                                       {"GRIDBENCH_TOKEN", "gbt_x"}});
  EXPECT_EQ(down.code, 6) << down.err;
  EXPECT_THAT(down.err, HasSubstr("gridbench jobs: UNAVAILABLE: "));
}

TEST(CliTest, ExitCodesFollowStatusCodes) {
  EXPECT_EQ(ExitCodeFor(absl::OkStatus()), ExitCode::kOk);
  EXPECT_EQ(ExitCodeFor(absl::InvalidArgumentError("")), ExitCode::kInvalidArgument);
  EXPECT_EQ(ExitCodeFor(UsageError("")), ExitCode::kUsage);
  EXPECT_EQ(ExitCodeFor(absl::UnauthenticatedError("")), ExitCode::kAuth);
  EXPECT_EQ(ExitCodeFor(absl::PermissionDeniedError("")), ExitCode::kAuth);
  EXPECT_EQ(ExitCodeFor(absl::NotFoundError("")), ExitCode::kNotFound);
  EXPECT_EQ(ExitCodeFor(absl::UnavailableError("")), ExitCode::kUnavailable);
  EXPECT_EQ(ExitCodeFor(absl::DeadlineExceededError("")), ExitCode::kUnavailable);
  EXPECT_EQ(ExitCodeFor(absl::FailedPreconditionError("")), ExitCode::kFailedPrecondition);
  EXPECT_EQ(ExitCodeFor(absl::InternalError("")), ExitCode::kOther);
}

}  // namespace
}  // namespace gridbench::cli
