// Task kind "file_read": reads an input artifact (common/task_params.h
// FileReadParams) from the worker's artifact cache and measures how fast a
// whole read goes; with `write_samples`, writes the timings to an output
// artifact too.
// The smallest real kind that uses artifacts in both directions, so the
// fetch-verify-run-upload path is exercised end to end.
#ifndef GRIDBENCH_WORKER_FILE_READ_TASK_H_
#define GRIDBENCH_WORKER_FILE_READ_TASK_H_

#include "worker/task_kind.h"

namespace gridbench::worker {

// Thread-safe (it keeps no state).
class FileReadTask final : public TaskKind {
 public:
  std::string_view Name() const override { return "file_read"; }
  std::string_view Backend() const override { return ""; }

  // Samples: seconds per full read. Metrics: gbps_median (10^9 bytes/s),
  // size_bytes. Checksum: the input's artifact id, recomputed from the bytes
  // read in the last repetition. With write_samples, the output
  // "samples.txt" (role "output") holds one line per sample, in seconds. INVALID_ARGUMENT for bad
  // parameters; FAILED_PRECONDITION when the agent supplied no path for the input.
  absl::StatusOr<gridbench::v1::ResultPayload> Run(const gridbench::v1::TaskSpec& spec,
                                                   const TaskInputs& inputs,
                                                   ProgressReporter& progress) const override;
};

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_FILE_READ_TASK_H_
