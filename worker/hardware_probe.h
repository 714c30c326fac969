// What the worker reports about its machine when it enrolls and at the start
// of every session: CPU, caches, memory, OS, the OpenBLAS core tasks will run
// with, and Vulkan devices.
#ifndef GRIDBENCH_WORKER_HARDWARE_PROBE_H_
#define GRIDBENCH_WORKER_HARDWARE_PROBE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "gridbench/v1/common.pb.h"

namespace gridbench::worker {

// Probes this machine. The OpenBLAS and Vulkan facts come from a child
// process started exactly as task children are (`worker_executable` is the
// gridbench-worker binary, see worker/task_child.h): OpenBLAS picks its core
// from the environment a process starts with, and a faulty Vulkan driver
// must not take the agent down. A Vulkan failure or crash only means no
// Vulkan devices (and no "vulkan" backend). Errors: INTERNAL/UNAVAILABLE when
// /proc or /sys cannot be read or the probe child reports no OpenBLAS facts.
// Thread-safe.
absl::StatusOr<gridbench::v1::HardwareProfile> ProbeHardware(const std::string& worker_executable);

// One "<key>: <n> kB" line of /proc/meminfo, in bytes (e.g. "MemTotal",
// "MemAvailable"). NOT_FOUND when the key is absent.
absl::StatusOr<uint64_t> ReadMeminfoBytes(std::string_view key);

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_HARDWARE_PROBE_H_
