// bench_blas: fp32 GEMM through gridbench's Sgemm wrapper against calling
// cblas_sgemm directly, as a fraction of the CPU's measured FMA peak.
//
// The program first re-executes itself with the OPENBLAS_CORETYPE this CPU
// should use (OpenBLAS reads it only at load time) and refuses to run, exit
// status 2, if OpenBLAS is still on a fallback core. It then runs the Google
// Benchmark cases (standard --benchmark_* flags apply) and prints a table
// with two targets per size:
//   wrapper / direct GFLOP/s >= 0.98 for n >= 512 (the wrapper adds nothing)
//   wrapper GFLOP/s / FMA peak >= 0.70 at n = 2048 (OpenBLAS runs near peak)
// Repetitions of all cases run in random interleaved order (so drifting
// machine load hits wrapper and direct alike; --benchmark_enable_random_
// interleaving=false turns it off) and each figure in the table is the best
// repetition; the console shows the aggregates (mean, median, ...).
// Exit status 3 when a target fails, 1 on any other error.
#include <cblas.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "bench/kernels_cpu/machine_load.h"
#include "benchmark/benchmark.h"
#include "kernels/cpu/blas.h"
#include "kernels/cpu/peak_probe.h"

namespace gridbench::kernels {
namespace {

// Each repetition is a fixed number of calls (30-80 ms): many short
// repetitions give the best-of figure many chances to miss interference.
struct Size {
  int n;
  int calls_per_repetition;
};
constexpr Size kSizes[] = {{512, 20}, {1024, 4}, {2048, 1}};
constexpr int kRepetitions = 20;
constexpr double kMinWrapperToDirect = 0.98;
constexpr int kPeakFractionSize = 2048;
constexpr double kMinPeakFraction = 0.70;
constexpr double kPeakProbeSeconds = 0.3;
char kInterleaveFlag[] = "--benchmark_enable_random_interleaving=true";

struct Matrices {
  std::vector<float> a, b, c;
  explicit Matrices(int n) : a(size_t(n) * n), b(size_t(n) * n), c(size_t(n) * n) {
    std::mt19937 rng(n);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (float& x : a) x = dist(rng);
    for (float& x : b) x = dist(rng);
  }
};

void SetFlopsCounter(benchmark::State& state, int n) {
  state.counters["FLOP/s"] =
      benchmark::Counter(2.0 * n * n * n, benchmark::Counter::kIsIterationInvariantRate,
                         benchmark::Counter::OneK::kIs1000);
}

void BM_SgemmWrapper(benchmark::State& state, int threads) {
  const int n = static_cast<int>(state.range(0));
  Matrices m(n);
  for (auto _ : state) {
    const absl::Status status = Sgemm(n, n, n, m.a.data(), m.b.data(), m.c.data(), threads);
    if (!status.ok()) {
      state.SkipWithError(std::string(status.message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(m.c.data());
  }
  SetFlopsCounter(state, n);
}

void BM_SgemmDirect(benchmark::State& state, int threads) {
  const int n = static_cast<int>(state.range(0));
  Matrices m(n);
  openblas_set_num_threads(threads);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, m.a.data(), n, m.b.data(),
                n, 0.0f, m.c.data(), n);
    benchmark::DoNotOptimize(m.c.data());
  }
  SetFlopsCounter(state, n);
}

// Prints the aggregates as the console reporter does and keeps the best
// GFLOP/s of each (benchmark, n) over the repetitions.
class BestRateReporter : public benchmark::ConsoleReporter {
 public:
  BestRateReporter() : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_Defaults : OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    std::vector<Run> aggregates;
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Aggregate) aggregates.push_back(run);
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      const int n = std::stoi(run.run_name.args);
      const double gflops = 2.0 * n * n * n * run.iterations / run.real_accumulated_time / 1e9;
      double& best = best_[{run.run_name.function_name, n}];
      best = std::max(best, gflops);
    }
    ConsoleReporter::ReportRuns(aggregates);
  }
  // 0 when the case did not run.
  double Best(const std::string& name, int n) const {
    const auto it = best_.find({name, n});
    return it == best_.end() ? 0.0 : it->second;
  }

 private:
  std::map<std::pair<std::string, int>, double> best_;
};

const char* Verdict(bool pass) { return pass ? "PASS" : "FAIL"; }

