#include "cli/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace gridbench::cli {
namespace {

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exited with status ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return absl::StrCat("killed by signal ", WTERMSIG(status));
  return absl::StrCat("ended with wait status ", status);
}

// In the forked child: only async-signal-safe calls until exec.
[[noreturn]] void ExecChild(pid_t parent, int log_fd, const char* path, char* const argv[]) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) ::_exit(1);  // The parent died before prctl.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);  // The CLI may block signals it waits for.
  ::dup2(log_fd, STDOUT_FILENO);
  ::dup2(log_fd, STDERR_FILENO);
  ::execv(path, argv);
  static const char kMessage[] = "gridbench: exec failed\n";
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
  ::_exit(127);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    const std::string& path, const std::vector<std::string>& args, const std::string& log_path) {
  const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return absl::InternalError(
        absl::StrCat("cannot open log ", log_path, ": ", std::strerror(errno)));
  }
  // Everything the child needs is built before fork: a child of a threaded
  // process may not allocate.
  std::vector<std::string> storage = {path};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) ExecChild(parent, log_fd, path.c_str(), argv.data());
  const int fork_errno = errno;
  ::close(log_fd);
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(fork_errno)));
  // Through syscall(): glibc 2.36's <sys/pidfd.h> lacks extern "C".
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    const int open_errno = errno;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return absl::InternalError(absl::StrCat("pidfd_open: ", std::strerror(open_errno)));
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, pidfd, log_path));
}

ChildProcess::~ChildProcess() {
  Stop(kDestructorGrace).IgnoreError();  // The caller that cared has called Stop already.
  ::close(pidfd_);
}

bool ChildProcess::WaitFor(absl::Duration timeout) {
  if (wait_status_) return true;
  pollfd fd = {pidfd_, POLLIN, 0};
  const int ms = timeout == absl::InfiniteDuration()
                     ? -1
                     : static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(timeout),
                                                          std::numeric_limits<int>::max()));
  int ready;
  do {
    ready = ::poll(&fd, 1, ms);
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, 0) == pid_) wait_status_ = status;
  return wait_status_.has_value();
}

std::optional<std::string> ChildProcess::Ended(absl::Duration wait) {
  if (!WaitFor(wait)) return std::nullopt;
  return DescribeWaitStatus(*wait_status_);
}

absl::Status ChildProcess::Stop(absl::Duration grace) {
  if (!wait_status_) {
    ::kill(pid_, SIGTERM);
    if (!WaitFor(grace)) {
      ::kill(pid_, SIGKILL);
      WaitFor(absl::InfiniteDuration());
    }
  }
  if (WIFEXITED(*wait_status_) && WEXITSTATUS(*wait_status_) == 0) return absl::OkStatus();
  return absl::InternalError(DescribeWaitStatus(*wait_status_));
}

std::string TailOfFile(const std::string& path, int lines) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> all = absl::StrSplit(text.str(), '\n');
  while (!all.empty() && all.back().empty()) all.pop_back();
  const size_t first = all.size() > static_cast<size_t>(lines) ? all.size() - lines : 0;
  std::string tail;
  for (size_t i = first; i < all.size(); ++i) absl::StrAppend(&tail, all[i], "\n");
  return tail;
}

}  // namespace gridbench::cli
