// Parameters of each task kind and their validation. The coordinator calls
// ValidateTaskParams when a job is submitted, so a bad job is refused up
// front; the worker parses the same parameters with the same code before it
// runs a task, so both sides agree on defaults and limits.
//
// All functions are thread-safe and never crash on bad input.
#ifndef GRIDBENCH_COMMON_TASK_PARAMS_H_
#define GRIDBENCH_COMMON_TASK_PARAMS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/struct.pb.h"
#include "gridbench/v1/common.pb.h"

namespace gridbench {

// The task kinds a job may name, e.g. {"gemm"}.
std::vector<std::string> KnownTaskKinds();

// Checks the task's kind, the backend it asks for and every parameter.
// INVALID_ARGUMENT lists every problem, joined by "; ", each naming the field:
//   "params.m: must be an integer in 1..32768, got -3"
// Unknown parameter names are errors; missing optional ones take defaults.
absl::Status ValidateTaskParams(const gridbench::v1::TaskSpec& task);

// Kind "gemm": C = A * B with A m x k, B k x n, fp32, row-major.
struct GemmParams {
  int64_t m = 0;  // Required, 1..32768 (likewise n and k).
  int64_t n = 0;
  int64_t k = 0;
  int threads = 0;              // 0..4096; 0 means every core.
  int warmup = 2;               // Untimed runs first, 0..1000.
  int repetitions = 10;         // Timed runs, 1..100000.
  double min_time_seconds = 0;  // Keep repeating until this much time and
                                // `repetitions` runs are both reached.
  uint64_t seed = 1;            // Seeds the input generator, 0..2^53.
};

// Parses and validates gemm parameters; errors as for ValidateTaskParams.
absl::StatusOr<GemmParams> ParseGemmParams(const google::protobuf::Struct& params);

}  // namespace gridbench

#endif  // GRIDBENCH_COMMON_TASK_PARAMS_H_
