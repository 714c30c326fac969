// Peak probes: the FP32 FMA throughput and the copy bandwidth a Vulkan device
// reaches with our own shaders, the yardsticks the GEMM and GEMV figures are
// compared with.
//
// Thread-safety: as Context.
#ifndef GRIDBENCH_KERNELS_VULKAN_PROBES_H_
#define GRIDBENCH_KERNELS_VULKAN_PROBES_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "kernels/vulkan/context.h"

namespace gridbench::kernels::vulkan {

struct ProbeSizes {
  uint32_t fma_workgroups = 0;  // of 256 invocations each
  uint32_t fma_iterations = 0;  // 256 FLOPs per invocation each
  uint64_t copy_bytes = 0;      // size of the source (and of the destination)
  uint32_t repeats = 0;         // the best of this many timed submits counts
};

// Sizes that take milliseconds on the device: large on a GPU, small on a CPU
// (software) device.
ProbeSizes DefaultProbeSizes(const DeviceInfo& device);

struct ProbeResult {
  double per_second = 0;      // FLOP/s, or bytes/s (read + written)
  bool device_timed = false;  // false: host time, with submit overhead included
};

// FP32 FLOP/s (an FMA counts as 2). INVALID_ARGUMENT for zero sizes.
absl::StatusOr<ProbeResult> MeasureFp32Peak(Context& ctx, const ProbeSizes& sizes);

// Copy bandwidth in bytes/s, counting each byte read and each byte written.
// INVALID_ARGUMENT unless copy_bytes is a positive multiple of 16.
absl::StatusOr<ProbeResult> MeasureCopyBandwidth(Context& ctx, const ProbeSizes& sizes);

}  // namespace gridbench::kernels::vulkan

#endif  // GRIDBENCH_KERNELS_VULKAN_PROBES_H_
