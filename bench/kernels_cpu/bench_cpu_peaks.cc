// bench_cpu_peaks: prints the CPU peak probes (peak_probe.h) for one thread
// and for every CPU this process may use.
//
// Usage: bench_cpu_peaks [--seconds=S]   (per measured run; default 0.5)
// Exit status 1 on a bad flag or a probe error.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "bench/kernels_cpu/machine_load.h"
#include "kernels/cpu/peak_probe.h"

namespace gridbench::kernels {
namespace {

constexpr double kDefaultSeconds = 0.5;

void PrintRow(const char* probe, const PeakProbeResult& r) {
  std::printf("%-10s %7d %-12s %10.1f %-8s %8.3f %6s\n", probe, r.threads, r.variant.c_str(),
              r.value, r.unit.c_str(), r.seconds, r.pinned ? "yes" : "no");
}

int Main(int argc, char** argv) {
  double seconds = kDefaultSeconds;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const std::string prefix = "--seconds=";
    if (arg.rfind(prefix, 0) != 0 || !absl::SimpleAtod(arg.substr(prefix.size()), &seconds)) {
      std::fprintf(stderr, "bench_cpu_peaks: unknown or malformed argument '%s'\n", argv[i]);
      std::fprintf(stderr, "usage: bench_cpu_peaks [--seconds=S]\n");
      return 1;
    }
  }
  WarnIfMachineBusy("bench_cpu_peaks");
  const CpuFeatures& cpu = DetectCpuFeatures();
  const int64_t triad_elements = DefaultTriadArrayElements();
  std::printf("CPU: %s (%s)\nfeatures: %s\nCPUs usable: %d\n", cpu.brand.c_str(),
              cpu.vendor.c_str(), absl::StrJoin(cpu.Names(), " ").c_str(), ProbeCpuCount());
  std::printf("triad: 3 arrays x %lld doubles (%.0f MiB each), 24 bytes counted per element\n\n",
              static_cast<long long>(triad_elements), triad_elements * 8.0 / (1 << 20));
  std::printf("%-10s %7s %-12s %10s %-8s %8s %6s\n", "probe", "threads", "variant", "value", "unit",
              "seconds", "pinned");
  std::vector<int> thread_counts = {1};
  if (ProbeCpuCount() > 1) thread_counts.push_back(ProbeCpuCount());
  for (int threads : thread_counts) {
    PeakProbeOptions options;
    options.threads = threads;
    options.target_seconds = seconds;
    const std::pair<const char*, absl::StatusOr<PeakProbeResult>> rows[] = {
        {"fp32_fma", ProbeFp32FmaPeak(options)},
        {"int8_dot", ProbeInt8DotPeak(options)},
        {"triad", ProbeTriadBandwidth(options, triad_elements)},
    };
    for (const auto& [probe, result] : rows) {
      if (!result.ok()) {
        std::fprintf(stderr, "bench_cpu_peaks: %s probe: %s\n", probe,
                     result.status().ToString().c_str());
        return 1;
      }
      PrintRow(probe, *result);
    }
  }
  return 0;
}

}  // namespace
}  // namespace gridbench::kernels

int main(int argc, char** argv) { return gridbench::kernels::Main(argc, argv); }
