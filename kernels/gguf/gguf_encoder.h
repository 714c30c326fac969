// Encodes the front of a GGUF version 3 file: header, metadata, tensor infos
// and the padding up to the data section (layout in gguf_format.h). Used by
// GgufWriter, and by tests and the fuzzer's seed corpus to build files in
// memory.
//
// The bytes depend only on the inputs: keys in table order, tensors in the
// given order, each tensor's offset the previous one's end rounded up to the
// alignment, padding bytes zero.
//
// Thread-safety: pure functions.
#ifndef GRIDBENCH_KERNELS_GGUF_GGUF_ENCODER_H_
#define GRIDBENCH_KERNELS_GGUF_GGUF_ENCODER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kernels/gguf/gguf_format.h"
#include "kernels/gguf/gguf_value.h"

namespace gridbench::kernels::gguf {

// A tensor to be written: what GgufTensorInfo holds less what the layout
// decides (offset, byte size).
struct GgufTensorSpec {
  std::string name;
  quant::QuantType type = quant::QuantType::kF32;
  std::vector<int64_t> shape;  // ggml order, shape[0] is the row length.
};

struct GgufLayout {
  std::string header;                   // Everything before the data section.
  std::vector<GgufTensorInfo> tensors;  // With offsets and byte sizes.
  uint32_t alignment = kGgufDefaultAlignment;
  uint64_t data_bytes = 0;  // Size of the data section, last tensor's padding included.
};

// Lays out a file with `metadata` and `tensors`. INVALID_ARGUMENT naming the
// tensor or key for: general.alignment that is not a UINT32 power of two; an
// empty, duplicate or over-long (kGgufMaxTensorNameBytes) tensor name; a shape
// TensorByteSize refuses.
absl::StatusOr<GgufLayout> LayOutGguf(const GgufMetadata& metadata,
                                      const std::vector<GgufTensorSpec>& tensors);

}  // namespace gridbench::kernels::gguf

#endif  // GRIDBENCH_KERNELS_GGUF_GGUF_ENCODER_H_
