// Quantized GEMV and GEMM on a 4096 x 14336 weight matrix (an FFN projection
// of a 7-8B model), on a pool of --threads threads (default 2).
//
//  GEMV is memory-bound: it is reported as GB/s of weight bytes read, beside
//  this machine's triad bandwidth (kernels/cpu/peak_probe.h, same thread
//  count); target ratio >= 0.75.
//  GEMM with 512 activation rows is compute-bound: reported as GFLOP/s
//  (2 * M * N * K); target >= 110 GFLOP/s.
//
// Beside wall-clock rates (which the verdicts use) each case reports its rate
// per CPU-second of the whole process, times the thread count: what the
// threads reach when they have their cores to themselves. On a shared, busy
// machine the two differ; the load average is printed with the table.
//
// Weights are random bit patterns with tame scales (speed does not depend on
// the values, and quantizing 59M floats with the K-quant reference would
// dominate the run). Prints Google Benchmark's output, then a table; exits 3
// if a target fails, 2 on a setup error.
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "benchmark/benchmark.h"
#include "kernels/cpu/peak_probe.h"
#include "kernels/parallel/thread_pool.h"
#include "kernels/quant/fp16.h"
#include "kernels/quant/matmul.h"

namespace gridbench::kernels::quant {
namespace {

constexpr int64_t kRows = 4096;
constexpr int64_t kCols = 14336;
constexpr int64_t kGemmBatch = 512;
constexpr double kGemvBandwidthRatioTarget = 0.75;
constexpr double kGemmGflopsTarget = 110.0;

// A rows x cols matrix of `type` with random quants and scales in
// [0.001, 0.05] (fp16 fields at their ggml offsets).
std::vector<char> RandomWeights(QuantType type, int64_t rows, int64_t cols) {
  std::vector<char> data(rows * RowBytes(type, cols));
  std::mt19937_64 rng(1);
  for (size_t i = 0; i + 8 <= data.size(); i += 8) {
    const uint64_t v = rng();
    std::memcpy(&data[i], &v, 8);
  }
  std::uniform_real_distribution<float> scale(0.001f, 0.05f);
  const size_t block = BlockBytes(type);
  for (size_t off = 0; off < data.size(); off += block) {
    char* p = &data[off];
    switch (type) {
      case QuantType::kF16:
      case QuantType::kQ8_0:
      case QuantType::kQ4_0:
      case QuantType::kQ4_K: {
        const uint16_t d = Fp32ToFp16(scale(rng));
        std::memcpy(p, &d, 2);
        if (type == QuantType::kQ4_K) std::memcpy(p + 2, &d, 2);
        break;
      }
      case QuantType::kQ6_K: {
        const uint16_t d = Fp32ToFp16(scale(rng));
        std::memcpy(p + offsetof(BlockQ6_K, d), &d, 2);
        break;
      }
      default:
        break;
    }
  }
  return data;
}

struct Fixture {
  std::unique_ptr<ThreadPool> pool;
  std::map<QuantType, std::vector<char>> weights;
  std::vector<float> x;
  std::vector<float> y;
};

Fixture& Shared() {
  static Fixture* f = new Fixture;
  return *f;
}

const std::vector<char>& WeightsFor(QuantType type) {
  Fixture& f = Shared();
  auto it = f.weights.find(type);
  if (it == f.weights.end()) it = f.weights.emplace(type, RandomWeights(type, kRows, kCols)).first;
  return it->second;
}

double ProcessCpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

void RunMatmul(benchmark::State& state, QuantType type, int64_t batch) {
  Fixture& f = Shared();
  const QuantMatrix w{type, kRows, kCols, WeightsFor(type).data()};
  const absl::StatusOr<Isa> isa = MatmulIsa(type, batch, BestIsa());
  if (!isa.ok()) return state.SkipWithError(isa.status().ToString().c_str());
  state.SetLabel(std::string(IsaName(*isa)));
  const double cpu_start = ProcessCpuSeconds();
  for (auto _ : state) {
    const absl::Status status =
        QuantizedGemm(w, f.x.data(), batch, f.y.data(), f.pool.get(), BestIsa());
    if (!status.ok()) return state.SkipWithError(status.ToString().c_str());
    benchmark::DoNotOptimize(f.y.data());
    benchmark::ClobberMemory();
  }
  const double cpu_seconds = ProcessCpuSeconds() - cpu_start;
  const double gb = static_cast<double>(RowBytes(type, kCols)) * kRows / 1e9;
  const double gflop = 2.0 * kRows * kCols * batch / 1e9;
  state.counters["GB/s"] = benchmark::Counter(gb, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] =
      benchmark::Counter(gflop, benchmark::Counter::kIsIterationInvariantRate);
  const double per_cpu = state.iterations() * Shared().pool->num_threads() / cpu_seconds;
  state.counters["GB/s_own_cores"] = gb * per_cpu;
  state.counters["GFLOP/s_own_cores"] = gflop * per_cpu;
}

// Keeps the best of each counter per benchmark name over repetitions.
class BestCounterReporter : public benchmark::ConsoleReporter {
 public:
  BestCounterReporter() : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_Defaults : OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      for (const auto& [name, counter] : run.counters) {
        double& best = best_[run.run_name.function_name][name];
        best = std::max(best, counter.value);
      }
    }
  }
  // 0 when the benchmark did not run.
  double Best(const std::string& bench, const std::string& counter) const {
    const auto it = best_.find(bench);
    if (it == best_.end()) return 0;
    const auto c = it->second.find(counter);
    return c == it->second.end() ? 0 : c->second;
  }

 private:
  std::map<std::string, std::map<std::string, double>> best_;
};

const char* Verdict(bool pass) { return pass ? "PASS" : "FAIL"; }

