#include "kernels/cpu/peak_probe.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <new>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "kernels/cpu/peak_kernels.h"
#include "kernels/cpu/timed_threads.h"

namespace gridbench::kernels {
namespace {

constexpr double kMaxTargetSeconds = 60.0;
// Triad: a[i] = b[i] + kTriadScalar * c[i] with b = 1 and c = 2, so a = 7.
constexpr double kTriadB = 1.0, kTriadC = 2.0, kTriadScalar = 3.0;
constexpr double kTriadA = kTriadB + kTriadScalar * kTriadC;
constexpr int64_t kTriadBytesPerElement = 3 * sizeof(double);
constexpr int64_t kMinTriadElements = int64_t{8} << 20;
constexpr int64_t kFallbackLastLevelCacheBytes = int64_t{32} << 20;
// Relative tolerance between the scalar FMA fallback (two roundings per step)
// and the fma reference; the SIMD variants match it exactly.
constexpr double kFmaChecksumRelTolerance = 1e-4;

// One implementation of a probe kernel, returning the common lane value.
template <typename Lane>
struct Variant {
  const char* name;
  bool (*supported)(const CpuFeatures&);
  Lane (*run)(int64_t iterations);
  int64_t ops_per_iteration;
};

// Fastest first.
constexpr Variant<float> kFmaVariants[] = {
    {"avx512", [](const CpuFeatures& f) { return f.avx512f; }, peak::FmaPeakAvx512,
     peak::kFmaAvx512FlopsPerIteration},
    {"avx2", [](const CpuFeatures& f) { return f.avx2 && f.fma; }, peak::FmaPeakAvx2,
     peak::kFmaAvx2FlopsPerIteration},
    {"scalar", [](const CpuFeatures&) { return true; }, peak::FmaPeakScalar,
     peak::kFmaScalarFlopsPerIteration},
};
constexpr Variant<int32_t> kInt8Variants[] = {
    {"avx512_vnni", [](const CpuFeatures& f) { return f.avx512_vnni; }, peak::Int8DotPeakAvx512Vnni,
     peak::kInt8Avx512VnniOpsPerIteration},
    {"avx2", [](const CpuFeatures& f) { return f.avx2; }, peak::Int8DotPeakAvx2,
     peak::kInt8Avx2OpsPerIteration},
    {"scalar", [](const CpuFeatures&) { return true; }, peak::Int8DotPeakScalar,
     peak::kInt8ScalarOpsPerIteration},
};

template <typename Lane, size_t N>
std::vector<std::string> SupportedNames(const Variant<Lane> (&table)[N], const CpuFeatures& cpu) {
  std::vector<std::string> names;
  for (const Variant<Lane>& v : table) {
    if (v.supported(cpu)) names.emplace_back(v.name);
  }
  return names;
}

// The variant `wanted` names ("" = fastest supported).
template <typename Lane, size_t N>
absl::StatusOr<const Variant<Lane>*> SelectVariant(const Variant<Lane> (&table)[N],
                                                   const std::string& wanted,
                                                   const CpuFeatures& cpu) {
  for (const Variant<Lane>& v : table) {
    if (!wanted.empty() && wanted != v.name) continue;
    if (v.supported(cpu)) return &v;
    if (!wanted.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("probe variant '", wanted, "' needs instructions this CPU lacks"));
    }
  }
  std::vector<std::string> all;
  for (const Variant<Lane>& v : table) all.emplace_back(v.name);
  return absl::InvalidArgumentError(
      absl::StrCat("unknown probe variant '", wanted, "'; known: ", absl::StrJoin(all, ", ")));
}

absl::Status ValidateCommon(const PeakProbeOptions& options) {
  const int cpus = ProbeCpuCount();
  if (options.threads < 1 || options.threads > cpus) {
    return absl::InvalidArgumentError(absl::StrCat("probe threads must be in 1..", cpus,
                                                   " (CPUs this process may use), got ",
                                                   options.threads));
  }
  if (!(options.target_seconds > 0 && options.target_seconds <= kMaxTargetSeconds)) {
    return absl::InvalidArgumentError(absl::StrCat("probe target_seconds must be in (0, ",
                                                   kMaxTargetSeconds, "], got ",
                                                   options.target_seconds));
  }
  return absl::OkStatus();
}

// Runs the selected register kernel on every thread for about the target
// duration; `expected(iterations)` is the lane value it must produce.
template <typename Lane, size_t N>
absl::StatusOr<PeakProbeResult> ProbeRegisterKernel(
    const Variant<Lane> (&table)[N], const PeakProbeOptions& options, const char* unit,
    bool (*matches)(std::type_identity_t<Lane> got, int64_t iterations)) {
  GB_RETURN_IF_ERROR(ValidateCommon(options));
  GB_ASSIGN_OR_RETURN(const Variant<Lane>* variant,
                      SelectVariant(table, options.variant, DetectCpuFeatures()));
  std::vector<Lane> lanes(options.threads);
  const TimedThreadsRun run =
      RunForDuration(options.threads, options.target_seconds,
                     [&](int t, int64_t iterations) { lanes[t] = variant->run(iterations); });
  for (int t = 0; t < options.threads; ++t) {
    if (!matches(lanes[t], run.iterations)) {
      return absl::InternalError(absl::StrCat("probe variant ", variant->name, " on thread ", t,
                                              " ended with lane value ", lanes[t], " after ",
                                              run.iterations, " iterations: wrong checksum"));
    }
  }
  PeakProbeResult result;
  result.value = static_cast<double>(variant->ops_per_iteration) * run.iterations *
                 options.threads / run.seconds / 1e9;
  result.unit = unit;
  result.threads = options.threads;
  result.pinned = run.pinned;
  result.variant = variant->name;
  result.seconds = run.seconds;
  result.iterations = run.iterations;
  result.checksum = lanes[0];
  return result;
}

// One thread's slice [begin, end) of the triad arrays.
void TriadSlice(double* a, const double* b, const double* c, int64_t begin, int64_t end,
                int64_t passes) {
  for (int64_t pass = 0; pass < passes; ++pass) {
    for (int64_t i = begin; i < end; ++i) a[i] = b[i] + kTriadScalar * c[i];
    // Each pass must really read and write memory, not be merged with the next.
    __asm__ volatile("" ::: "memory");
  }
}

}  // namespace

