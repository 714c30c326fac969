// Task kind "quantize": converts an F32/F16 GGUF model artifact to a
// quantized type (common/task_params.h QuantizeParams) with
// kernels/model_quant, measures how long it took and how much error each
// tensor took on, and hands the quantized model back as an output artifact.
#ifndef GRIDBENCH_WORKER_QUANTIZE_TASK_H_
#define GRIDBENCH_WORKER_QUANTIZE_TASK_H_

#include "worker/task_kind.h"

namespace gridbench::worker {

// Thread-safe (it keeps no state).
class QuantizeTask final : public TaskKind {
 public:
  std::string_view Name() const override { return "quantize"; }
  std::string_view Backend() const override { return ""; }

  // Samples: the one conversion's wall time, in seconds. Metrics:
  // input_bytes, output_bytes, size_ratio (output / input),
  // input_mb_per_s (10^6 bytes of input file per second), quantized_tensors,
  // threads, and the whole-model error over every converted value: rmse,
  // relative_rmse, max_abs_error, snr_db, cosine_similarity. Details:
  // "tensors", one entry per tensor with its types, sizes, note and error.
  // Checksum and the output artifact (role "output"): the quantized model's
  // id, the same on every worker for the same input and parameters.
  // INVALID_ARGUMENT for bad parameters or an input that cannot be quantized
  // (named by tensor); FAILED_PRECONDITION when the agent supplied no path
  // for the input.
  absl::StatusOr<gridbench::v1::ResultPayload> Run(const gridbench::v1::TaskSpec& spec,
                                                   const TaskInputs& inputs,
                                                   ProgressReporter& progress) const override;
};

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_QUANTIZE_TASK_H_
