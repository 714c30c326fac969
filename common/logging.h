// Process-wide logging set-up, shared by both binaries and the CLI.
#ifndef GRIDBENCH_COMMON_LOGGING_H_
#define GRIDBENCH_COMMON_LOGGING_H_

#include <string>

#include "absl/status/status.h"

namespace gridbench {

// Configures spdlog's default logger to write to stderr. `level` is one of
// trace, debug, info, warn, error, off; `format` is "text" or "json" (one
// JSON object a line). INVALID_ARGUMENT names the bad value.
absl::Status ConfigureLogging(const std::string& level, const std::string& format);

}  // namespace gridbench

#endif  // GRIDBENCH_COMMON_LOGGING_H_
