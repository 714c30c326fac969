// The repetition loop every kernel benchmark kind shares: untimed warm-up
// runs, then timed runs until both the repetition count and the minimum time
// are reached, reporting progress at most five times a second.
#ifndef GRIDBENCH_WORKER_TIMED_SAMPLES_H_
#define GRIDBENCH_WORKER_TIMED_SAMPLES_H_

#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "common/task_params.h"
#include "worker/task_kind.h"

namespace gridbench::worker {

// Runs `run_once` timing.warmup times, ignoring what it measures, then
// repeatedly, collecting what it measures: the seconds of one run (by the
// host clock, or device timestamps where the backend has them). The first
// error `run_once` returns is returned. Reports progress from 0 to 1.
absl::StatusOr<std::vector<double>> TimeRepetitions(
    const TimingParams& timing, ProgressReporter& progress,
    absl::FunctionRef<absl::StatusOr<double>()> run_once);

// TimeRepetitions of a run timed by the host's steady clock.
absl::StatusOr<std::vector<double>> TimeHostRepetitions(const TimingParams& timing,
                                                        ProgressReporter& progress,
                                                        absl::FunctionRef<absl::Status()> run_once);

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_TIMED_SAMPLES_H_
