#include "worker/gemm_blas_task.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/task_params.h"
#include "kernels/cpu/blas.h"
#include "worker/hardware_probe.h"
#include "worker/kernel_inputs.h"
#include "worker/kernel_result.h"
#include "worker/peak_fraction.h"
#include "worker/timed_samples.h"

namespace gridbench::worker {
namespace {

absl::StatusOr<int> ThreadsToUse(const GemmParams& p, const kernels::OpenBlasInfo& info) {
  if (p.threads == 0) return std::max(1, info.max_threads);
  if (p.threads > info.max_threads) {
    return absl::ResourceExhaustedError(absl::StrCat("params.threads: ", p.threads,
                                                     " asked for, but OpenBLAS here runs at most ",
                                                     info.max_threads));
  }
  return p.threads;
}

}  // namespace

absl::StatusOr<gridbench::v1::ResultPayload> GemmBlasTask::Run(const gridbench::v1::TaskSpec& spec,
                                                               const TaskInputs& /*inputs*/,
                                                               ProgressReporter& progress) const {
  const int64_t started = absl::ToUnixNanos(absl::Now());
  GB_ASSIGN_OR_RETURN(const GemmParams p, ParseGemmParams(spec));
  const kernels::OpenBlasInfo info = kernels::GetOpenBlasInfo();
  GB_ASSIGN_OR_RETURN(const int threads, ThreadsToUse(p, info));
  GB_ASSIGN_OR_RETURN(const uint64_t available, ReadMeminfoBytes("MemAvailable"));
  GB_RETURN_IF_ERROR(CheckGemmFitsInMemory(p, available));
  std::vector<float> a(p.m * p.k), b(p.k * p.n), c(p.m * p.n);
  FillSeededInputs(p.timing.seed, {a, b});
  const int m = static_cast<int>(p.m), n = static_cast<int>(p.n), k = static_cast<int>(p.k);
  GB_ASSIGN_OR_RETURN(const std::vector<double> samples,
                      TimeHostRepetitions(p.timing, progress, [&]() {
                        return kernels::Sgemm(m, n, k, a.data(), b.data(), c.data(), threads);
                      }));

  const KernelWork work{2.0 * static_cast<double>(p.m) * static_cast<double>(p.n) * p.k, 0};
  gridbench::v1::ResultPayload out =
      KernelResult("gemm", "blas", samples, work, p.timing, OutputChecksum(c), started);
  (*out.mutable_metrics())["threads"] = threads;
  auto& env = *out.mutable_environment();
  env["openblas_corename"] = info.corename;
  env["openblas_version"] = info.version;
  env["openblas_coretype"] = info.coretype_env;
  SetGemmShapeDetails(out, p);
  SetDetail(out, "threads", threads);
  DeclarePeakBound(out, kCpuFp32FmaPeak);
  return out;
}

}  // namespace gridbench::worker
