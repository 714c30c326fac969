// Plain file I/O for artifact bytes, shared by the coordinator's blob store,
// the worker's cache and the transfer code: append to a file, read at an
// offset, and move a finished file into place durably.
//
// Every error is INTERNAL (NOT_FOUND where a file is missing) and names the
// path and the failing system call. Thread-compatible: one object is used by
// one thread at a time; distinct objects are independent.
#ifndef GRIDBENCH_COMMON_BLOB_FILE_H_
#define GRIDBENCH_COMMON_BLOB_FILE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gridbench {

// A file opened for appending (created with mode 0600 when missing).
class AppendFile {
 public:
  // `truncate` empties an existing file; otherwise writes continue at its end.
  static absl::StatusOr<AppendFile> Open(const std::string& path, bool truncate);
  AppendFile(AppendFile&& other) noexcept;
  AppendFile& operator=(AppendFile&&) = delete;
  ~AppendFile();

  // The file's size when opened plus everything appended since.
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

  absl::Status Append(std::string_view bytes);
  // fsyncs and closes; the object is spent after.
  absl::Status SyncAndClose();

 private:
  AppendFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  std::string path_;
  int fd_;
  uint64_t size_;
};

// A file opened for reading at offsets.
class ReadOnlyFile {
 public:
  static absl::StatusOr<ReadOnlyFile> Open(const std::string& path);
  ReadOnlyFile(ReadOnlyFile&& other) noexcept;
  ReadOnlyFile& operator=(ReadOnlyFile&&) = delete;
  ~ReadOnlyFile();

  uint64_t size() const { return size_; }
  // Up to `max_bytes` from `offset`; fewer only at the end of the file.
  absl::StatusOr<std::string> ReadAt(uint64_t offset, size_t max_bytes) const;

 private:
  ReadOnlyFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  std::string path_;
  int fd_;
  uint64_t size_;
};

// Renames `from` to `to` (replacing it) and fsyncs `to`'s directory, so the
// new name survives a crash.
absl::Status RenameDurably(const std::string& from, const std::string& to);

// The size of the file at `path`; NOT_FOUND when there is none.
absl::StatusOr<uint64_t> FileSize(const std::string& path);

}  // namespace gridbench

#endif  // GRIDBENCH_COMMON_BLOB_FILE_H_
