// Checked quantization and dequantization of whole tensors.
//
// A tensor is `rows` rows of `cols` values, row-major. Quantized rows are
// stored back to back, each RowBytes(type, cols) bytes, exactly as in a GGUF
// tensor of that type, so data quantized here can be written to a GGUF file
// and data read from one can be dequantized here.
//
// Thread-safety: pure functions; concurrent calls on distinct outputs are safe.
#ifndef GRIDBENCH_KERNELS_QUANT_QUANTIZE_H_
#define GRIDBENCH_KERNELS_QUANT_QUANTIZE_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "kernels/quant/quant_types.h"

namespace gridbench::kernels::quant {

// OK if all n values are finite; otherwise INVALID_ARGUMENT naming the tensor,
// the first bad flat index (and its row and column when cols > 0) and whether
// it is NaN or infinite.
absl::Status CheckFinite(std::string_view tensor_name, const float* x, int64_t n, int64_t cols = 0);

// Quantizes `rows` x `cols` floats into `out`, which must hold
// rows * RowBytes(type, cols) bytes, with the reference procedure of each
// type (quantize_ref.h). F32 is a copy and F16 a rounding conversion.
// Errors (INVALID_ARGUMENT, nothing written): rows < 0; cols not a positive
// multiple of BlockSize(type); a NaN or infinity in x (named by
// `tensor_name` and index). rows == 0 is OK and writes nothing.
absl::Status Quantize(QuantType type, std::string_view tensor_name, const float* x, int64_t rows,
                      int64_t cols, void* out);

// The inverse: writes rows * cols floats to `out`. Errors as for Quantize
// except that the data is not checked (a quantized tensor's scales are what
// they are, including fp16 infinities).
absl::Status Dequantize(QuantType type, const void* data, int64_t rows, int64_t cols, float* out);

}  // namespace gridbench::kernels::quant

#endif  // GRIDBENCH_KERNELS_QUANT_QUANTIZE_H_
