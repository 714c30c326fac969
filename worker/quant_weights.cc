#include "worker/quant_weights.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kernels/cpu/peak_probe.h"
#include "kernels/quant/quantize.h"

namespace gridbench::worker {

absl::StatusOr<kernels::quant::QuantType> WeightTypeFromParam(const std::string& weight_type) {
  absl::StatusOr<kernels::quant::QuantType> type =
      kernels::quant::QuantTypeFromName(absl::AsciiStrToUpper(weight_type));
  if (!type.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("params.weight_type: \"", weight_type, "\" is not a quantized type"));
  }
  return type;
}

absl::StatusOr<std::unique_ptr<QuantizedWeights>> QuantizeWeights(kernels::quant::QuantType type,
                                                                  std::span<const float> values,
                                                                  int64_t rows, int64_t cols) {
  auto out = std::make_unique<QuantizedWeights>();
  out->bytes.resize(static_cast<size_t>(rows) * kernels::quant::RowBytes(type, cols));
  GB_RETURN_IF_ERROR(
      kernels::quant::Quantize(type, "weights", values.data(), rows, cols, out->bytes.data()));
  out->matrix = {type, rows, cols, out->bytes.data()};
  return out;
}

absl::StatusOr<int> QuantThreads(int requested) {
  const int cpus = kernels::ProbeCpuCount();
  if (requested == 0) return cpus;
  if (requested > cpus) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "params.threads: ", requested, " asked for, but this worker may run on ", cpus, " CPUs"));
  }
  return requested;
}

}  // namespace gridbench::worker
