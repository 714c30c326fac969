// Runs one child process with a fixed set of pipes, so a crashing kernel or
// driver takes down only the child:
//   fd 0  the input bytes given to Start (a sealed memory file, so the child
//         may read it at its own pace and the parent never blocks on it)
//   fd 1, 2  captured; the last kStderrTailBytes are kept
//   fd 3  frames (worker/child_frames.h) from the child to the parent
// The child runs in its own process group with default signal handling and
// an empty signal mask; the whole group is killed on timeout or Cancel().
#ifndef GRIDBENCH_WORKER_CHILD_PROCESS_H_
#define GRIDBENCH_WORKER_CHILD_PROCESS_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "worker/child_frames.h"

namespace gridbench::worker {

inline constexpr size_t kStderrTailBytes = 4096;

struct ChildCommand {
  std::vector<std::string> argv;               // argv[0] is the executable's path.
  std::map<std::string, std::string> set_env;  // Set in the child's environment.
};

// How the child ended.
struct ChildExit {
  int exit_status = -1;  // The exit code when it exited normally, else -1.
  int signal = 0;        // The signal that killed it, else 0.
  bool timed_out = false;
  bool cancelled = false;
  std::string frame_error;  // Set when its frame stream was malformed.
  std::string stderr_tail;  // Last kStderrTailBytes of its stdout and stderr.
};

// Thread-safety: Wait() must be called once, from one thread; Cancel() may be
// called from any thread at any time.
class ChildProcess {
 public:
  // Starts `command` with `input` on its stdin. INTERNAL when the pipes or
  // the process cannot be created (the message names the executable).
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(const ChildCommand& command,
                                                             std::string_view input);

  // Kills and reaps the child if Wait() did not.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Blocks until the child has exited, passing each frame to `on_frame` as it
  // arrives. At `deadline` the child is killed (timed_out). A malformed frame
  // stream kills it too (frame_error). Only fails if poll() itself does.
  absl::StatusOr<ChildExit> Wait(absl::Time deadline, const std::function<void(Frame)>& on_frame);

  // Kills the child (SIGKILL to its process group); Wait() then returns with
  // `cancelled` set. Harmless after the child has exited.
  void Cancel();

 private:
  ChildProcess(pid_t pid, int pidfd, int frames_fd, int output_fd, int cancel_fd);
  void KillGroup();

  // Constant after construction.
  const pid_t pid_;
  const int pidfd_;      // Becomes readable when the child exits.
  const int frames_fd_;  // Read end of fd 3.
  const int output_fd_;  // Read end of fds 1 and 2.
  const int cancel_fd_;  // eventfd written by Cancel().
  bool reaped_ = false;  // Touched only by Wait() and the destructor.
};

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_CHILD_PROCESS_H_
