#include "kernels/quant/error_report.h"

#include <cmath>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kernels/quant/quantize.h"

namespace gridbench::kernels::quant {

absl::StatusOr<QuantErrorReport> CompareTensors(std::string_view tensor_name, const float* original,
                                                const float* reconstructed, int64_t n) {
  if (n <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor \"", std::string(tensor_name), "\": cannot compare ", n, " values"));
  }
  GB_RETURN_IF_ERROR(
      CheckFinite(absl::StrCat(std::string(tensor_name), " (original)"), original, n));
  GB_RETURN_IF_ERROR(
      CheckFinite(absl::StrCat(std::string(tensor_name), " (reconstructed)"), reconstructed, n));
  double sum_o2 = 0, sum_r2 = 0, sum_or = 0, sum_e2 = 0, max_abs = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double o = original[i], r = reconstructed[i], e = r - o;
    sum_o2 += o * o;
    sum_r2 += r * r;
    sum_or += o * r;
    sum_e2 += e * e;
    max_abs = std::max(max_abs, std::fabs(e));
  }
  constexpr double kInf = std::numeric_limits<double>::infinity();
  QuantErrorReport report;
  report.count = n;
  report.rmse = std::sqrt(sum_e2 / n);
  report.max_abs_error = max_abs;
  if (sum_o2 > 0) {
    report.relative_rmse = std::sqrt(sum_e2 / sum_o2);
  } else {
    report.relative_rmse = sum_e2 > 0 ? kInf : 0.0;
  }
  report.snr_db = sum_e2 > 0 ? 10 * std::log10(sum_o2 / sum_e2) : kInf;
  if (sum_o2 > 0 && sum_r2 > 0) {
    report.cosine_similarity = sum_or / std::sqrt(sum_o2 * sum_r2);
  } else {
    report.cosine_similarity = (sum_o2 == 0 && sum_r2 == 0) ? 1.0 : 0.0;
  }
  return report;
}

absl::StatusOr<QuantErrorReport> MeasureQuantizationError(QuantType type,
                                                          std::string_view tensor_name,
                                                          const float* x, int64_t rows,
                                                          int64_t cols) {
  GB_RETURN_IF_ERROR(CheckRowLength(type, cols));
  if (rows <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("tensor \"", std::string(tensor_name),
                                                   "\": row count ", rows, " is not positive"));
  }
  std::vector<char> quantized(rows * RowBytes(type, cols));
  GB_RETURN_IF_ERROR(Quantize(type, tensor_name, x, rows, cols, quantized.data()));
  std::vector<float> restored(rows * cols);
  GB_RETURN_IF_ERROR(Dequantize(type, quantized.data(), rows, cols, restored.data()));
  return CompareTensors(tensor_name, x, restored.data(), rows * cols);
}

}  // namespace gridbench::kernels::quant
