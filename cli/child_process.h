// A child process for `gridbench demo`: started with its stdout and stderr
// appended to a log file, and always stopped and reaped, so no exit path of
// the CLI leaves it running. The child runs in its own process group (a
// terminal's Ctrl-C reaches only the CLI, which then stops it in order) and
// gets SIGTERM from the kernel if the CLI dies first (PR_SET_PDEATHSIG).
// Linux only. Thread-compatible.
#ifndef GRIDBENCH_CLI_CHILD_PROCESS_H_
#define GRIDBENCH_CLI_CHILD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gridbench::cli {

class ChildProcess {
 public:
  // Runs `path` with `args` (without argv[0]). The log file is created or
  // appended to. Errors: the log cannot be opened, fork fails. A program
  // that cannot be executed shows as an exit status of 127 and a line in
  // the log.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(const std::string& path,
                                                             const std::vector<std::string>& args,
                                                             const std::string& log_path);

  // Stops the child as Stop(kDestructorGrace) does, if it still runs.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // How the child ended ("exited with status 1", "killed by signal 9"), or
  // nullopt when it still runs after waiting up to `wait` for it to end.
  std::optional<std::string> Ended(absl::Duration wait = absl::ZeroDuration());

  // Sends SIGTERM and waits up to `grace` for the child to exit, then sends
  // SIGKILL and reaps it. OK when it exited with status 0; INTERNAL naming
  // how it ended otherwise.
  absl::Status Stop(absl::Duration grace);

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }

 private:
  static constexpr absl::Duration kDestructorGrace = absl::Seconds(10);

  ChildProcess(pid_t pid, int pidfd, std::string log_path)
      : pid_(pid), pidfd_(pidfd), log_path_(std::move(log_path)) {}
  // Waits up to `timeout` for the child to exit and reaps it; true if it did.
  bool WaitFor(absl::Duration timeout);

  const pid_t pid_;
  const int pidfd_;  // Becomes readable when the child exits.
  const std::string log_path_;
  std::optional<int> wait_status_;  // Set once reaped.
};

// The last `lines` lines of the file at `path` ("" when it cannot be read).
std::string TailOfFile(const std::string& path, int lines);

}  // namespace gridbench::cli

#endif  // GRIDBENCH_CLI_CHILD_PROCESS_H_
