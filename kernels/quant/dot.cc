#include "kernels/quant/dot.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kernels/quant/kernel_table.h"

namespace gridbench::kernels::quant {

namespace internal {

absl::StatusOr<VecDotFn KernelTable::*> DotMember(QuantType weights) {
  switch (weights) {
    case QuantType::kF32:
      return &KernelTable::dot_f32;
    case QuantType::kF16:
      return &KernelTable::dot_f16;
    case QuantType::kQ8_0:
      return &KernelTable::dot_q8_0;
    case QuantType::kQ4_0:
      return &KernelTable::dot_q4_0;
    case QuantType::kQ4_K:
      return &KernelTable::dot_q4_K;
    case QuantType::kQ6_K:
      return &KernelTable::dot_q6_K;
    case QuantType::kQ8_K:
      break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(QuantTypeName(weights)),
                   " is an activation format; it has no dot product as weights"));
}

}  // namespace internal

using internal::DotMember;
using internal::KernelTable;
using internal::VecDotFn;

absl::StatusOr<QuantType> ActivationTypeFor(QuantType weights) {
  switch (weights) {
    case QuantType::kF32:
    case QuantType::kF16:
      return QuantType::kF32;
    case QuantType::kQ8_0:
    case QuantType::kQ4_0:
      return QuantType::kQ8_0;
    case QuantType::kQ4_K:
    case QuantType::kQ6_K:
      return QuantType::kQ8_K;
    case QuantType::kQ8_K:
      break;
  }
  return DotMember(weights).status();
}

absl::StatusOr<Isa> DotIsa(QuantType weights, Isa requested) {
  GB_RETURN_IF_ERROR(CheckIsaSupported(requested));
  GB_ASSIGN_OR_RETURN(VecDotFn KernelTable::*member, DotMember(weights));
  Isa used;
  internal::Resolve(requested, member, &used);
  return used;
}

absl::StatusOr<float> VecDot(QuantType weights, int64_t n, const void* w, const void* a, Isa isa) {
  GB_RETURN_IF_ERROR(CheckIsaSupported(isa));
  GB_ASSIGN_OR_RETURN(VecDotFn KernelTable::*member, DotMember(weights));
  GB_RETURN_IF_ERROR(CheckRowLength(weights, n));
  return internal::Resolve(isa, member, nullptr)(n, w, a);
}

}  // namespace gridbench::kernels::quant
