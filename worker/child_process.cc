#include "worker/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace gridbench::worker {
namespace {

// The child's fds are dup2'd from these; keeping them above 9 means no
// source fd is ever its own target, whose close-on-exec flag dup2 would keep.
constexpr int kFirstHighFd = 10;

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

int MoveHigh(int fd) {
  if (fd < 0) return fd;
  const int high = fcntl(fd, F_DUPFD_CLOEXEC, kFirstHighFd);
  close(fd);
  return high;
}

// Owns a set of fds until released, so every early return closes them.
struct FdSet {
  std::vector<int> fds;
  ~FdSet() {
    for (int fd : fds) {
      if (fd >= 0) close(fd);
    }
  }
  int Add(int fd) {
    fds.push_back(fd);
    return fd;
  }
  void Release(int fd) {
    for (int& f : fds) {
      if (f == fd) f = -1;
    }
  }
};

absl::StatusOr<int> MakeInputFile(std::string_view input, FdSet& owned) {
  const int fd = owned.Add(MoveHigh(memfd_create("gridbench-task-input", MFD_CLOEXEC)));
  if (fd < 0) return Errno("memfd_create");
  size_t done = 0;
  while (done < input.size()) {
    const ssize_t n = write(fd, input.data() + done, input.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("writing the task input");
    done += static_cast<size_t>(n);
  }
  if (lseek(fd, 0, SEEK_SET) != 0) return Errno("lseek");
  return fd;
}

std::vector<std::string> ChildEnvironment(const std::map<std::string, std::string>& set_env) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const std::string name(entry.substr(0, entry.find('=')));
    if (!set_env.contains(name)) env.emplace_back(entry);
  }
  for (const auto& [name, value] : set_env) env.push_back(absl::StrCat(name, "=", value));
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

void AppendTail(std::string& tail, std::string_view data) {
  tail.append(data);
  if (tail.size() > kStderrTailBytes) tail.erase(0, tail.size() - kStderrTailBytes);
}

// Reads what is available from a non-blocking fd, at most 1 MiB per call so
// a child that writes without pause cannot keep Wait() from checking its
// deadline. Returns false at EOF or error.
bool ReadAvailable(int fd, std::string& out) {
  char buf[65536];
  for (int reads = 0; reads < 16; ++reads) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
  return true;
}

}  // namespace

ChildProcess::ChildProcess(pid_t pid, int pidfd, int frames_fd, int output_fd, int cancel_fd)
    : pid_(pid),
      pidfd_(pidfd),
      frames_fd_(frames_fd),
      output_fd_(output_fd),
      cancel_fd_(cancel_fd) {}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(const ChildCommand& command,
                                                                  std::string_view input) {
  if (command.argv.empty()) return absl::InvalidArgumentError("no child executable given");
  FdSet owned;
  absl::StatusOr<int> input_fd = MakeInputFile(input, owned);
  if (!input_fd.ok()) return input_fd.status();
  int frames[2], output[2];
  if (pipe2(frames, O_CLOEXEC) != 0) return Errno("pipe2");
  const int frames_r = owned.Add(MoveHigh(frames[0])), frames_w = owned.Add(MoveHigh(frames[1]));
  if (pipe2(output, O_CLOEXEC) != 0) return Errno("pipe2");
  const int output_r = owned.Add(MoveHigh(output[0])), output_w = owned.Add(MoveHigh(output[1]));
  const int cancel_fd = owned.Add(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (frames_r < 0 || frames_w < 0 || output_r < 0 || output_w < 0 || cancel_fd < 0) {
    return Errno("creating the child's pipes");
  }
  fcntl(frames_r, F_SETFL, O_NONBLOCK);
  fcntl(output_r, F_SETFL, O_NONBLOCK);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, *input_fd, 0);
  posix_spawn_file_actions_adddup2(&actions, output_w, 1);
  posix_spawn_file_actions_adddup2(&actions, output_w, 2);
  posix_spawn_file_actions_adddup2(&actions, frames_w, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> argv_strings = command.argv;
  std::vector<std::string> env_strings = ChildEnvironment(command.set_env);
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env_strings);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("cannot start ", command.argv[0], ": ", std::strerror(rc)));
  }
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    absl::Status s = Errno("pidfd_open");
    kill(-pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return s;
  }
  for (int fd : {frames_r, output_r, cancel_fd}) owned.Release(fd);
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, pidfd, frames_r, output_r, cancel_fd));
}

ChildProcess::~ChildProcess() {
  if (!reaped_) {
    KillGroup();
    waitpid(pid_, nullptr, 0);
  }
  for (int fd : {pidfd_, frames_fd_, output_fd_, cancel_fd_}) close(fd);
}

void ChildProcess::KillGroup() { kill(-pid_, SIGKILL); }

void ChildProcess::Cancel() {
  const uint64_t one = 1;
  // Can only fail if the counter would overflow, which needs 2^64 calls.
  (void)!write(cancel_fd_, &one, sizeof(one));
}

absl::StatusOr<ChildExit> ChildProcess::Wait(absl::Time deadline,
                                             const std::function<void(Frame)>& on_frame) {
  ChildExit out;
  FrameDecoder decoder;
  bool frames_open = true, output_open = true, exited = false, killed = false;
  // Returns whether anything was read.
  auto drain = [&]() {
    std::string bytes;
    if (frames_open) frames_open = ReadAvailable(frames_fd_, bytes);
    decoder.Append(bytes);
    while (out.frame_error.empty()) {
      absl::StatusOr<std::optional<Frame>> frame = decoder.Next();
      if (!frame.ok()) out.frame_error = std::string(frame.status().message());
      if (!frame.ok() || !frame->has_value()) break;
      on_frame(std::move(**frame));
    }
    std::string text;
    if (output_open) output_open = ReadAvailable(output_fd_, text);
    AppendTail(out.stderr_tail, text);
    return !bytes.empty() || !text.empty();
  };
  while (!exited) {
    pollfd fds[4] = {{pidfd_, POLLIN, 0},
                     {cancel_fd_, POLLIN, 0},
                     {frames_open ? frames_fd_ : -1, POLLIN, 0},
                     {output_open ? output_fd_ : -1, POLLIN, 0}};
    int timeout_ms = -1;
    if (!killed) {
      const absl::Duration left = deadline - absl::Now();
      timeout_ms =
          left <= absl::ZeroDuration()
              ? 0
              : static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 1 << 30));
    }
    const int n = poll(fds, 4, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("poll on the task child");
    drain();
    if (!killed && (!out.frame_error.empty() || (fds[1].revents & POLLIN) ||
                    (n == 0 && absl::Now() >= deadline))) {
      out.cancelled = (fds[1].revents & POLLIN) != 0;
      out.timed_out = !out.cancelled && out.frame_error.empty();
      KillGroup();
      killed = true;
    }
    exited = (fds[0].revents & POLLIN) != 0;
  }
  while (drain()) {
    // What the child wrote just before it exited.
  }
  if (decoder.HasPartialFrame() && out.frame_error.empty() && !killed) {
    out.frame_error = "the frame stream ended in the middle of a frame";
  }
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  if (WIFEXITED(status)) out.exit_status = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) out.signal = WTERMSIG(status);
  return out;
}

}  // namespace gridbench::worker
