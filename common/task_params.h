// Parameters of each task kind and their validation. The coordinator calls
// ValidateTaskParams when a job is submitted, so a bad job is refused up
// front; the worker parses the same parameters with the same code before it
// runs a task, so both sides agree on defaults and limits.
//
// A kind runs on one of its backends, named by requirements.backend; an
// empty backend means the kind's first (default) one.
//
// All functions are thread-safe and never crash on bad input.
#ifndef GRIDBENCH_COMMON_TASK_PARAMS_H_
#define GRIDBENCH_COMMON_TASK_PARAMS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gridbench/v1/common.pb.h"

namespace gridbench {

// The task kinds a job may name: {"gemm", "gemv", "peak", "quantize",
// "inference", "file_read"}.
std::vector<std::string> KnownTaskKinds();

// The backends `kind` runs on, default first; empty for an unknown kind and
// for "peak", which runs every backend's probes and takes no backend.
std::vector<std::string> BackendsOfKind(const std::string& kind);

// The backend a task runs on: requirements.backend, or the kind's default
// when that is empty ("" for kinds without backends).
std::string EffectiveBackend(const gridbench::v1::TaskSpec& task);

// Checks the task's kind, the backend it asks for and every parameter.
// INVALID_ARGUMENT lists every problem, joined by "; ", each naming the field:
//   "params.m: must be an integer in 1..32768, got -3"
// Unknown parameter names are errors; missing optional ones take defaults.
absl::Status ValidateTaskParams(const gridbench::v1::TaskSpec& task);

// How a timed kernel task repeats: shared by gemm and gemv.
struct TimingParams {
  int warmup = 2;               // Untimed runs first, 0..1000.
  int repetitions = 10;         // Timed runs, 1..100000.
  double min_time_seconds = 0;  // Keep repeating until this much time and
                                // `repetitions` runs are both reached.
  uint64_t seed = 1;            // Seeds the input generator, 0..2^53.
};

// Weight types of the quant backend ("q8_0", "q4_0", "q4_k", "q6_k", as in
// params) and the values in one of their blocks (32 or 256): a row length
// must be a multiple of it.
int WeightTypeBlockValues(const std::string& weight_type);

// Kind "gemm": C = A * B with A m x k, B k x n, row-major.
//   blas:   fp32 through OpenBLAS.
//   vulkan: fp32, tiled shader on one Vulkan device.
//   quant:  B held quantized as `weight_type` (k must be a multiple of its
//           block), A quantized on the fly to the type's activation format.
struct GemmParams {
  std::string backend = "blas";
  int64_t m = 0;  // Required, 1..32768 (likewise n and k).
  int64_t n = 0;
  int64_t k = 0;
  int threads = 0;                   // blas, quant: 0..4096; 0 means every core.
  std::string weight_type = "q8_0";  // quant only.
  // vulkan only: "" for the first non-software device (else the first
  // device), all digits for an index into the worker's device list, anything
  // else a substring of the device name.
  std::string device;
  TimingParams timing;
};

// Parses and validates a gemm task; errors as for ValidateTaskParams.
absl::StatusOr<GemmParams> ParseGemmParams(const gridbench::v1::TaskSpec& task);

// Kind "gemv": y = W x with W rows x cols quantized as `weight_type`, on
// backend quant (CPU; q8_0, q4_0, q4_k, q6_k) or vulkan (q8_0, q4_0).
struct GemvParams {
  std::string backend = "quant";
  int64_t rows = 0;  // Required, 1..65536.
  int64_t cols = 0;  // Required, 1..65536, a multiple of the type's block.
  std::string weight_type = "q8_0";
  int threads = 0;     // quant only, as GemmParams::threads.
  std::string device;  // vulkan only, as GemmParams::device.
  TimingParams timing;
};

absl::StatusOr<GemvParams> ParseGemvParams(const gridbench::v1::TaskSpec& task);

// Kind "peak": the CPU probes (fp32 FMA, int8 dot, triad bandwidth; one
// thread and every thread) and the Vulkan probes (fp32 FMA, copy bandwidth)
// on every Vulkan device.
struct PeakParams {
  double seconds = 0.2;  // Length of each CPU probe's measured run, 0.01..10.
  bool cpu = true;       // Run the CPU probes.
  bool vulkan = true;    // Run the Vulkan probes.
};

absl::StatusOr<PeakParams> ParsePeakParams(const gridbench::v1::TaskSpec& task);

// Kind "file_read": reads an input artifact from the worker's cache and
// measures the read bandwidth; with `write_samples`, also writes the timings
// as a text output artifact (the smallest task that uses artifacts both ways).
struct FileReadParams {
  std::string input;    // Required artifact id.
  int repetitions = 3;  // Timed full reads, 1..1000.
  bool write_samples = false;
};

absl::StatusOr<FileReadParams> ParseFileReadParams(const gridbench::v1::TaskSpec& task);

// Kind "quantize": converts the F32/F16 GGUF model artifact `input` to
// `type`, leaving the tensors matching `keep` at their precision; the output
// model is a new artifact (kernels/model_quant/model_quantizer.h).
struct QuantizeParams {
  std::string input;  // Required artifact id.
  std::string type;   // Required: "q8_0", "q4_0", "q4_k" or "q6_k".
  // fnmatch(3) patterns of tensor names to keep; absent means the defaults
  // (token embeddings, output, norms), [] means quantize every matrix.
  std::vector<std::string> keep = {"token_embd.weight", "output.weight", "*norm*"};
  int threads = 0;  // 0..4096; 0 means every core. The output does not depend on it.
};

absl::StatusOr<QuantizeParams> ParseQuantizeParams(const gridbench::v1::TaskSpec& task);

// Kind "inference": runs the llama-architecture GGUF model artifact `model`
// the way llama-bench does (kernels/llama/inference_run.h) on backend cpu or
// vulkan; with `reference`, also compares it with that model (the F32 or F16
// original) on `fidelity_tokens` seeded tokens.
struct InferenceParams {
  std::string backend = "cpu";
  std::string model;      // Required artifact id.
  std::string reference;  // Artifact id, or "" for no fidelity check.
  int prompt_tokens = 512;  // pp: 0..65536, 0 skips it.
  int gen_tokens = 128;     // tg: 0..65536, 0 skips it; not both 0.
  int repetitions = 5;      // 1..1000.
  int warmup = 1;           // 0..100.
  int fidelity_tokens = 128;  // 1..4096; only with a reference.
  uint64_t seed = 1;          // 0..2^53.
  int threads = 0;            // cpu only, as GemmParams::threads.
  std::string device;         // vulkan only, as GemmParams::device.
};
absl::StatusOr<InferenceParams> ParseInferenceParams(const gridbench::v1::TaskSpec& task);

// A task parameter that names an artifact.
struct ArtifactParam {
  std::string param;        // E.g. "input".
  std::string artifact_id;  // "sha256:...".
};

// The artifacts a task names, as each kind's parser declares them, in
// parameter order; empty for kinds that use none or for invalid parameters
// (which ValidateTaskParams refuses anyway). The worker fetches and verifies
// every one before it starts the task.
std::vector<ArtifactParam> ArtifactParamsOf(const gridbench::v1::TaskSpec& task);
std::vector<std::string> ArtifactIdsOf(const gridbench::v1::TaskSpec& task);

}  // namespace gridbench

#endif  // GRIDBENCH_COMMON_TASK_PARAMS_H_
