#include "kernels/gguf/gguf_format.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gridbench::kernels::gguf {

int64_t GgufTensorInfo::element_count() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

absl::StatusOr<uint64_t> TensorByteSize(quant::QuantType type, std::span<const int64_t> shape) {
  if (shape.empty() || shape.size() > static_cast<size_t>(kGgufMaxDims)) {
    return absl::InvalidArgumentError(
        absl::StrCat(shape.size(), " dimensions; a tensor has 1 to ", kGgufMaxDims));
  }
  int64_t elements = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("dimension ", i, " is ", shape[i], "; dimensions must be at least 1"));
    }
    if (__builtin_mul_overflow(elements, shape[i], &elements)) {
      return absl::InvalidArgumentError(
          absl::StrCat("shape ", ShapeString(shape), " has more than 2^63 elements"));
    }
  }
  const int block = quant::BlockSize(type);
  if (shape[0] % block != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("row length ", shape[0], " is not a multiple of ",
                     std::string(quant::QuantTypeName(type)), "'s block size ", block));
  }
  int64_t bytes = 0;
  if (__builtin_mul_overflow(elements / block, static_cast<int64_t>(quant::BlockBytes(type)),
                             &bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("shape ", ShapeString(shape), " takes more than 2^63 bytes"));
  }
  return static_cast<uint64_t>(bytes);
}

std::string ShapeString(std::span<const int64_t> shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

}  // namespace gridbench::kernels::gguf
