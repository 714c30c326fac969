// fp32 GEMM through OpenBLAS, and what OpenBLAS build and core this process
// runs.
//
// OpenBLAS picks its kernels ("core") once, when the library loads, from the
// CPU model or the OPENBLAS_CORETYPE environment variable. A CPU model that
// the installed OpenBLAS does not know makes it fall back silently to generic
// SSE kernels ("Prescott"), several times slower. GetOpenBlasInfo().fallback
// detects that; ReexecWithRecommendedOpenBlasCoretype() fixes it for programs
// that run kernels in their own process.
//
// Thread-safety: every function may be called from any thread. Sgemm calls
// are serialised (OpenBLAS's thread count is process-global).
#ifndef GRIDBENCH_KERNELS_CPU_BLAS_H_
#define GRIDBENCH_KERNELS_CPU_BLAS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kernels/cpu/cpu_features.h"

namespace gridbench::kernels {

// C[m x n] = A[m x k] * B[k x n], row-major fp32 with no padding (leading
// dimensions k, n, n), through OpenBLAS cblas_sgemm using `threads` threads.
// `threads` must be in 1..GetOpenBlasInfo().max_threads; the count is set
// per call, under a mutex that serialises all Sgemm calls. C is overwritten;
// it must not overlap A or B.
// Errors: INVALID_ARGUMENT for non-positive sizes, null pointers, a bad
// thread count or m*k, k*n or m*n beyond OpenBLAS's 32-bit index range.
absl::Status Sgemm(int m, int n, int k, const float* a, const float* b, float* c, int threads);

struct OpenBlasInfo {
  std::string version;       // "OpenBLAS 0.3.21", the head of openblas_get_config()
  std::string config;        // the full openblas_get_config() string
  std::string corename;      // openblas_get_corename(), e.g. "SkylakeX"
  int max_threads = 0;       // openblas_get_num_threads() when this module first used OpenBLAS
  std::string coretype_env;  // OPENBLAS_CORETYPE as this process saw it at start ("" if unset)
  // True when the core OpenBLAS picked is slower than what this CPU supports
  // (e.g. Prescott on an AVX2/AVX-512 CPU); see IsOpenBlasFallbackCore.
  bool fallback = false;
};
OpenBlasInfo GetOpenBlasInfo();

// The OPENBLAS_CORETYPE value that gives this CPU's fastest kernels in
// OpenBLAS 0.3.21: "SkylakeX" for AVX-512 (F, BW, VL, DQ), "Haswell" for
// AVX2 + FMA, "" for older CPUs, where OpenBLAS's own choice is right.
std::string RecommendedOpenBlasCoretype(const CpuFeatures& cpu);

// True when `corename` (as openblas_get_corename() reports it) uses an older
// instruction set than RecommendedOpenBlasCoretype(cpu): Prescott or
// Sandybridge on an AVX2 CPU, Haswell or Zen on an AVX-512 CPU. Core names
// this function does not know count as SSE-only cores.
bool IsOpenBlasFallbackCore(std::string_view corename, const CpuFeatures& cpu);

// The decision ReexecWithRecommendedOpenBlasCoretype makes, without side
// effects: the OPENBLAS_CORETYPE to re-execute with, or "" when no re-exec
// is needed (`coretype_env` non-null: the user chose; or `loaded_corename` is
// not a fallback for `cpu`). FAILED_PRECONDITION when a re-exec would be
// needed but `marker_env` (GRIDBENCH_OPENBLAS_REEXEC) is non-null, i.e. this
// process already is the re-executed one.
absl::StatusOr<std::string> OpenBlasReexecCoretype(const CpuFeatures& cpu,
                                                   std::string_view loaded_corename,
                                                   const char* coretype_env,
                                                   const char* marker_env);

// For programs that run kernels in-process (bench, tests): if
// OPENBLAS_CORETYPE is unset and the loaded core is a fallback core, sets
// OPENBLAS_CORETYPE to the recommended value and re-executes /proc/self/exe
// with the same argv (argv[argc] must be null). An environment marker
// (GRIDBENCH_OPENBLAS_REEXEC) guards against exec loops.
// Returns OK without re-executing when OPENBLAS_CORETYPE is already set (the
// user's choice wins) or the loaded core is already right; otherwise returns
// only on failure: FAILED_PRECONDITION when the marker shows this process is
// already the re-executed one, INTERNAL when execv fails (with errno text),
// INVALID_ARGUMENT for a bad argc/argv.
absl::Status ReexecWithRecommendedOpenBlasCoretype(int argc, char** argv);

}  // namespace gridbench::kernels

#endif  // GRIDBENCH_KERNELS_CPU_BLAS_H_
