// Quantizes a whole GGUF model: reads an F32/F16 model, converts its weight
// matrices to one quantized type (kernels/quant), keeps the tensors that
// matter most for quality at their original precision, writes a new GGUF
// file and reports the error each tensor took on.
//
// The output bytes depend only on the input bytes and the options, never on
// the thread count or the machine: rows are quantized independently with
// the reference quantizers and written in input order, so two workers given
// the same input produce files with the same hash.
//
// Thread-safety: QuantizeModel may be called concurrently on distinct
// output paths.
#ifndef GRIDBENCH_KERNELS_MODEL_QUANT_MODEL_QUANTIZER_H_
#define GRIDBENCH_KERNELS_MODEL_QUANT_MODEL_QUANTIZER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kernels/quant/error_report.h"
#include "kernels/quant/quant_types.h"

namespace gridbench::kernels::model_quant {

// The tensors llama.cpp users keep at higher precision: the token embeddings,
// the output projection and every norm (1-D tensors are never quantized in
// any case).
std::vector<std::string> DefaultKeepPatterns();

struct ModelQuantizeOptions {
  // Q8_0, Q4_0, Q4_K or Q6_K.
  quant::QuantType target = quant::QuantType::kQ8_0;
  // fnmatch(3) patterns of tensor names left in their input type.
  std::vector<std::string> keep = DefaultKeepPatterns();
  int threads = 1;  // Threads that quantize; does not change the output.
};

struct TensorQuantizeReport {
  std::string name;
  std::vector<int64_t> shape;  // ggml order.
  quant::QuantType input_type = quant::QuantType::kF32;
  quant::QuantType output_type = quant::QuantType::kF32;
  uint64_t input_bytes = 0;
  uint64_t output_bytes = 0;
  // Why output_type is not the target: "kept (matches \"*norm*\")", "1-D",
  // "row length 5632 is not a multiple of 256; Q8_0 instead". Empty when
  // the tensor was quantized to the target.
  std::string note;
  quant::QuantErrorReport error;  // All zero for tensors copied unchanged.
};

struct ModelQuantizeReport {
  std::vector<TensorQuantizeReport> tensors;  // In file order.
  // Over every value of every tensor that was converted.
  quant::QuantErrorReport error;
  uint64_t input_file_bytes = 0;
  uint64_t output_file_bytes = 0;
  int64_t quantized_tensors = 0;
  double seconds = 0;  // Wall time from opening the input to the synced output.
};

// Called after each tensor with the fraction of input bytes done.
using QuantizeProgress = std::function<void(double fraction, const std::string& tensor)>;

// Quantizes `input_path` into `output_path` (written to a temporary file and
// renamed when complete). Errors, nothing left at `output_path`:
//   INVALID_ARGUMENT: a target other than the four types; a weight tensor of
//     a type other than F32/F16 ("tensor blk.0.attn_q.weight is Q8_0: ...");
//     a NaN or infinity in a weight (tensor and index named); a keep
//     pattern that is empty;
//   errors of GgufReader::Open (a bad input names the field and offset) and
//   of the writer (I/O, naming the path).
absl::StatusOr<ModelQuantizeReport> QuantizeModel(const std::string& input_path,
                                                  const std::string& output_path,
                                                  const ModelQuantizeOptions& options,
                                                  const QuantizeProgress& progress = nullptr);

// "q8_0" -> kQ8_0 for the four quantize targets (case-insensitive);
// INVALID_ARGUMENT listing the choices otherwise.
absl::StatusOr<quant::QuantType> ParseQuantizeTarget(const std::string& name);

}  // namespace gridbench::kernels::model_quant

#endif  // GRIDBENCH_KERNELS_MODEL_QUANT_MODEL_QUANTIZER_H_
