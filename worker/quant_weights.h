// Quantized weights for the kernel kinds that take a weight_type (gemm on
// backend quant, gemv on quant and vulkan), and the CPU thread count of the
// quant backend.
//
// Thread-safe (nothing here keeps state).
#ifndef GRIDBENCH_WORKER_QUANT_WEIGHTS_H_
#define GRIDBENCH_WORKER_QUANT_WEIGHTS_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kernels/quant/matmul.h"
#include "kernels/quant/quant_types.h"

namespace gridbench::worker {

// The type a weight_type parameter names ("q8_0" -> Q8_0); INVALID_ARGUMENT
// naming params.weight_type otherwise.
absl::StatusOr<kernels::quant::QuantType> WeightTypeFromParam(const std::string& weight_type);

// A rows x cols matrix quantized row by row as in a GGUF tensor.
struct QuantizedWeights {
  std::vector<uint8_t> bytes;
  kernels::quant::QuantMatrix matrix;  // Points into `bytes`; do not copy.
};

// Quantizes `values` (rows x cols, row-major) to `type`. Errors as
// kernels::quant::Quantize.
absl::StatusOr<std::unique_ptr<QuantizedWeights>> QuantizeWeights(kernels::quant::QuantType type,
                                                                  std::span<const float> values,
                                                                  int64_t rows, int64_t cols);

// The threads a quant task runs on: `requested`, or every CPU this process
// may run on when 0. RESOURCE_EXHAUSTED when more are asked for than that.
absl::StatusOr<int> QuantThreads(int requested);

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_QUANT_WEIGHTS_H_
