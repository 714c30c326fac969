#include "worker/kernel_result.h"

#include <cstdio>

#include "absl/time/clock.h"
#include "common/sample_summary.h"
#include "kernels/cpu/cpu_features.h"

namespace gridbench::worker {

std::string OutputChecksum(std::span<const float> output) {
  double sum = 0, sumsq = 0;
  for (float x : output) {
    sum += x;
    sumsq += static_cast<double>(x) * x;
  }
  char buf[96];
  std::snprintf(buf, sizeof(buf), "sum=%.17g sumsq=%.17g", sum, sumsq);
  return buf;
}

void SetDetail(gridbench::v1::ResultPayload& result, const std::string& name, double value) {
  (*result.mutable_details()->mutable_fields())[name].set_number_value(value);
}

gridbench::v1::ResultPayload KernelResult(std::string_view kind, std::string_view backend,
                                          const std::vector<double>& samples,
                                          const KernelWork& work, const TimingParams& timing,
                                          std::string checksum, int64_t started_unix_nanos) {
  gridbench::v1::ResultPayload out;
  out.set_kind(std::string(kind));
  out.mutable_samples_seconds()->Assign(samples.begin(), samples.end());
  *out.mutable_summary() = SummarizeSamples(samples);
  auto& metrics = *out.mutable_metrics();
  metrics["gflops_median"] = work.flop / out.summary().median() / 1e9;
  metrics["gflops_best"] = work.flop / out.summary().min() / 1e9;
  if (work.bytes > 0) {
    metrics["gbps_median"] = work.bytes / out.summary().median() / 1e9;
    metrics["gbps_best"] = work.bytes / out.summary().min() / 1e9;
  }
  auto& env = *out.mutable_environment();
  env["backend"] = std::string(backend);
  env["cpu_model"] = kernels::DetectCpuFeatures().brand;
  SetDetail(out, "warmup", timing.warmup);
  SetDetail(out, "repetitions", timing.repetitions);
  SetDetail(out, "min_time_seconds", timing.min_time_seconds);
  SetDetail(out, "seed", static_cast<double>(timing.seed));
  out.set_checksum(std::move(checksum));
  out.set_started_unix_nanos(started_unix_nanos);
  out.set_finished_unix_nanos(absl::ToUnixNanos(absl::Now()));
  return out;
}

void SetGemmShapeDetails(gridbench::v1::ResultPayload& result, const GemmParams& p) {
  SetDetail(result, "m", static_cast<double>(p.m));
  SetDetail(result, "n", static_cast<double>(p.n));
  SetDetail(result, "k", static_cast<double>(p.k));
}

}  // namespace gridbench::worker
