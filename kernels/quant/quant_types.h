// Quantized tensor types and their block layouts, byte-compatible with
// GGUF/ggml so that tensors read from a GGUF file can be used as they are.
//
// Every type stores a row as consecutive blocks of BlockSize(type) values
// taking BlockBytes(type) bytes each; a row's length must be a multiple of the
// block size. Multi-byte fields are little-endian, as on the x86-64 hosts we
// run on. fp16 fields hold IEEE binary16 bit patterns (see fp16.h).
//
// Thread-safety: everything here is a pure function or a constant.
#ifndef GRIDBENCH_KERNELS_QUANT_QUANT_TYPES_H_
#define GRIDBENCH_KERNELS_QUANT_QUANT_TYPES_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gridbench::kernels::quant {

// Values in a Q8_0 / Q4_0 block.
inline constexpr int kQK0 = 32;
// Values in a K-quant super-block.
inline constexpr int kQKK = 256;

// ggml's block_q8_0: value i = qs[i] * d.
struct BlockQ8_0 {
  uint16_t d;  // fp16 scale
  int8_t qs[kQK0];
};
static_assert(sizeof(BlockQ8_0) == 34, "must match ggml block_q8_0");

// ggml's block_q4_0: value i = (q_i - 8) * d, where q_i is the low nibble of
// qs[i] for i < 16 and the high nibble of qs[i - 16] otherwise.
struct BlockQ4_0 {
  uint16_t d;  // fp16 scale
  uint8_t qs[kQK0 / 2];
};
static_assert(sizeof(BlockQ4_0) == 18, "must match ggml block_q4_0");

// ggml's block_q4_K: 8 sub-blocks of 32 values; sub-block j has a 6-bit scale
// sc_j and a 6-bit min m_j packed into `scales` (see UnpackQ4KScaleMin), and
// value = d * sc_j * q - dmin * m_j with q a 4-bit quant. In each 64-value
// chunk c of the super-block, qs[32c + l] holds value 64c + l in its low
// nibble and value 64c + 32 + l in its high nibble.
struct BlockQ4_K {
  uint16_t d;     // fp16 super-block scale for the sub-block scales
  uint16_t dmin;  // fp16 super-block scale for the sub-block mins
  uint8_t scales[12];
  uint8_t qs[kQKK / 2];
};
static_assert(sizeof(BlockQ4_K) == 144, "must match ggml block_q4_K");

// ggml's block_q6_K: 16 sub-blocks of 16 values, value = d * scales[j] *
// (q - 32) with q a 6-bit quant: low 4 bits in ql, high 2 bits in qh (layout
// in the dequantizer, quantize.cc).
struct BlockQ6_K {
  uint8_t ql[kQKK / 2];
  uint8_t qh[kQKK / 4];
  int8_t scales[kQKK / 16];
  uint16_t d;  // fp16 super-block scale
};
static_assert(sizeof(BlockQ6_K) == 210, "must match ggml block_q6_K");

// ggml's block_q8_K, the activation format for K-quant dot products:
// value = qs[i] * d; bsums[j] = sum of qs[16j .. 16j+15].
struct BlockQ8_K {
  float d;
  int8_t qs[kQKK];
  int16_t bsums[kQKK / 16];
};
static_assert(sizeof(BlockQ8_K) == 292, "must match ggml block_q8_K");

// The tensor element types gridbench handles. Values are ggml's type ids
// (ggml_type / GGUF tensor type), so they can be stored and compared as is.
enum class QuantType : int {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ8_0 = 8,
  kQ4_K = 12,
  kQ6_K = 14,
  kQ8_K = 15,
};

// Every QuantType, in ggml id order.
std::span<const QuantType> AllQuantTypes();

// GGUF's name for the type: "F32", "F16", "Q4_0", "Q8_0", "Q4_K", "Q6_K",
// "Q8_K".
std::string_view QuantTypeName(QuantType type);

// The type with GGUF name `name` (exact, case-sensitive); INVALID_ARGUMENT
// naming it otherwise.
absl::StatusOr<QuantType> QuantTypeFromName(std::string_view name);

// The type with ggml id `id`; INVALID_ARGUMENT for ids gridbench does not
// handle.
absl::StatusOr<QuantType> QuantTypeFromGgmlId(int id);

inline int GgmlTypeId(QuantType type) { return static_cast<int>(type); }

// Values per block (1 for F32 and F16).
int BlockSize(QuantType type);

// Bytes per block.
size_t BlockBytes(QuantType type);

// OK if a row of `n` values is a whole number of blocks; otherwise
// INVALID_ARGUMENT naming the row length, the type and its block size.
absl::Status CheckRowLength(QuantType type, int64_t n);

// Bytes taken by a row of `n` values, n a multiple of BlockSize(type).
inline size_t RowBytes(QuantType type, int64_t n) {
  return static_cast<size_t>(n / BlockSize(type)) * BlockBytes(type);
}

// Sub-block j (0..7) scale and min of a Q4_K block, unpacked from the 12-byte
// `scales` field: j < 4 keep 6 bits in bytes j and j+4; j >= 4 keep their low
// 4 bits in byte j+4 and their high 2 bits in the top bits of bytes j-4 (scale)
// and j (min).
inline void UnpackQ4KScaleMin(int j, const uint8_t* scales, uint8_t* scale, uint8_t* min) {
  if (j < 4) {
    *scale = scales[j] & 63;
    *min = scales[j + 4] & 63;
  } else {
    *scale = (scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4);
    *min = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
  }
}

}  // namespace gridbench::kernels::quant

#endif  // GRIDBENCH_KERNELS_QUANT_QUANT_TYPES_H_
