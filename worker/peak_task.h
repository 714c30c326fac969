// Task kind "peak": measures this machine's peaks (worker/peak_measurements.h)
// and reports them, so a job can re-measure a worker on request.
#ifndef GRIDBENCH_WORKER_PEAK_TASK_H_
#define GRIDBENCH_WORKER_PEAK_TASK_H_

#include "worker/task_kind.h"

namespace gridbench::worker {

// Thread-safe (it keeps no state).
class PeakTask final : public TaskKind {
 public:
  std::string_view Name() const override { return "peak"; }
  // It runs every backend's probes, so it has no backend of its own.
  std::string_view Backend() const override { return ""; }

  // The result is PeakResult (peak_measurements.h) with start and finish
  // times. Errors as MeasurePeaks.
  absl::StatusOr<gridbench::v1::ResultPayload> Run(const gridbench::v1::TaskSpec& spec,
                                                   const TaskInputs& inputs,
                                                   ProgressReporter& progress) const override;
};

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_PEAK_TASK_H_
