#include "kernels/quant/error_report.h"

#include <cmath>
#include <limits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kernels/quant/quantize.h"

namespace gridbench::kernels::quant {

void QuantErrorAccumulator::Add(const float* original, const float* reconstructed, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double o = original[i], r = reconstructed[i], e = r - o;
    sum_o2_ += o * o;
    sum_r2_ += r * r;
    sum_or_ += o * r;
    sum_e2_ += e * e;
    max_abs_ = std::max(max_abs_, std::fabs(e));
  }
  count_ += n;
}

void QuantErrorAccumulator::Merge(const QuantErrorAccumulator& other) {
  count_ += other.count_;
  sum_o2_ += other.sum_o2_;
  sum_r2_ += other.sum_r2_;
  sum_or_ += other.sum_or_;
  sum_e2_ += other.sum_e2_;
  max_abs_ = std::max(max_abs_, other.max_abs_);
}

QuantErrorReport QuantErrorAccumulator::Report() const {
  QuantErrorReport report;
  if (count_ == 0) return report;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  report.count = count_;
  report.rmse = std::sqrt(sum_e2_ / static_cast<double>(count_));
  report.max_abs_error = max_abs_;
  if (sum_o2_ > 0) {
    report.relative_rmse = std::sqrt(sum_e2_ / sum_o2_);
  } else {
    report.relative_rmse = sum_e2_ > 0 ? kInf : 0.0;
  }
  report.snr_db = sum_e2_ > 0 ? 10 * std::log10(sum_o2_ / sum_e2_) : kInf;
  if (sum_o2_ > 0 && sum_r2_ > 0) {
    report.cosine_similarity = sum_or_ / std::sqrt(sum_o2_ * sum_r2_);
  } else {
    report.cosine_similarity = (sum_o2_ == 0 && sum_r2_ == 0) ? 1.0 : 0.0;
  }
  return report;
}

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
  QuantErrorAccumulator sums;
  sums.Add(original, reconstructed, n);
  return sums.Report();
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
