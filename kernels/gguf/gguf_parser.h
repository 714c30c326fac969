// Parses and validates the bytes of a GGUF version 3 file (layout in
// gguf_format.h). Everything is checked against the size of `bytes` before it
// is read, so any input, however corrupt, gives either the file's contents or
// an error; never a crash or a read outside `bytes`.
//
// Errors are INVALID_ARGUMENT, with a message naming the field and the byte
// offset where it was read, e.g.
//   "tensor_info[3].offset: 1234 + 4096 bytes runs past the end of the file
//    (5000 bytes) at offset 812"
// A truncated file is reported the same way ("... needs 8 bytes but the file
// ends at 815 (truncated?)"). Refused: a bad magic; versions other than 3;
// counts that cannot fit in the bytes left; strings and arrays longer than
// the bytes left; unknown value types; booleans other than 0 or 1; arrays
// nested deeper than kMaxArrayDepth; duplicate keys or tensor names;
// general.alignment that is not a UINT32 power of two; tensors with 0 or more
// than 4 dimensions, a dimension below 1, an element count or byte size past
// 2^63, a row that is not whole blocks, a ggml type gridbench does not handle
// (quant_types.h); tensor offsets that are not a multiple of the alignment,
// that run past the end of the file, or whose bytes overlap another tensor's.
//
// Thread-safety: a pure function.
#ifndef GRIDBENCH_KERNELS_GGUF_GGUF_PARSER_H_
#define GRIDBENCH_KERNELS_GGUF_GGUF_PARSER_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "kernels/gguf/gguf_format.h"
#include "kernels/gguf/gguf_value.h"

namespace gridbench::kernels::gguf {

// GGUF itself has no limit; two levels (an array of string arrays) is the
// deepest any known writer uses.
inline constexpr int kMaxArrayDepth = 4;

struct GgufContents {
  GgufMetadata metadata;
  std::vector<GgufTensorInfo> tensors;  // In file order.
  uint32_t alignment = kGgufDefaultAlignment;
  uint64_t data_offset = 0;  // Where the data section starts in the file.
};

absl::StatusOr<GgufContents> ParseGguf(std::span<const uint8_t> bytes);

}  // namespace gridbench::kernels::gguf

#endif  // GRIDBENCH_KERNELS_GGUF_GGUF_PARSER_H_
