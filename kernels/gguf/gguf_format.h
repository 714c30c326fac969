// Constants of the GGUF version 3 format and the description of one tensor,
// shared by the reader (gguf_reader.h) and the writer (gguf_writer.h).
//
// Layout of a file (all integers little-endian):
//   u32 magic "GGUF", u32 version (3), u64 tensor_count, u64 kv_count,
//   kv_count x {string key, u32 value type, value},
//   tensor_count x {string name, u32 n_dims, n_dims x u64 dim, u32 ggml type, u64 offset},
//   zero padding to the alignment, then the data section; each tensor's
//   offset is relative to the data section and a multiple of the alignment.
// A string is a u64 byte length followed by the bytes (no terminator); an
// array is u32 element type, u64 count, then the elements.
//
// Thread-safety: constants and pure functions.
#ifndef GRIDBENCH_KERNELS_GGUF_GGUF_FORMAT_H_
#define GRIDBENCH_KERNELS_GGUF_GGUF_FORMAT_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kernels/quant/quant_types.h"

namespace gridbench::kernels::gguf {

inline constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as a little-endian u32.
inline constexpr uint32_t kGgufVersion = 3;
inline constexpr uint32_t kGgufDefaultAlignment = 32;
inline constexpr char kGgufAlignmentKey[] = "general.alignment";
inline constexpr int kGgufMaxDims = 4;
// ggml's GGML_MAX_NAME is 64 including the terminator; longer names cannot be
// loaded by ggml, so the writer refuses them.
inline constexpr size_t kGgufMaxTensorNameBytes = 63;
// BF16 is a ggml type that gridbench does not handle; named in errors.
inline constexpr int kGgmlTypeBf16 = 30;

struct GgufTensorInfo {
  std::string name;
  quant::QuantType type = quant::QuantType::kF32;
  // ggml order: shape[0] (ne0) is the length of a row, the fastest-varying
  // index. 1 to kGgufMaxDims entries, each at least 1.
  std::vector<int64_t> shape;
  uint64_t offset = 0;     // From the start of the data section.
  uint64_t byte_size = 0;  // TensorByteSize(type, shape).

  int64_t element_count() const;
  bool operator==(const GgufTensorInfo&) const = default;
};

// Bytes taken by a tensor of `type` and `shape` (ggml order). INVALID_ARGUMENT
// (message without a field name; callers prefix theirs) for 0 or more than
// kGgufMaxDims dimensions, a dimension below 1, a shape whose element count or
// byte size does not fit in 63 bits, or a row (shape[0]) that is not a whole
// number of the type's blocks.
absl::StatusOr<uint64_t> TensorByteSize(quant::QuantType type, std::span<const int64_t> shape);

// "[4096, 32000]": a shape for messages.
std::string ShapeString(std::span<const int64_t> shape);

}  // namespace gridbench::kernels::gguf

#endif  // GRIDBENCH_KERNELS_GGUF_GGUF_FORMAT_H_
