#include "kernels/cpu/blas.h"

#include <cblas.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "absl/base/thread_annotations.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"

namespace gridbench::kernels {
namespace {

constexpr char kReexecMarker[] = "GRIDBENCH_OPENBLAS_REEXEC";

// Read during static initialisation, before main() can call setenv, so it is
// the value the OpenBLAS loader saw.
const std::string kCoretypeEnvAtStart = [] {
  const char* v = std::getenv("OPENBLAS_CORETYPE");
  return std::string(v == nullptr ? "" : v);
}();

// Instruction-set level of an OpenBLAS 0.3.21 x86-64 core: 1 SSE, 2 AVX,
// 3 AVX2 + FMA, 4 AVX-512.
int CoreLevel(std::string_view corename) {
  const std::string name = absl::AsciiStrToLower(std::string(corename));
  if (name == "skylakex" || name == "cooperlake" || name == "sapphirerapids") return 4;
  if (name == "haswell" || name == "zen" || name == "excavator") return 3;
  if (name == "sandybridge" || name == "bulldozer" || name == "piledriver" ||
      name == "steamroller") {
    return 2;
  }
  return 1;
}

// Serialises Sgemm calls and owns the thread count captured at first use.
class OpenBlasThreads {
 public:
  static OpenBlasThreads& Get() {
    static OpenBlasThreads* const instance = new OpenBlasThreads();
    return *instance;
  }
  int max_threads() const { return max_threads_; }
  absl::Mutex& mu() ABSL_LOCK_RETURNED(mu_) { return mu_; }

 private:
  OpenBlasThreads() : max_threads_(openblas_get_num_threads()) {}
  const int max_threads_;  // constant after construction
  absl::Mutex mu_;
};

}  // namespace

absl::Status Sgemm(int m, int n, int k, const float* a, const float* b, float* c, int threads) {
  if (m <= 0 || n <= 0 || k <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("Sgemm: sizes must be positive, got m=", m, " n=", n, " k=", k));
  }
  if (a == nullptr || b == nullptr || c == nullptr) {
    return absl::InvalidArgumentError("Sgemm: null matrix pointer");
  }
  constexpr int64_t kMaxElements = std::numeric_limits<int32_t>::max();
  if (int64_t{m} * k > kMaxElements || int64_t{k} * n > kMaxElements ||
      int64_t{m} * n > kMaxElements) {
    return absl::InvalidArgumentError(
        absl::StrCat("Sgemm: m=", m, " n=", n, " k=", k, " exceeds OpenBLAS's 32-bit index range"));
  }
  OpenBlasThreads& blas = OpenBlasThreads::Get();
  if (threads < 1 || threads > blas.max_threads()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Sgemm: threads must be in 1..", blas.max_threads(), ", got ", threads));
  }
  absl::MutexLock lock(&blas.mu());
  openblas_set_num_threads(threads);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
  return absl::OkStatus();
}

OpenBlasInfo GetOpenBlasInfo() {
  OpenBlasInfo info;
  info.config = std::string(absl::StripAsciiWhitespace(openblas_get_config()));
  // The config string starts "OpenBLAS <version> <build options...>".
  const size_t second_space = info.config.find(' ', info.config.find(' ') + 1);
  info.version = info.config.substr(0, second_space);
  info.corename = openblas_get_corename();
  info.max_threads = OpenBlasThreads::Get().max_threads();
  info.coretype_env = kCoretypeEnvAtStart;
  info.fallback = IsOpenBlasFallbackCore(info.corename, DetectCpuFeatures());
  return info;
}

std::string RecommendedOpenBlasCoretype(const CpuFeatures& cpu) {
  if (cpu.avx512f && cpu.avx512bw && cpu.avx512vl && cpu.avx512dq) return "SkylakeX";
  if (cpu.avx2 && cpu.fma) return "Haswell";
  return "";
}

bool IsOpenBlasFallbackCore(std::string_view corename, const CpuFeatures& cpu) {
  const std::string recommended = RecommendedOpenBlasCoretype(cpu);
  return !recommended.empty() && CoreLevel(corename) < CoreLevel(recommended);
}

absl::StatusOr<std::string> OpenBlasReexecCoretype(const CpuFeatures& cpu,
                                                   std::string_view loaded_corename,
                                                   const char* coretype_env,
                                                   const char* marker_env) {
  if (coretype_env != nullptr || !IsOpenBlasFallbackCore(loaded_corename, cpu)) return "";
  if (marker_env != nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "OpenBLAS still runs fallback core ", std::string(loaded_corename), " after re-executing (",
        kReexecMarker, " is set but OPENBLAS_CORETYPE is not)"));
  }
  return RecommendedOpenBlasCoretype(cpu);
}

absl::Status ReexecWithRecommendedOpenBlasCoretype(int argc, char** argv) {
  if (argc < 1 || argv == nullptr || argv[argc] != nullptr) {
    return absl::InvalidArgumentError(
        "ReexecWithRecommendedOpenBlasCoretype: argv must hold argc entries followed by a null "
        "pointer");
  }
  GB_ASSIGN_OR_RETURN(
      const std::string coretype,
      OpenBlasReexecCoretype(DetectCpuFeatures(), openblas_get_corename(),
                             std::getenv("OPENBLAS_CORETYPE"), std::getenv(kReexecMarker)));
  if (coretype.empty()) return absl::OkStatus();
  if (setenv("OPENBLAS_CORETYPE", coretype.c_str(), 1) != 0 || setenv(kReexecMarker, "1", 1) != 0) {
    return absl::InternalError(absl::StrCat("setenv failed: ", std::strerror(errno)));
  }
  execv("/proc/self/exe", argv);
  const int exec_errno = errno;
  unsetenv("OPENBLAS_CORETYPE");
  unsetenv(kReexecMarker);
  return absl::InternalError(absl::StrCat("re-executing /proc/self/exe with OPENBLAS_CORETYPE=",
                                          coretype, " failed: ", std::strerror(exec_errno)));
}

}  // namespace gridbench::kernels
