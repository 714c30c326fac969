// Job files: the YAML a user submits, turned into a gridbench.v1.JobSpec.
// The CLI parses job files locally so mistakes show before anything is sent;
// the coordinator parses `job_yaml` with the same code, and checks jobs that
// arrive as protobuf with ValidateJobSpec. docs/JOBS.md documents every field.
//
// Every function here is thread-safe (no shared state) and never throws.
#ifndef GRIDBENCH_COMMON_JOB_FILE_H_
#define GRIDBENCH_COMMON_JOB_FILE_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gridbench/v1/common.pb.h"

namespace gridbench {

// Used for a task that names no timeout.
inline constexpr double kDefaultTaskTimeoutSeconds = 600;
// The longest timeout a task may ask for (7 days).
inline constexpr double kMaxTaskTimeoutSeconds = 7 * 24 * 3600;

// Parses and validates a job file. On success the JobSpec has the defaults
// filled in (ApplyJobDefaults); retry fields left out stay 0, which means
// "the coordinator's configured default".
//
// Errors: one INVALID_ARGUMENT listing EVERY problem found, one per line, as
//   "FILE:LINE:COL: tasks[1].requirements.device: must be cpu, gpu or any, got 'tpu'"
// with FILE = `file_name` and 1-based LINE/COL. Malformed YAML, unknown or
// duplicate keys, wrong types, bad durations or memory sizes, every check of
// ValidateJobSpec and every problem ValidateTaskParams (common/task_params.h)
// finds with a task's params are reported this way.
absl::StatusOr<gridbench::v1::JobSpec> ParseJobFile(std::string_view yaml_text,
                                                    std::string_view file_name);

// Checks a job that arrived as protobuf: the same rules as ParseJobFile,
// reported as "tasks[1].timeout: must be at most 604800 seconds, got 1e+06"
// lines (no file positions) in one INVALID_ARGUMENT. Zero values mean
// "default" (timeout, placement, retry fields), as in ApplyJobDefaults.
absl::Status ValidateJobSpec(const gridbench::v1::JobSpec& job);

// Fills what a job may leave out: each task's timeout (kDefaultTaskTimeoutSeconds)
// and placement (PLACEMENT_ANY). Retry fields are left to the coordinator.
void ApplyJobDefaults(gridbench::v1::JobSpec& job);

// "300s", "1.5m", "2h", "1d", "250ms" or a bare number of seconds ("300").
// INVALID_ARGUMENT for anything else, including negative or non-finite values.
absl::StatusOr<double> ParseDurationSeconds(std::string_view text);

// "4GiB", "512MiB", "64KiB", "2TiB", decimal "4GB"/"512MB"/"64KB"/"2TB",
// "100B" or a bare number of bytes. Units are case-insensitive; a fraction
// ("1.5GiB") is rounded down to whole bytes. INVALID_ARGUMENT for anything
// else, negative values, or sizes that do not fit in 64 bits.
absl::StatusOr<uint64_t> ParseMemoryBytes(std::string_view text);

}  // namespace gridbench

#endif  // GRIDBENCH_COMMON_JOB_FILE_H_
