// CPU peak probes: the fp32 FMA throughput, int8 dot-product throughput and
// memory bandwidth this machine reaches, for one thread or several. The
// worker reports these so results can be read as a fraction of peak.
//
// Each probe picks the fastest variant DetectCpuFeatures() allows (or the
// one named in the options), calibrates an iteration count on the threads it
// will use, then runs that count once and times it. Threads are std::threads,
// each pinned to its own CPU from the process's affinity mask (the result
// says whether pinning took).
//
// Thread-safety: probes may be called from any thread, but concurrent probes
// compete for the same cores and measure each other.
#ifndef GRIDBENCH_KERNELS_CPU_PEAK_PROBE_H_
#define GRIDBENCH_KERNELS_CPU_PEAK_PROBE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kernels/cpu/cpu_features.h"

namespace gridbench::kernels {

struct PeakProbeOptions {
  int threads = 1;              // 1..ProbeCpuCount()
  double target_seconds = 0.2;  // duration of the measured run, in (0, 60]
  std::string variant;          // "" = the fastest this CPU supports
};

struct PeakProbeResult {
  double value = 0;  // throughput summed over all threads, in `unit`
  std::string unit;  // "GFLOP/s", "GOP/s" or "GB/s" (10^9)
  int threads = 0;
  bool pinned = false;     // every thread was pinned to its own CPU
  std::string variant;     // the variant that ran, e.g. "avx512"
  double seconds = 0;      // wall time of the measured run
  int64_t iterations = 0;  // kernel rounds per thread (triad: passes over the arrays)
  // Evidence the work was done: FMA and int8 probes return the value every
  // lane ended with, which peak::FmaChainReference / peak::Int8DotReference
  // (peak_kernels.h) predict from `iterations`; the triad returns the sum of
  // its output array, 7 * array elements.
  double checksum = 0;
};

// The number of CPUs in this process's affinity mask: the most threads a
// probe accepts.
int ProbeCpuCount();

// FMA variants this CPU can run, fastest first: "avx512", "avx2", "scalar".
std::vector<std::string> Fp32FmaVariants(const CpuFeatures& cpu);
// Peak fp32 FLOP/s (an FMA is 2 FLOPs) from independent FMA chains held in
// registers. Errors: INVALID_ARGUMENT for a bad thread count, duration or
// unknown variant; FAILED_PRECONDITION for a variant this CPU cannot run;
// INTERNAL when the checksum shows the kernel misbehaved.
absl::StatusOr<PeakProbeResult> ProbeFp32FmaPeak(const PeakProbeOptions& options);

// int8 variants this CPU can run, fastest first: "avx512_vnni", "avx2", "scalar".
std::vector<std::string> Int8DotVariants(const CpuFeatures& cpu);
// Peak int8 dot-product ops/s (u8 x s8 into s32; a multiply-add is 2 ops).
// Errors as ProbeFp32FmaPeak.
absl::StatusOr<PeakProbeResult> ProbeInt8DotPeak(const PeakProbeOptions& options);

// Array length (elements of double) the triad uses by default: each array
// 4x the last-level cache (STREAM's rule), at least 8 Mi elements.
int64_t DefaultTriadArrayElements();
// STREAM-style triad a[i] = b[i] + 3.0 * c[i] over three double arrays of
// `array_elements` each, split into one contiguous slice per thread (each
// thread first-touches its slice). Bytes are counted as STREAM does: 24 per
// element per pass (two 8-byte reads, one 8-byte write; write-allocate
// traffic is not counted). The only variant is "scalar" (compiler-vectorised
// C++). Errors: INVALID_ARGUMENT for a bad thread count, duration or variant,
// or fewer elements than threads; RESOURCE_EXHAUSTED if the arrays cannot be
// allocated; INTERNAL when the output sum is wrong.
absl::StatusOr<PeakProbeResult> ProbeTriadBandwidth(const PeakProbeOptions& options,
                                                    int64_t array_elements);

}  // namespace gridbench::kernels

#endif  // GRIDBENCH_KERNELS_CPU_PEAK_PROBE_H_
