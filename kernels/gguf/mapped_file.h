// A whole file mapped read-only into memory, unmapped on destruction.
//
// Thread-safety: the bytes never change through this object (the mapping is
// PROT_READ and private), so bytes() may be read from any thread. A file that
// another process truncates while mapped makes reads past its new end raise
// SIGBUS; gridbench's artifacts are never written in place.
#ifndef GRIDBENCH_KERNELS_GGUF_MAPPED_FILE_H_
#define GRIDBENCH_KERNELS_GGUF_MAPPED_FILE_H_

#include <cstdint>
#include <span>
#include <string>

#include "absl/status/statusor.h"

namespace gridbench::kernels::gguf {

class MappedFile {
 public:
  // Maps `path`. NOT_FOUND, PERMISSION_DENIED, ... (from errno) naming the
  // path; INVALID_ARGUMENT if it is not a regular file. An empty file maps to
  // an empty span.
  static absl::StatusOr<MappedFile> Open(const std::string& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const uint8_t> bytes() const { return {data_, size_}; }

 private:
  MappedFile(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace gridbench::kernels::gguf

#endif  // GRIDBENCH_KERNELS_GGUF_MAPPED_FILE_H_
