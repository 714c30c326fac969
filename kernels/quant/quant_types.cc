#include "kernels/quant/quant_types.h"

#include <array>

#include "absl/strings/str_cat.h"

namespace gridbench::kernels::quant {
namespace {

struct TypeTraits {
  QuantType type;
  std::string_view name;
  int block_size;
  size_t block_bytes;
};

constexpr std::array<TypeTraits, 7> kTraits = {{
    {QuantType::kF32, "F32", 1, sizeof(float)},
    {QuantType::kF16, "F16", 1, sizeof(uint16_t)},
    {QuantType::kQ4_0, "Q4_0", kQK0, sizeof(BlockQ4_0)},
    {QuantType::kQ8_0, "Q8_0", kQK0, sizeof(BlockQ8_0)},
    {QuantType::kQ4_K, "Q4_K", kQKK, sizeof(BlockQ4_K)},
    {QuantType::kQ6_K, "Q6_K", kQKK, sizeof(BlockQ6_K)},
    {QuantType::kQ8_K, "Q8_K", kQKK, sizeof(BlockQ8_K)},
}};

constexpr std::array<QuantType, 7> kAllTypes = {
    QuantType::kF32,  QuantType::kF16,  QuantType::kQ4_0, QuantType::kQ8_0,
    QuantType::kQ4_K, QuantType::kQ6_K, QuantType::kQ8_K};

// QuantType values are only ever made from the enumerators, so a type that is
// not in the table is a programming error.
const TypeTraits& Traits(QuantType type) {
  for (const TypeTraits& t : kTraits) {
    if (t.type == type) return t;
  }
  __builtin_trap();
}

}  // namespace

std::span<const QuantType> AllQuantTypes() { return kAllTypes; }

std::string_view QuantTypeName(QuantType type) { return Traits(type).name; }

absl::StatusOr<QuantType> QuantTypeFromName(std::string_view name) {
  for (const TypeTraits& t : kTraits) {
    if (t.name == name) return t.type;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown quantization type \"", std::string(name),
                                                 "\"; expected one of F32, F16, Q4_0, Q8_0, Q4_K, "
                                                 "Q6_K, Q8_K"));
}

absl::StatusOr<QuantType> QuantTypeFromGgmlId(int id) {
  for (const TypeTraits& t : kTraits) {
    if (static_cast<int>(t.type) == id) return t.type;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("ggml type id ", id, " is not a type gridbench handles"));
}

int BlockSize(QuantType type) { return Traits(type).block_size; }

size_t BlockBytes(QuantType type) { return Traits(type).block_bytes; }

absl::Status CheckRowLength(QuantType type, int64_t n) {
  const int block = BlockSize(type);
  if (n <= 0 || n % block != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("row length ", n, " is not a positive multiple of the ",
                     std::string(QuantTypeName(type)), " block size ", block));
  }
  return absl::OkStatus();
}

}  // namespace gridbench::kernels::quant
