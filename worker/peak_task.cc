#include "worker/peak_task.h"

#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/task_params.h"
#include "worker/peak_measurements.h"

namespace gridbench::worker {

absl::StatusOr<gridbench::v1::ResultPayload> PeakTask::Run(const gridbench::v1::TaskSpec& spec,
                                                           const TaskInputs& /*inputs*/,
                                                           ProgressReporter& progress) const {
  const int64_t started = absl::ToUnixNanos(absl::Now());
  GB_ASSIGN_OR_RETURN(const PeakParams p, ParsePeakParams(spec));
  progress.Report(0, "measuring peaks");
  GB_ASSIGN_OR_RETURN(const PeakRun run, MeasurePeaks(p));
  gridbench::v1::ResultPayload out = PeakResult(run);
  out.set_started_unix_nanos(started);
  out.set_finished_unix_nanos(absl::ToUnixNanos(absl::Now()));
  progress.Report(1, "peaks measured");
  return out;
}

}  // namespace gridbench::worker