bool PrintTable(const BestCounterReporter& r, double triad_gbs, double int8_gops, int threads) {
  std::printf("\nquantized kernels, %lld x %lld weights, %d threads, best of repetitions\n",
              static_cast<long long>(kRows), static_cast<long long>(kCols), threads);
  std::string load;
  std::getline(std::ifstream("/proc/loadavg"), load);
  std::printf("load average at the end: %s (on %ld CPUs)\n", load.c_str(),
              sysconf(_SC_NPROCESSORS_ONLN));
  std::printf("%-14s %14s %24s %7s %-7s %s\n", "kernel", "achieved", "anchor", "ratio", "verdict",
              "own cores (per CPU-s x threads)");
  bool all_pass = true;
  for (const char* type : {"Q4_0", "Q8_0", "Q4_K", "Q6_K", "F16"}) {
    const double gbs = r.Best(std::string("gemv/") + type, "GB/s");
    if (gbs == 0) continue;  // Filtered out.
    const double ratio = gbs / triad_gbs;
    const bool pass = ratio >= kGemvBandwidthRatioTarget;
    all_pass &= pass;
    std::printf("%-14s %9.2f GB/s %13.2f GB/s triad %7.2f %-7s %.2f GB/s\n",
                (std::string("gemv ") + type).c_str(), gbs, triad_gbs, ratio, Verdict(pass),
                r.Best(std::string("gemv/") + type, "GB/s_own_cores"));
  }
  for (const char* type : {"Q4_0", "Q8_0"}) {
    const double gflops = r.Best(std::string("gemm512/") + type, "GFLOP/s");
    if (gflops == 0) continue;  // Filtered out.
    const double ratio = gflops / kGemmGflopsTarget;
    const bool pass = ratio >= 1.0;
    all_pass &= pass;
    std::printf("%-14s %6.1f GFLOP/s %11.1f GFLOP/s target %7.2f %-7s %.1f GFLOP/s\n",
                (std::string("gemm512 ") + type).c_str(), gflops, kGemmGflopsTarget, ratio,
                Verdict(pass), r.Best(std::string("gemm512/") + type, "GFLOP/s_own_cores"));
  }
  if (r.Best("gemm512/Q4_0", "GFLOP/s") > 0) {
    std::printf("gemm512 Q4_0 uses %.0f%% of the int8 dot peak (%.1f GOP/s)\n",
                100 * r.Best("gemm512/Q4_0", "GFLOP/s") / int8_gops, int8_gops);
  }
  std::printf("targets: gemv ratio >= %.2f, gemm >= %.0f GFLOP/s: %s\n", kGemvBandwidthRatioTarget,
              kGemmGflopsTarget, all_pass ? "all PASS" : "some FAIL");
  return all_pass;
}

int Main(int argc, char** argv) {
  int threads = 2;
  std::vector<char*> bench_argv = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) == 0) {
      if (!absl::SimpleAtoi(argv[i] + 10, &threads) || threads < 1) {
        std::fprintf(stderr, "bad --threads value: %s\n", argv[i] + 10);
        return 2;
      }
    } else {
      bench_argv.push_back(argv[i]);
    }
  }
  int bench_argc = static_cast<int>(bench_argv.size());
  benchmark::Initialize(&bench_argc, bench_argv.data());
  if (benchmark::ReportUnrecognizedArguments(bench_argc, bench_argv.data())) return 2;

  PeakProbeOptions probe;
  probe.threads = threads;
  probe.target_seconds = 0.5;
  const absl::StatusOr<PeakProbeResult> triad =
      ProbeTriadBandwidth(probe, DefaultTriadArrayElements());
  if (!triad.ok()) {
    std::fprintf(stderr, "triad bandwidth probe: %s\n", triad.status().ToString().c_str());
    return 2;
  }
  std::printf("triad bandwidth, %d threads: %.2f GB/s\n", threads, triad->value);
  // For context only: the int8 multiply-add peak the GEMM's vpdpbusd runs on.
  const absl::StatusOr<PeakProbeResult> int8_peak = ProbeInt8DotPeak(probe);
  if (!int8_peak.ok()) {
    std::fprintf(stderr, "int8 peak probe: %s\n", int8_peak.status().ToString().c_str());
    return 2;
  }
  std::printf("int8 dot peak (%s), %d threads: %.1f GOP/s\n", int8_peak->variant.c_str(), threads,
              int8_peak->value);

  Fixture& f = Shared();
  f.pool = std::make_unique<ThreadPool>(threads);
  std::mt19937 rng(2);
  std::normal_distribution<float> normal;
  f.x.resize(kGemmBatch * kCols);
  for (float& v : f.x) v = normal(rng);
  f.y.resize(kGemmBatch * kRows);

  for (QuantType type :
       {QuantType::kQ4_0, QuantType::kQ8_0, QuantType::kQ4_K, QuantType::kQ6_K, QuantType::kF16}) {
    const std::string name = std::string(QuantTypeName(type));
    benchmark::RegisterBenchmark(("gemv/" + name).c_str(),
                                 [type](benchmark::State& s) { RunMatmul(s, type, 1); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->MinTime(0.5)
        ->Repetitions(3);
  }
  for (QuantType type : {QuantType::kQ4_0, QuantType::kQ8_0}) {
    const std::string name = std::string(QuantTypeName(type));
    benchmark::RegisterBenchmark(("gemm512/" + name).c_str(),
                                 [type](benchmark::State& s) { RunMatmul(s, type, kGemmBatch); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(2)
        ->Repetitions(3);
  }
  BestCounterReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return PrintTable(reporter, triad->value, int8_peak->value, threads) ? 0 : 3;
}

}  // namespace
}  // namespace gridbench::kernels::quant

int main(int argc, char** argv) { return gridbench::kernels::quant::Main(argc, argv); }
