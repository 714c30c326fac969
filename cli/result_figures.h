// The headline figures of a result, by task kind, for the results table and
// CSV: what a reader compares first (GFLOP/s for GEMM, GB/s for GEMV, input
// MB/s and error for quantize, generated tokens/s for inference), the fraction of the machine's measured peak,
// and where it ran.
#ifndef GRIDBENCH_CLI_RESULT_FIGURES_H_
#define GRIDBENCH_CLI_RESULT_FIGURES_H_

#include <cmath>
#include <string>

#include "gridbench/v1/common.pb.h"

namespace gridbench::cli {

struct ResultFigures {
  std::string kind;               // "gemm/vulkan": the kind, and its backend when it has one.
  double value = NAN;             // The headline figure; NaN when the kind has none.
  std::string unit;               // "GFLOP/s", "GB/s", "MB/s", "tg t/s".
  double fraction_of_peak = NAN;  // 0.62 for 62% of the measured peak.
  double threads = NAN;
  // "llvmpipe (LLVM 15.0.6, 256 bits)", "OpenBLAS Haswell", "q4_0 avx512".
  std::string device;
  bool software = false;  // A software Vulkan device: not a GPU's number.
  // Kind-specific facts worth a glance: a quantize result's type, size
  // ratio and error; an inference result's pp, TTFT and fidelity.
  std::string notes;
};

ResultFigures FiguresOf(const gridbench::v1::ResultPayload& payload);

}  // namespace gridbench::cli

#endif  // GRIDBENCH_CLI_RESULT_FIGURES_H_
