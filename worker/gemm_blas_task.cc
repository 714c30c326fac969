#include "worker/gemm_blas_task.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/sample_summary.h"
#include "common/status_macros.h"
#include "common/task_params.h"
#include "kernels/cpu/blas.h"
#include "kernels/cpu/cpu_features.h"
#include "worker/hardware_probe.h"

namespace gridbench::worker {
namespace {

using Clock = std::chrono::steady_clock;

// Progress is reported at most this often, so a run of many tiny
// repetitions does not flood the pipe.
constexpr auto kProgressInterval = std::chrono::milliseconds(200);

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

absl::StatusOr<int> ThreadsToUse(const GemmParams& p, const kernels::OpenBlasInfo& info) {
  if (p.threads == 0) return std::max(1, info.max_threads);
  if (p.threads > info.max_threads) {
    return absl::ResourceExhaustedError(absl::StrCat("params.threads: ", p.threads,
                                                     " asked for, but OpenBLAS here runs at most ",
                                                     info.max_threads));
  }
  return p.threads;
}

// Fraction of the run done: both the repetition count and the minimum time
// must be reached, so progress is the lesser of the two.
double Fraction(const GemmParams& p, size_t done, double elapsed) {
  double f = static_cast<double>(done) / p.repetitions;
  if (p.min_time_seconds > 0) f = std::min(f, elapsed / p.min_time_seconds);
  return std::min(f, 1.0);
}

google::protobuf::Struct ParamsDetails(const GemmParams& p, int threads) {
  google::protobuf::Struct details;
  auto& f = *details.mutable_fields();
  f["m"].set_number_value(static_cast<double>(p.m));
  f["n"].set_number_value(static_cast<double>(p.n));
  f["k"].set_number_value(static_cast<double>(p.k));
  f["threads"].set_number_value(threads);
  f["warmup"].set_number_value(p.warmup);
  f["repetitions"].set_number_value(p.repetitions);
  f["min_time_seconds"].set_number_value(p.min_time_seconds);
  f["seed"].set_number_value(static_cast<double>(p.seed));
  return details;
}

}  // namespace

absl::Status CheckGemmFitsInMemory(const GemmParams& p, uint64_t available) {
  const uint64_t floats = static_cast<uint64_t>(p.m * p.k + p.k * p.n + p.m * p.n);
  const uint64_t need = floats * sizeof(float);
  if (need > available) {
    return absl::ResourceExhaustedError(absl::StrCat("gemm ", p.m, "x", p.n, "x", p.k, " needs ",
                                                     need, " bytes for A, B and C but only ",
                                                     available, " bytes of memory are available"));
  }
  return absl::OkStatus();
}

void FillGemmInputs(uint64_t seed, std::span<float> a, std::span<float> b) {
  std::mt19937_64 gen(seed);
  auto draw = [&gen]() {
    return static_cast<float>(static_cast<double>(gen() >> 40) * 0x1p-23 - 1.0);
  };
  for (float& x : a) x = draw();
  for (float& x : b) x = draw();
}

std::string GemmChecksum(std::span<const float> c) {
  double sum = 0, sumsq = 0;
  for (float x : c) {
    sum += x;
    sumsq += static_cast<double>(x) * x;
  }
  char buf[96];
  std::snprintf(buf, sizeof(buf), "sum=%.17g sumsq=%.17g", sum, sumsq);
  return buf;
}

absl::StatusOr<gridbench::v1::ResultPayload> GemmBlasTask::Run(const gridbench::v1::TaskSpec& spec,
                                                               ProgressReporter& progress) const {
  const int64_t started = absl::ToUnixNanos(absl::Now());
  GB_ASSIGN_OR_RETURN(const GemmParams p, ParseGemmParams(spec.params()));
  const kernels::OpenBlasInfo info = kernels::GetOpenBlasInfo();
  GB_ASSIGN_OR_RETURN(const int threads, ThreadsToUse(p, info));
  GB_ASSIGN_OR_RETURN(const uint64_t available, ReadMeminfoBytes("MemAvailable"));
  GB_RETURN_IF_ERROR(CheckGemmFitsInMemory(p, available));
  std::vector<float> a(p.m * p.k), b(p.k * p.n), c(p.m * p.n);
  FillGemmInputs(p.seed, a, b);
  const int m = static_cast<int>(p.m), n = static_cast<int>(p.n), k = static_cast<int>(p.k);
  auto multiply = [&]() { return kernels::Sgemm(m, n, k, a.data(), b.data(), c.data(), threads); };

  progress.Report(0, "warming up");
  for (int i = 0; i < p.warmup; ++i) GB_RETURN_IF_ERROR(multiply());
  std::vector<double> samples;
  const Clock::time_point begin = Clock::now();
  Clock::time_point last_report = begin;
  while (true) {
    const double elapsed = Seconds(Clock::now() - begin);
    if (samples.size() >= static_cast<size_t>(p.repetitions) && elapsed >= p.min_time_seconds) {
      break;
    }
    const Clock::time_point t0 = Clock::now();
    GB_RETURN_IF_ERROR(multiply());
    const Clock::time_point t1 = Clock::now();
    samples.push_back(Seconds(t1 - t0));
    if (t1 - last_report >= kProgressInterval) {
      last_report = t1;
      progress.Report(Fraction(p, samples.size(), Seconds(t1 - begin)),
                      absl::StrCat(samples.size(), " repetitions"));
    }
  }

  gridbench::v1::ResultPayload out;
  out.set_kind("gemm");
  out.mutable_samples_seconds()->Assign(samples.begin(), samples.end());
  *out.mutable_summary() = SummarizeSamples(samples);
  const double flop =
      2.0 * static_cast<double>(p.m) * static_cast<double>(p.n) * static_cast<double>(p.k);
  auto& metrics = *out.mutable_metrics();
  metrics["gflops_median"] = flop / out.summary().median() / 1e9;
  metrics["gflops_best"] = flop / out.summary().min() / 1e9;
  metrics["threads"] = threads;
  auto& env = *out.mutable_environment();
  env["openblas_corename"] = info.corename;
  env["openblas_version"] = info.version;
  env["openblas_coretype"] = info.coretype_env;
  env["cpu_model"] = kernels::DetectCpuFeatures().brand;
  *out.mutable_details() = ParamsDetails(p, threads);
  out.set_checksum(GemmChecksum(c));
  out.set_started_unix_nanos(started);
  out.set_finished_unix_nanos(absl::ToUnixNanos(absl::Now()));
  progress.Report(1, absl::StrCat(samples.size(), " repetitions done"));
  return out;
}

}  // namespace gridbench::worker
