#include "kernels/quant/isa.h"

#include "absl/strings/str_cat.h"
#include "kernels/cpu/cpu_features.h"

namespace gridbench::kernels::quant {

std::string_view IsaName(Isa isa) {
  switch (isa) {
    case Isa::kRef:
      return "ref";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512Vnni:
      return "avx512_vnni";
  }
  __builtin_trap();  // Isa values only come from the enumerators.
}

absl::StatusOr<Isa> IsaFromName(std::string_view name) {
  for (Isa isa : {Isa::kRef, Isa::kAvx2, Isa::kAvx512Vnni}) {
    if (IsaName(isa) == name) return isa;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown kernel variant \"", std::string(name),
                                                 "\"; expected ref, avx2 or avx512_vnni"));
}

bool IsaSupported(Isa isa) {
  const CpuFeatures& f = DetectCpuFeatures();
  const bool avx2 = f.avx2 && f.fma && f.f16c;
  switch (isa) {
    case Isa::kRef:
      return true;
    case Isa::kAvx2:
      return avx2;
    case Isa::kAvx512Vnni:
      return avx2 && f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.avx512_vnni;
  }
  return false;
}

absl::Status CheckIsaSupported(Isa isa) {
  if (IsaSupported(isa)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat("kernel variant ", std::string(IsaName(isa)),
                                                    " needs instructions this CPU lacks"));
}

Isa BestIsa() {
  if (IsaSupported(Isa::kAvx512Vnni)) return Isa::kAvx512Vnni;
  if (IsaSupported(Isa::kAvx2)) return Isa::kAvx2;
  return Isa::kRef;
}

std::vector<Isa> SupportedIsas() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::kRef, Isa::kAvx2, Isa::kAvx512Vnni}) {
    if (IsaSupported(isa)) out.push_back(isa);
  }
  return out;
}

}  // namespace gridbench::kernels::quant
