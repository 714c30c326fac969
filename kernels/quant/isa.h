// The instruction-set levels the quantized kernels are written for, and which
// of them this CPU can run.
//
// Each kernel has a scalar reference (kRef) and optimised versions per level.
// A level includes the ones below it: a kernel that has no version of its own
// at a level runs the best lower version (matmul.h reports which one ran).
//
// Thread-safety: pure functions over the cached CPU features.
#ifndef GRIDBENCH_KERNELS_QUANT_ISA_H_
#define GRIDBENCH_KERNELS_QUANT_ISA_H_

#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gridbench::kernels::quant {

enum class Isa {
  kRef = 0,         // Portable scalar C++.
  kAvx2 = 1,        // AVX2 + FMA + F16C.
  kAvx512Vnni = 2,  // AVX-512 F/BW/VL/DQ + AVX512_VNNI (vpdpbusd), plus kAvx2.
};

// "ref", "avx2", "avx512_vnni": the names results record.
std::string_view IsaName(Isa isa);

// The level named `name` (as IsaName spells it); INVALID_ARGUMENT otherwise.
absl::StatusOr<Isa> IsaFromName(std::string_view name);

// Whether this CPU (and OS) can run code for `isa`.
bool IsaSupported(Isa isa);

// OK if supported, else FAILED_PRECONDITION naming the level.
absl::Status CheckIsaSupported(Isa isa);

// The highest supported level.
Isa BestIsa();

// Every supported level, lowest first (always starts with kRef).
std::vector<Isa> SupportedIsas();

}  // namespace gridbench::kernels::quant

#endif  // GRIDBENCH_KERNELS_QUANT_ISA_H_
