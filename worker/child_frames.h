// The framing on the pipe from a task child process to the worker agent.
// Each frame is one type byte, a 4-byte big-endian length, then that many
// bytes: a serialized protobuf message whose type the frame type names.
#ifndef GRIDBENCH_WORKER_CHILD_FRAMES_H_
#define GRIDBENCH_WORKER_CHILD_FRAMES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gridbench::worker {

enum class FrameType : uint8_t {
  kProgress = 1,  // gridbench.v1.Progress (fraction and message only).
  kResult = 2,    // gridbench.v1.ResultPayload.
  kFailure = 3,   // gridbench.v1.AttemptFailure (reason and retryable only).
  kProbe = 4,     // gridbench.v1.HardwareProfile, partly filled (see task_child.h).
};

// Frames larger than this are refused: they would exceed the gRPC message
// limit anyway.
inline constexpr uint32_t kMaxFrameBytes = 16 * 1024 * 1024;

struct Frame {
  FrameType type;
  std::string bytes;
};

// Writes one frame to `fd`, retrying short writes. INTERNAL on write errors.
absl::Status WriteFrame(int fd, FrameType type, std::string_view bytes);

// Splits a byte stream into frames. Not thread-safe.
class FrameDecoder {
 public:
  void Append(std::string_view data) { buffer_.append(data); }

  // The next complete frame, nullopt when more bytes are needed, or
  // INVALID_ARGUMENT for an unknown type or an oversized length.
  absl::StatusOr<std::optional<Frame>> Next();

  // True when bytes of an incomplete frame are buffered.
  bool HasPartialFrame() const { return !buffer_.empty(); }

 private:
  std::string buffer_;
};

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_CHILD_FRAMES_H_
