#include "bench/cluster/coordinator_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

extern char** environ;

namespace gridbench::bench {
namespace {

std::string ReadTrimmed(const std::string& path) {
  std::ifstream in(path);
  std::string value;
  in >> value;
  return value;
}

// User+system CPU seconds from a /proc stat file, and the command name in
// its parentheses into `name` when given.
double StatCpuSeconds(const std::string& path, std::string* name) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  const size_t open = line.find('('), close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return 0;
  if (name != nullptr) *name = line.substr(open + 1, close - open - 1);
  // Fields after the parenthesised name; utime and stime are 14 and 15.
  std::vector<std::string> fields = absl::StrSplit(line.substr(close + 2), ' ');
  if (fields.size() < 13) return 0;
  const double ticks = std::stod(fields[11]) + std::stod(fields[12]);
  return ticks / sysconf(_SC_CLK_TCK);
}

}  // namespace

absl::StatusOr<CoordinatorProcess> StartCoordinator(const std::string& binary,
                                                    const std::string& dir,
                                                    const std::string& extra_yaml) {
  CoordinatorProcess process;
  process.data_dir = dir + "/coordinator";
  const std::string config = dir + "/coordinator.yaml";
  std::ofstream(config) << "listen: 127.0.0.1:0\ndata_dir: " << process.data_dir
                        << "\ninsecure: true\nlog: {level: warn}\n"
                        << extra_yaml;
  const std::string log = dir + "/coordinator.log";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> args = {binary, "--config", config};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int rc = posix_spawn(&process.pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return absl::InternalError(absl::StrCat("cannot start ", binary));
  // Poll for the address file with a bounded deadline; the process writes it
  // only once it listens.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    process.address = ReadTrimmed(process.data_dir + "/coordinator.addr");
    if (!process.address.empty()) break;
    int status = 0;
    if (waitpid(process.pid, &status, WNOHANG) == process.pid) {
      return absl::InternalError(absl::StrCat("coordinator exited at start; see ", log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (process.address.empty()) return absl::DeadlineExceededError("coordinator did not listen");
  process.admin_token = ReadTrimmed(process.data_dir + "/admin.token");
  return process;
}

int StopCoordinator(const CoordinatorProcess& process) {
  kill(process.pid, SIGTERM);
  int status = 0;
  waitpid(process.pid, &status, 0);
  return status;
}

double ProcessCpuSeconds(pid_t pid) {
  return StatCpuSeconds(absl::StrCat("/proc/", pid, "/stat"), nullptr);
}

std::map<pid_t, ThreadCpu> ThreadCpuSeconds(pid_t pid) {
  std::map<pid_t, ThreadCpu> threads;
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/task"), error)) {
    pid_t tid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &tid)) continue;
    ThreadCpu thread;
    thread.seconds = StatCpuSeconds(entry.path().string() + "/stat", &thread.name);
    threads[tid] = thread;
  }
  return threads;
}

}  // namespace gridbench::bench
