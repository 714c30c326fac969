#include "kernels/quant/quantize.h"

#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kernels/quant/fp16.h"
#include "kernels/quant/quantize_ref.h"

namespace gridbench::kernels::quant {
namespace {

absl::Status CheckShape(QuantType type, int64_t rows, int64_t cols) {
  if (rows < 0) return absl::InvalidArgumentError(absl::StrCat("row count ", rows, " is negative"));
  return CheckRowLength(type, cols);
}

void QuantizeRow(QuantType type, const float* x, int64_t n, void* out) {
  switch (type) {
    case QuantType::kF32:
      std::memcpy(out, x, n * sizeof(float));
      return;
    case QuantType::kF16:
      Fp32ToFp16Row(x, static_cast<uint16_t*>(out), n);
      return;
    case QuantType::kQ8_0:
      return QuantizeRowQ8_0Ref(x, static_cast<BlockQ8_0*>(out), n);
    case QuantType::kQ4_0:
      return QuantizeRowQ4_0Ref(x, static_cast<BlockQ4_0*>(out), n);
    case QuantType::kQ4_K:
      return QuantizeRowQ4_KRef(x, static_cast<BlockQ4_K*>(out), n);
    case QuantType::kQ6_K:
      return QuantizeRowQ6_KRef(x, static_cast<BlockQ6_K*>(out), n);
    case QuantType::kQ8_K:
      return QuantizeRowQ8_KRef(x, static_cast<BlockQ8_K*>(out), n);
  }
}

void DequantizeRow(QuantType type, const void* data, int64_t n, float* out) {
  switch (type) {
    case QuantType::kF32:
      std::memcpy(out, data, n * sizeof(float));
      return;
    case QuantType::kF16:
      Fp16ToFp32Row(static_cast<const uint16_t*>(data), out, n);
      return;
    case QuantType::kQ8_0:
      return DequantizeRowQ8_0(static_cast<const BlockQ8_0*>(data), out, n);
    case QuantType::kQ4_0:
      return DequantizeRowQ4_0(static_cast<const BlockQ4_0*>(data), out, n);
    case QuantType::kQ4_K:
      return DequantizeRowQ4_K(static_cast<const BlockQ4_K*>(data), out, n);
    case QuantType::kQ6_K:
      return DequantizeRowQ6_K(static_cast<const BlockQ6_K*>(data), out, n);
    case QuantType::kQ8_K:
      return DequantizeRowQ8_K(static_cast<const BlockQ8_K*>(data), out, n);
  }
}

}  // namespace

absl::Status CheckFinite(std::string_view tensor_name, const float* x, int64_t n, int64_t cols) {
  for (int64_t i = 0; i < n; ++i) {
    if (std::isfinite(x[i])) continue;
    std::string where = absl::StrCat("index ", i);
    if (cols > 0) absl::StrAppend(&where, " (row ", i / cols, ", column ", i % cols, ")");
    return absl::InvalidArgumentError(absl::StrCat("tensor \"", std::string(tensor_name), "\" has ",
                                                   std::isnan(x[i]) ? "NaN" : "an infinity", " at ",
                                                   where, "; refusing to quantize it"));
  }
  return absl::OkStatus();
}

absl::Status Quantize(QuantType type, std::string_view tensor_name, const float* x, int64_t rows,
                      int64_t cols, void* out) {
  GB_RETURN_IF_ERROR(CheckShape(type, rows, cols));
  GB_RETURN_IF_ERROR(CheckFinite(tensor_name, x, rows * cols, cols));
  const size_t row_bytes = RowBytes(type, cols);
  for (int64_t r = 0; r < rows; ++r) {
    QuantizeRow(type, x + r * cols, cols, static_cast<char*>(out) + r * row_bytes);
  }
  return absl::OkStatus();
}

absl::Status Dequantize(QuantType type, const void* data, int64_t rows, int64_t cols, float* out) {
  GB_RETURN_IF_ERROR(CheckShape(type, rows, cols));
  const size_t row_bytes = RowBytes(type, cols);
  for (int64_t r = 0; r < rows; ++r) {
    DequantizeRow(type, static_cast<const char*>(data) + r * row_bytes, cols, out + r * cols);
  }
  return absl::OkStatus();
}

}  // namespace gridbench::kernels::quant
