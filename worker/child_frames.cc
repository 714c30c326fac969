#include "worker/child_frames.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace gridbench::worker {

absl::Status WriteFrame(int fd, FrameType type, std::string_view bytes) {
  if (bytes.size() > kMaxFrameBytes) {
    return absl::InvalidArgumentError(absl::StrCat("frame of ", bytes.size(), " bytes is too big"));
  }
  std::string out;
  out.reserve(5 + bytes.size());
  out.push_back(static_cast<char>(type));
  const uint32_t n = static_cast<uint32_t>(bytes.size());
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((n >> shift) & 0xff));
  out.append(bytes);
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t w = write(fd, out.data() + done, out.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return absl::InternalError(absl::StrCat("writing a frame: ", std::strerror(errno)));
    done += static_cast<size_t>(w);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Frame>> FrameDecoder::Next() {
  if (buffer_.size() < 5) return std::nullopt;
  const uint8_t type = static_cast<uint8_t>(buffer_[0]);
  if (type < static_cast<uint8_t>(FrameType::kProgress) ||
      type > static_cast<uint8_t>(FrameType::kProbe)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown frame type ", type));
  }
  uint32_t n = 0;
  for (int i = 1; i <= 4; ++i) n = (n << 8) | static_cast<uint8_t>(buffer_[i]);
  if (n > kMaxFrameBytes) {
    return absl::InvalidArgumentError(absl::StrCat("frame length ", n, " exceeds the limit"));
  }
  if (buffer_.size() < 5 + static_cast<size_t>(n)) return std::nullopt;
  Frame frame{static_cast<FrameType>(type), buffer_.substr(5, n)};
  buffer_.erase(0, 5 + static_cast<size_t>(n));
  return frame;
}

}  // namespace gridbench::worker
