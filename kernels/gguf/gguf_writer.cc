#include "kernels/gguf/gguf_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace gridbench::kernels::gguf {
namespace {

constexpr size_t kWriteBufferBytes = 1 << 20;
constexpr size_t kZeroChunkBytes = 4096;

}  // namespace

absl::StatusOr<GgufWriter> GgufWriter::Create(const std::string& path, const GgufMetadata& metadata,
                                              const std::vector<GgufTensorSpec>& tensors) {
  GB_ASSIGN_OR_RETURN(GgufLayout layout, LayOutGguf(metadata, tensors));
  std::string temp_path = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(temp_path.data());
  if (fd < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot create a temporary file for ", path));
  }
  std::FILE* file = ::fdopen(fd, "wb");
  if (file == nullptr) {
    const int error = errno;
    ::close(fd);
    ::unlink(temp_path.c_str());
    return absl::ErrnoToStatus(error, absl::StrCat("cannot open ", temp_path));
  }
  std::setvbuf(file, nullptr, _IOFBF, kWriteBufferBytes);
  GgufWriter writer(path, std::move(temp_path), file, std::move(layout));
  GB_RETURN_IF_ERROR(writer.Write(writer.layout_.header.data(), writer.layout_.header.size()));
  return writer;
}

GgufWriter::GgufWriter(std::string path, std::string temp_path, std::FILE* file, GgufLayout layout)
    : path_(std::move(path)),
      temp_path_(std::move(temp_path)),
      file_(file),
      layout_(std::move(layout)) {}

GgufWriter::GgufWriter(GgufWriter&& other) noexcept
    : path_(std::move(other.path_)),
      temp_path_(std::move(other.temp_path_)),
      file_(std::exchange(other.file_, nullptr)),
      layout_(std::move(other.layout_)),
      tensor_(other.tensor_),
      tensor_written_(other.tensor_written_) {}

GgufWriter::~GgufWriter() { Abandon(); }

void GgufWriter::Abandon() {
  if (file_ == nullptr) return;
  std::fclose(file_);
  file_ = nullptr;
  ::unlink(temp_path_.c_str());
}

absl::Status GgufWriter::Write(const void* data, size_t n) {
  if (n > 0 && std::fwrite(data, 1, n, file_) != n) {
    const int error = errno;
    Abandon();
    return absl::ErrnoToStatus(error, absl::StrCat("cannot write ", temp_path_));
  }
  return absl::OkStatus();
}

const GgufTensorInfo* GgufWriter::next_tensor() const {
  return tensor_ < layout_.tensors.size() ? &layout_.tensors[tensor_] : nullptr;
}

absl::Status GgufWriter::Append(std::span<const uint8_t> bytes) {
  if (file_ == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("writer for ", path_, " is closed"));
  }
  static constexpr uint8_t kZeros[kZeroChunkBytes] = {};
  while (!bytes.empty()) {
    const GgufTensorInfo* t = next_tensor();
    if (t == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(bytes.size(), " bytes appended to ", path_,
                                                        " after every tensor was complete"));
    }
    const size_t n = std::min<uint64_t>(bytes.size(), t->byte_size - tensor_written_);
    GB_RETURN_IF_ERROR(Write(bytes.data(), n));
    bytes = bytes.subspan(n);
    tensor_written_ += n;
    if (tensor_written_ < t->byte_size) break;
    const uint64_t end = t->offset + t->byte_size;
    const uint64_t padded_end = tensor_ + 1 < layout_.tensors.size()
                                    ? layout_.tensors[tensor_ + 1].offset
                                    : layout_.data_bytes;
    for (uint64_t pad = padded_end - end; pad > 0;) {
      const size_t chunk = std::min<uint64_t>(pad, sizeof(kZeros));
      GB_RETURN_IF_ERROR(Write(kZeros, chunk));
      pad -= chunk;
    }
    ++tensor_;
    tensor_written_ = 0;
  }
  return absl::OkStatus();
}

absl::Status GgufWriter::Finish() {
  if (file_ == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("writer for ", path_, " is closed"));
  }
  if (const GgufTensorInfo* t = next_tensor()) {
    return absl::FailedPreconditionError(absl::StrCat("tensor '", t->name, "' has ",
                                                      tensor_written_, " of its ", t->byte_size,
                                                      " bytes; cannot finish ", path_));
  }
  const bool flushed = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0 &&
                       ::fchmod(::fileno(file_), 0644) == 0;
  const int error = errno;
  if (!flushed) {
    Abandon();
    return absl::ErrnoToStatus(error, absl::StrCat("cannot write ", temp_path_));
  }
  const bool closed = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!closed || ::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    const int rename_error = errno;
    ::unlink(temp_path_.c_str());
    return absl::ErrnoToStatus(rename_error, absl::StrCat("cannot write ", path_));
  }
  return absl::OkStatus();
}

}  // namespace gridbench::kernels::gguf
