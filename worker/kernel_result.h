// The parts of a result every kernel benchmark kind (gemm, gemv on each
// backend) fills in the same way.
//
// Thread-safe (nothing here keeps state).
#ifndef GRIDBENCH_WORKER_KERNEL_RESULT_H_
#define GRIDBENCH_WORKER_KERNEL_RESULT_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/task_params.h"
#include "gridbench/v1/common.pb.h"

namespace gridbench::worker {

// The checksum stored with a kernel result: "sum=<S> sumsq=<Q>", the sum and
// the sum of squares of the output's elements, accumulated in double in
// order and printed with 17 significant digits. A bit-exact hash would
// differ between cores and thread counts (they sum in different orders);
// these two agree to about 1e-6 relative across them, while a skipped,
// partial or wrong product moves them far more (sumsq catches lost
// magnitude, sum catches sign and placement errors).
std::string OutputChecksum(std::span<const float> output);

// What one run of the kernel does: floating-point (or int8) operations, a
// multiply-add counting 2, and bytes of weights read (0 when not the bound).
struct KernelWork {
  double flop = 0;
  double bytes = 0;
};

// A result with kind, samples and their summary, the metrics gflops_median
// and gflops_best (work.flop over the median and the fastest sample, in
// 10^9/s), gbps_median and gbps_best when work.bytes > 0, environment
// "backend" and "cpu_model", details holding the timing parameters, the
// checksum, `started_unix_nanos` and now as the finish time. Kinds add
// their own metrics, environment and details to it.
gridbench::v1::ResultPayload KernelResult(std::string_view kind, std::string_view backend,
                                          const std::vector<double>& samples,
                                          const KernelWork& work, const TimingParams& timing,
                                          std::string checksum, int64_t started_unix_nanos);

// Sets details[name] to a number.
void SetDetail(gridbench::v1::ResultPayload& result, const std::string& name, double value);

// Sets details m, n and k of a gemm result, on every backend.
void SetGemmShapeDetails(gridbench::v1::ResultPayload& result, const GemmParams& p);

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_KERNEL_RESULT_H_
