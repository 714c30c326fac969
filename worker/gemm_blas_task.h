// Task kind "gemm" on backend "blas": times fp32 C = A * B through OpenBLAS
// (kernels/cpu/blas.h) with parameters as in common/task_params.h.
#ifndef GRIDBENCH_WORKER_GEMM_BLAS_TASK_H_
#define GRIDBENCH_WORKER_GEMM_BLAS_TASK_H_

#include <cstdint>
#include <span>
#include <string>

#include "common/task_params.h"
#include "worker/task_kind.h"

namespace gridbench::worker {

// Fills `a` then `b` with the generator std::mt19937_64 seeded with `seed`:
// `a` takes the first a.size() draws, `b` the next b.size(). Each draw x
// becomes (x >> 40) * 2^-23 - 1, a float in [-1, 1) with 24 random bits.
// This is spelled out rather than using std::uniform_real_distribution, whose
// algorithm the standard leaves to each library, so anyone can regenerate the
// exact inputs of a published result.
void FillGemmInputs(uint64_t seed, std::span<float> a, std::span<float> b);

// The checksum stored with a gemm result: "sum=<S> sumsq=<Q>", the sum and
// the sum of squares of C's elements, accumulated in double in row-major
// order and printed with 17 significant digits. A bit-exact hash of C would
// differ between OpenBLAS cores and thread counts (they sum in different
// orders); these two agree to about 1e-6 relative across them, while a
// skipped, partial or wrong product moves them far more (sumsq catches lost
// magnitude, sum catches sign and placement errors).
std::string GemmChecksum(std::span<const float> c);

// RESOURCE_EXHAUSTED, naming both sizes, when A, B and C of `params` need
// more than `available_bytes`.
absl::Status CheckGemmFitsInMemory(const GemmParams& params, uint64_t available_bytes);

// Thread-safe (it keeps no state).
class GemmBlasTask final : public TaskKind {
 public:
  std::string_view Name() const override { return "gemm"; }
  std::string_view Backend() const override { return "blas"; }

  // Metrics: gflops_median (2*m*n*k / median seconds / 1e9), gflops_best
  // (same over the fastest sample), threads. Environment: openblas_corename,
  // openblas_version, openblas_coretype (the OPENBLAS_CORETYPE this process
  // started with), cpu_model. Details: the parameters used.
  // RESOURCE_EXHAUSTED before allocating when A, B and C do not fit in the
  // memory available, or when more threads are asked for than OpenBLAS has.
  absl::StatusOr<gridbench::v1::ResultPayload> Run(const gridbench::v1::TaskSpec& spec,
                                                   ProgressReporter& progress) const override;
};

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_GEMM_BLAS_TASK_H_
