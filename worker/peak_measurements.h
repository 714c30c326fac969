// Runs the peak probes (kernels/cpu/peak_probe.h on one thread and on every
// CPU; kernels/vulkan/probes.h on every Vulkan device) and turns their
// figures into PeakMeasurements for the hardware profile and `peak` results.
//
// Thread-safety: may be called from any thread, but the probes measure the
// whole machine: run nothing else meanwhile.
#ifndef GRIDBENCH_WORKER_PEAK_MEASUREMENTS_H_
#define GRIDBENCH_WORKER_PEAK_MEASUREMENTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/task_params.h"
#include "gridbench/v1/common.pb.h"

namespace gridbench::worker {

struct PeakRun {
  std::vector<gridbench::v1::PeakMeasurement> peaks;
  // One line per Vulkan device that could not be opened or measured (its
  // peaks are missing; the CPU's are not affected).
  std::vector<std::string> skipped;
};

// Runs the probes `params` asks for, each CPU probe for params.seconds.
// Errors: the first CPU probe error (INTERNAL when a probe's checksum shows
// a kernel misbehaving). No Vulkan, or a failing device, is not an error.
absl::StatusOr<PeakRun> MeasurePeaks(const PeakParams& params);

// The result of a `peak` task: metrics "<name>.threads_<n>" for CPU peaks and
// "<name>.device_<i>" for Vulkan ones (values in the measurement's unit),
// environment "vulkan_device_<i>" naming each device and "skipped_<i>" for
// each skipped one, and details "peaks": every measurement with all its
// fields, which PeaksFromResult reads back.
gridbench::v1::ResultPayload PeakResult(const PeakRun& run);

// The measurements in a `peak` result's details; INVALID_ARGUMENT when it
// has none or they are malformed.
absl::StatusOr<std::vector<gridbench::v1::PeakMeasurement>> PeaksFromResult(
    const gridbench::v1::ResultPayload& result);

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_PEAK_MEASUREMENTS_H_
