// The worker's measured peaks at start: measured once in a child process and
// cached in the state directory, so a restart does not re-measure unless
// asked (gridbench-worker --remeasure-peaks) or the machine changed. A
// `peak` task's result replaces the cache.
#ifndef GRIDBENCH_WORKER_PEAK_CACHE_H_
#define GRIDBENCH_WORKER_PEAK_CACHE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gridbench/v1/common.pb.h"

namespace gridbench::worker {

// Set to "1", the worker measures no peaks at start (its profile has none
// unless cached). For tests that start many workers; `peak` tasks still
// measure.
inline constexpr char kSkipPeakProbesEnv[] = "GRIDBENCH_SKIP_PEAK_PROBES";

// Length of each CPU probe at start: short, so that a start stays quick.
inline constexpr double kStartupProbeSeconds = 0.05;

// The cache file in `state_dir`.
std::string PeakCachePath(const std::string& state_dir);

// The cached peaks if the cache was written on this machine: the same CPU
// model, thread count and Vulkan device names as `hw`. NOT_FOUND when there
// is no cache, or it is for other hardware (the message says which);
// DATA_LOSS when it cannot be parsed.
absl::StatusOr<std::vector<gridbench::v1::PeakMeasurement>> LoadCachedPeaks(
    const gridbench::v1::HardwareProfile& hw, const std::string& state_dir);

// Writes `peaks` as the cache for `hw` (durably, replacing any older one).
absl::Status SaveCachedPeaks(const gridbench::v1::HardwareProfile& hw,
                             const std::vector<gridbench::v1::PeakMeasurement>& peaks,
                             const std::string& state_dir);

// If `result` is a `peak` result, merges its measurements into the cache for
// `hw` (each replaces the one with the same name, device and thread count;
// the others stay), so the next start reports them. OK and nothing written
// for other kinds. Errors: INVALID_ARGUMENT for a malformed peak result;
// write errors.
absl::Status CachePeaksFromResult(const gridbench::v1::HardwareProfile& hw,
                                  const gridbench::v1::ResultPayload& result,
                                  const std::string& state_dir);

// Cached peaks, unless `remeasure` or there are none for this hardware: then
// measures them in a child (`worker_executable` --probe-peaks, started as a
// task child, see task_child.h) and saves them. Errors: INTERNAL when the
// child reports no peaks, with its exit status and output; write errors.
absl::StatusOr<std::vector<gridbench::v1::PeakMeasurement>> LoadOrMeasurePeaks(
    const std::string& worker_executable, const gridbench::v1::HardwareProfile& hw,
    const std::string& state_dir, bool remeasure);

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_PEAK_CACHE_H_
