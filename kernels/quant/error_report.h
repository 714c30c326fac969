// How far a reconstructed tensor (e.g. dequantized) is from the original.
//
// Thread-safety: pure functions.
#ifndef GRIDBENCH_KERNELS_QUANT_ERROR_REPORT_H_
#define GRIDBENCH_KERNELS_QUANT_ERROR_REPORT_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "kernels/quant/quant_types.h"

namespace gridbench::kernels::quant {

// Sums are taken in double. With e = reconstructed - original:
struct QuantErrorReport {
  int64_t count = 0;
  double rmse = 0;               // sqrt(mean(e^2))
  double relative_rmse = 0;      // rmse / sqrt(mean(original^2)); 0 if both are 0, +inf if only
                                 // the original is all zero
  double max_abs_error = 0;      // max |e|
  double snr_db = 0;             // 10 log10(sum original^2 / sum e^2); +inf when e is all zero
  double cosine_similarity = 0;  // <o, r> / (|o| |r|); 1 if both all zero, 0 if one is
};

// Running sums behind a QuantErrorReport, so a report can be built from
// pieces (e.g. one per range of rows) and pieces merged into a whole-model
// report. Merging in a fixed order gives the same report every time.
class QuantErrorAccumulator {
 public:
  // Adds `n` pairs of values. The caller checks they are finite.
  void Add(const float* original, const float* reconstructed, int64_t n);
  void Merge(const QuantErrorAccumulator& other);
  int64_t count() const { return count_; }
  // The report over everything added so far; all zero when nothing was.
  QuantErrorReport Report() const;

 private:
  int64_t count_ = 0;
  double sum_o2_ = 0, sum_r2_ = 0, sum_or_ = 0, sum_e2_ = 0, max_abs_ = 0;
};

// Compares `n` values. INVALID_ARGUMENT if n <= 0 or either array has a NaN
// or infinity (naming `tensor_name`, which array and the index).
absl::StatusOr<QuantErrorReport> CompareTensors(std::string_view tensor_name, const float* original,
                                                const float* reconstructed, int64_t n);

// Quantizes `rows` x `cols` values to `type` (quantize.h), dequantizes them
// and compares. Errors as for Quantize and CompareTensors.
absl::StatusOr<QuantErrorReport> MeasureQuantizationError(QuantType type,
                                                          std::string_view tensor_name,
                                                          const float* x, int64_t rows,
                                                          int64_t cols);

}  // namespace gridbench::kernels::quant

#endif  // GRIDBENCH_KERNELS_QUANT_ERROR_REPORT_H_
