#include "worker/gemm_quant_task.h"

#include <vector>

#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/task_params.h"
#include "kernels/parallel/thread_pool.h"
#include "kernels/quant/matmul.h"
#include "worker/hardware_probe.h"
#include "worker/kernel_inputs.h"
#include "worker/kernel_result.h"
#include "worker/peak_fraction.h"
#include "worker/quant_weights.h"
#include "worker/timed_samples.h"

namespace gridbench::worker {

absl::StatusOr<gridbench::v1::ResultPayload> GemmQuantTask::Run(const gridbench::v1::TaskSpec& spec,
                                                                const TaskInputs& /*inputs*/,
                                                                ProgressReporter& progress) const {
  namespace quant = kernels::quant;
  const int64_t started = absl::ToUnixNanos(absl::Now());
  GB_ASSIGN_OR_RETURN(const GemmParams p, ParseGemmParams(spec));
  GB_ASSIGN_OR_RETURN(const quant::QuantType type, WeightTypeFromParam(p.weight_type));
  GB_ASSIGN_OR_RETURN(const int threads, QuantThreads(p.threads));
  GB_ASSIGN_OR_RETURN(const uint64_t available, ReadMeminfoBytes("MemAvailable"));
  // B is held twice (fp32 and transposed) while it is quantized.
  GB_RETURN_IF_ERROR(CheckGemmFitsInMemory(p, available / 2));

  std::vector<float> a(p.m * p.k), b(p.k * p.n), c(p.m * p.n);
  FillSeededInputs(p.timing.seed, {a, b});
  std::vector<float> bt(b.size());
  for (int64_t i = 0; i < p.k; ++i) {
    for (int64_t j = 0; j < p.n; ++j) bt[j * p.k + i] = b[i * p.n + j];
  }
  GB_ASSIGN_OR_RETURN(const std::unique_ptr<QuantizedWeights> w,
                      QuantizeWeights(type, bt, p.n, p.k));
  b = {};
  bt = {};
  GB_ASSIGN_OR_RETURN(const quant::Isa isa, quant::MatmulIsa(type, p.m, quant::BestIsa()));
  kernels::ThreadPool pool(threads);
  GB_ASSIGN_OR_RETURN(const std::vector<double> samples,
                      TimeHostRepetitions(p.timing, progress, [&]() {
                        return quant::QuantizedGemm(w->matrix, a.data(), p.m, c.data(), &pool);
                      }));

  const double flop = 2.0 * static_cast<double>(p.m) * static_cast<double>(p.n) * p.k;
  gridbench::v1::ResultPayload out =
      KernelResult("gemm", "quant", samples, {flop, 0}, p.timing, OutputChecksum(c), started);
  (*out.mutable_metrics())["threads"] = threads;
  (*out.mutable_metrics())["weight_bytes"] = static_cast<double>(w->bytes.size());
  (*out.mutable_environment())["weight_type"] = p.weight_type;
  (*out.mutable_environment())["quant_isa"] = std::string(quant::IsaName(isa));
  SetGemmShapeDetails(out, p);
  SetDetail(out, "threads", threads);
  DeclarePeakBound(out, kCpuInt8DotPeak);
  return out;
}

}  // namespace gridbench::worker
