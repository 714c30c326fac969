// Kernel results as a fraction of the machine's measured peak. A kind names
// the peak that bounds it (compute for GEMM, memory bandwidth for GEMV); the
// agent, which holds the hardware profile with the measured peaks, adds the
// fraction before it signs the result, so the figure and the profile the
// result's hardware_sha256 names agree.
//
// Thread-safe (nothing here keeps state).
#ifndef GRIDBENCH_WORKER_PEAK_FRACTION_H_
#define GRIDBENCH_WORKER_PEAK_FRACTION_H_

#include <string_view>

#include "gridbench/v1/common.pb.h"

namespace gridbench::worker {

// PeakMeasurement names.
inline constexpr char kCpuFp32FmaPeak[] = "cpu_fp32_fma";
inline constexpr char kCpuInt8DotPeak[] = "cpu_int8_dot";
inline constexpr char kCpuTriadPeak[] = "cpu_triad_bandwidth";
inline constexpr char kVulkanFp32FmaPeak[] = "vulkan_fp32_fma";
inline constexpr char kVulkanCopyPeak[] = "vulkan_copy_bandwidth";

// Metric of a bandwidth-bound result: the bytes one run reads. When they fit
// in the machine's largest cache, the run streams from cache, not memory,
// and is not compared with the DRAM bandwidth.
inline constexpr char kWorkingSetMetric[] = "working_set_bytes";

// Records in `result` which peak bounds it: environment "peak_bound" (one of
// the names above) and, for a Vulkan peak, "peak_device" (the device name).
// A CPU peak is matched on metrics "threads".
void DeclarePeakBound(gridbench::v1::ResultPayload& result, std::string_view peak_name,
                      std::string_view device = "");

// Adds metrics "fraction_of_peak" and environment "fraction_of_peak_basis"
// (the measurement used, e.g. "cpu_fp32_fma on 2 threads: 9.53e+10 flop/s")
// when `result` declares a bound that `profile.peaks` has. The achieved
// figure is gflops_median for a flop/s or op/s peak and gbps_median for a
// byte/s peak. A CPU peak measured at the result's thread count is used as
// is; otherwise the one-thread figure times the threads, capped at the
// figure for the most threads measured, and the basis says "scaled". A CPU
// bandwidth-bound result whose kWorkingSetMetric fits in the largest cache
// gets no fraction, and a basis that says why. Leaves `result` unchanged
// when it declares no bound or nothing matches.
void AddFractionOfPeak(const gridbench::v1::HardwareProfile& profile,
                       gridbench::v1::ResultPayload& result);

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_PEAK_FRACTION_H_
