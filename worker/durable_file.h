// Small files that must survive a crash or power loss whole or not at all:
// the worker id, the result sequence counter and outbox entries.
// All functions are thread-safe as long as callers do not write the same path
// concurrently.
#ifndef GRIDBENCH_WORKER_DURABLE_FILE_H_
#define GRIDBENCH_WORKER_DURABLE_FILE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gridbench::worker {

// Replaces `path` with `contents` atomically: writes "<path>.tmp" (mode
// 0600), fsyncs it, renames it over `path` and fsyncs the directory. After a
// crash `path` holds either the old or the new contents. Errors are INTERNAL
// and name the file and the failing system call.
absl::Status WriteFileDurably(const std::string& path, std::string_view contents);

// The whole file. NOT_FOUND when it does not exist; INTERNAL on other errors.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// Removes `path` and fsyncs its directory. A missing file is not an error.
absl::Status RemoveFileDurably(const std::string& path);

// Creates `path` (and missing parents) with mode 0700 if it does not exist.
absl::Status MakeDirectories(const std::string& path);

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_DURABLE_FILE_H_
