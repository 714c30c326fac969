#include "worker/kernel_inputs.h"

#include <random>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "worker/hardware_probe.h"

namespace gridbench::worker {

void FillSeededInputs(uint64_t seed, std::initializer_list<std::span<float>> spans) {
  std::mt19937_64 gen(seed);
  for (std::span<float> span : spans) {
    for (float& x : span) {
      x = static_cast<float>(static_cast<double>(gen() >> 40) * 0x1p-23 - 1.0);
    }
  }
}

absl::Status CheckFitsInMemory(std::string_view what, uint64_t need, uint64_t available) {
  if (need <= available) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(std::string(what), " needs ", need,
                                                   " bytes but only ", available,
                                                   " bytes of memory are available"));
}

absl::Status CheckGemmFitsInMemory(const GemmParams& p, uint64_t available) {
  const auto floats = static_cast<uint64_t>(p.m * p.k + p.k * p.n + p.m * p.n);
  return CheckFitsInMemory(absl::StrCat("gemm ", p.m, "x", p.n, "x", p.k, " (A, B and C)"),
                           floats * sizeof(float), available);
}

absl::Status CheckFitsInAvailableMemory(std::string_view what, uint64_t need) {
  GB_ASSIGN_OR_RETURN(const uint64_t available, ReadMeminfoBytes("MemAvailable"));
  return CheckFitsInMemory(what, need, available);
}

}  // namespace gridbench::worker