// Prints the table; returns whether every target passed.
bool PrintTable(const BestRateReporter& rates, double fma_peak) {
  bool all_pass = true;
  std::printf("\n%6s %14s %14s %7s %6s %10s %6s\n", "n", "wrapper GF/s", "direct GF/s", "ratio",
              ">=0.98", "of peak", ">=0.70");
  for (const Size& size : kSizes) {
    const int n = size.n;
    const double wrapper = rates.Best("sgemm_wrapper", n);
    const double direct = rates.Best("sgemm_direct", n);
    const double ratio = direct > 0 ? wrapper / direct : 0.0;
    const double fraction = wrapper / fma_peak;
    const bool ratio_pass = ratio >= kMinWrapperToDirect;
    all_pass &= ratio_pass;
    std::printf("%6d %14.1f %14.1f %7.3f %6s %9.1f%%", n, wrapper, direct, ratio,
                Verdict(ratio_pass), 100 * fraction);
    if (n == kPeakFractionSize) {
      const bool fraction_pass = fraction >= kMinPeakFraction;
      all_pass &= fraction_pass;
      std::printf(" %6s", Verdict(fraction_pass));
    }
    std::printf("\n");
  }
  std::printf("targets: %s\n", all_pass ? "all PASS" : "some FAIL");
  return all_pass;
}

// Best of three probe runs, as the sgemm figures are best of repetitions.
absl::StatusOr<PeakProbeResult> BestFmaPeak(int threads) {
  PeakProbeOptions options;
  options.threads = threads;
  options.target_seconds = kPeakProbeSeconds;
  absl::StatusOr<PeakProbeResult> best = ProbeFp32FmaPeak(options);
  for (int i = 1; i < 3 && best.ok(); ++i) {
    absl::StatusOr<PeakProbeResult> next = ProbeFp32FmaPeak(options);
    if (!next.ok() || next->value > best->value) best = std::move(next);
  }
  return best;
}

int Main(int argc, char** argv) {
  const absl::Status reexec = ReexecWithRecommendedOpenBlasCoretype(argc, argv);
  if (!reexec.ok()) {
    std::fprintf(stderr, "bench_blas: %s\n", reexec.ToString().c_str());
    return 2;
  }
  const OpenBlasInfo info = GetOpenBlasInfo();
  std::printf("OpenBLAS: %s\ncore: %s (OPENBLAS_CORETYPE=%s, recommended %s)\n",
              info.config.c_str(), info.corename.c_str(), info.coretype_env.c_str(),
              RecommendedOpenBlasCoretype(DetectCpuFeatures()).c_str());
  if (info.fallback) {
    std::fprintf(stderr,
                 "bench_blas: refusing to run: OpenBLAS core %s is a fallback for this CPU "
                 "(wants %s); unset OPENBLAS_CORETYPE or set it to the recommended value\n",
                 info.corename.c_str(), RecommendedOpenBlasCoretype(DetectCpuFeatures()).c_str());
    return 2;
  }
  WarnIfMachineBusy("bench_blas");
  const int threads = std::min(2, info.max_threads);
  const absl::StatusOr<PeakProbeResult> peak = BestFmaPeak(threads);
  if (!peak.ok()) {
    std::fprintf(stderr, "bench_blas: FMA peak probe: %s\n", peak.status().ToString().c_str());
    return 1;
  }
  std::printf("threads: %d\nFMA peak: %.1f GFLOP/s (%s, %d threads)\n", threads, peak->value,
              peak->variant.c_str(), peak->threads);

  // Our default first, so a flag on the command line overrides it.
  std::vector<char*> bench_argv = {argv[0], kInterleaveFlag};
  bench_argv.insert(bench_argv.end(), argv + 1, argv + argc + 1);  // with the null
  int bench_argc = argc + 1;
  benchmark::Initialize(&bench_argc, bench_argv.data());
  if (benchmark::ReportUnrecognizedArguments(bench_argc, bench_argv.data())) return 1;
  using BenchFn = void (*)(benchmark::State&, int);
  const std::pair<const char*, BenchFn> cases[] = {{"sgemm_wrapper", BM_SgemmWrapper},
                                                   {"sgemm_direct", BM_SgemmDirect}};
  for (const auto& [name, fn] : cases) {
    for (const auto [n, calls] : kSizes) {
      benchmark::RegisterBenchmark(name, fn, threads)
          ->Arg(n)
          ->Iterations(calls)
          ->Repetitions(kRepetitions)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
    }
  }
  BestRateReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return PrintTable(reporter, peak->value) ? 0 : 3;
}

}  // namespace
}  // namespace gridbench::kernels

int main(int argc, char** argv) { return gridbench::kernels::Main(argc, argv); }