int ProbeCpuCount() { return static_cast<int>(AllowedCpus().size()); }

std::vector<std::string> Fp32FmaVariants(const CpuFeatures& cpu) {
  return SupportedNames(kFmaVariants, cpu);
}

absl::StatusOr<PeakProbeResult> ProbeFp32FmaPeak(const PeakProbeOptions& options) {
  return ProbeRegisterKernel(kFmaVariants, options, "GFLOP/s", [](float got, int64_t iterations) {
    const double want = peak::FmaChainReference(iterations);
    return std::fabs(got - want) <= kFmaChecksumRelTolerance * std::fabs(want);
  });
}

std::vector<std::string> Int8DotVariants(const CpuFeatures& cpu) {
  return SupportedNames(kInt8Variants, cpu);
}

absl::StatusOr<PeakProbeResult> ProbeInt8DotPeak(const PeakProbeOptions& options) {
  return ProbeRegisterKernel(kInt8Variants, options, "GOP/s", [](int32_t got, int64_t iterations) {
    return got == peak::Int8DotReference(iterations);
  });
}

int64_t DefaultTriadArrayElements() {
  int64_t llc = sysconf(_SC_LEVEL3_CACHE_SIZE);
  if (llc <= 0) llc = sysconf(_SC_LEVEL2_CACHE_SIZE);
  if (llc <= 0) llc = kFallbackLastLevelCacheBytes;
  return std::max(kMinTriadElements, 4 * llc / static_cast<int64_t>(sizeof(double)));
}

absl::StatusOr<PeakProbeResult> ProbeTriadBandwidth(const PeakProbeOptions& options,
                                                    int64_t array_elements) {
  GB_RETURN_IF_ERROR(ValidateCommon(options));
  if (!options.variant.empty() && options.variant != "scalar") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown triad variant '", options.variant, "'; known: scalar"));
  }
  if (array_elements < options.threads) {
    return absl::InvalidArgumentError(
        absl::StrCat("triad needs at least one element per thread, got ", array_elements, " for ",
                     options.threads, " threads"));
  }
  // Left uninitialised so each thread's first touch places its slice.
  std::unique_ptr<double[]> a(new (std::nothrow) double[array_elements]);
  std::unique_ptr<double[]> b(new (std::nothrow) double[array_elements]);
  std::unique_ptr<double[]> c(new (std::nothrow) double[array_elements]);
  if (a == nullptr || b == nullptr || c == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat("cannot allocate 3 triad arrays of ",
                                                     array_elements * sizeof(double), " bytes"));
  }
  const auto slice_begin = [&](int t) { return array_elements * t / options.threads; };
  RunOnThreads(options.threads, 1, [&](int t, int64_t) {
    for (int64_t i = slice_begin(t); i < slice_begin(t + 1); ++i) {
      a[i] = 0.0;
      b[i] = kTriadB;
      c[i] = kTriadC;
    }
  });
  const TimedThreadsRun run =
      RunForDuration(options.threads, options.target_seconds, [&](int t, int64_t passes) {
        TriadSlice(a.get(), b.get(), c.get(), slice_begin(t), slice_begin(t + 1), passes);
      });
  double sum = 0;
  for (int64_t i = 0; i < array_elements; ++i) sum += a[i];
  if (sum != kTriadA * array_elements) {
    return absl::InternalError(
        absl::StrCat("triad output sums to ", sum, ", want ", kTriadA * array_elements));
  }
  PeakProbeResult result;
  result.value = static_cast<double>(kTriadBytesPerElement) * array_elements * run.iterations /
                 run.seconds / 1e9;
  result.unit = "GB/s";
  result.threads = options.threads;
  result.pinned = run.pinned;
  result.variant = "scalar";
  result.seconds = run.seconds;
  result.iterations = run.iterations;
  result.checksum = sum;
  return result;
}

}  // namespace gridbench::kernels
