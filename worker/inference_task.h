// Task kind "inference": runs a llama-architecture GGUF model artifact the
// way llama.cpp's llama-bench does (kernels/llama/inference_run.h) on one
// backend, and with a reference model also measures what quantization cost
// (kernels/llama/fidelity.h). Parameters: common/task_params.h
// InferenceParams.
//
// Before any token runs, the model is opened and checked (unsupported
// architecture, tensor type, missing tensor, shapes that disagree with the
// metadata: INVALID_ARGUMENT naming the problem), the run's context is
// checked against the model's (INVALID_ARGUMENT), and the resident memory
// the run needs is compared with what the machine has available
// (RESOURCE_EXHAUSTED, which another worker may not hit).
#ifndef GRIDBENCH_WORKER_INFERENCE_TASK_H_
#define GRIDBENCH_WORKER_INFERENCE_TASK_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "common/task_params.h"
#include "kernels/llama/llama_model.h"
#include "kernels/llama/llama_session.h"
#include "worker/task_kind.h"

namespace gridbench::worker {

// Result of an inference run. Samples: every timed generation step's
// seconds (so the summary is the per-token latency distribution; prompt
// seconds when gen_tokens is 0). Metrics: pp_tokens_per_s and
// tg_tokens_per_s (median over repetitions) with _min, _max and _stddev;
// token_latency_ms_p50/_p90/_p99/_max; ttft_ms_median (prompt evaluation
// plus choosing the first token); peak_rss_bytes (this run's process, before
// the reference model is loaded); model_bytes, weight_bytes,
// bytes_per_token (mean over the tg run), gbps_median (tg tokens/s times
// bytes per token: the memory traffic generation sustained, which the agent
// compares with the measured bandwidth as fraction_of_peak); threads (cpu);
// with a reference: top1_agreement, kl_mean, kl_max, max_abs_logit_diff,
// fidelity_positions. Environment: backend, weight_type (the type holding
// most of the block matrices' bytes), quant_isa (cpu), the device's facts
// (vulkan: AddVulkanDeviceFacts).
// Details: the model's hyperparameters and bytes per weight type, the seed,
// the recorded prompt and generation tokens, the fidelity tokens and the
// greedy first token; checksum "first_token=N". (The agent lists the model
// and reference as input artifacts.)
class InferenceTask : public TaskKind {
 public:
  // What a backend contributes: sessions of `context` positions over
  // `model`, and its facts in the result.
  class SessionSource {
   public:
    virtual ~SessionSource() = default;
    virtual absl::StatusOr<std::unique_ptr<kernels::llama::LlamaSession>> NewSession(
        const kernels::llama::LlamaModel& model, int context) = 0;
    virtual void Describe(gridbench::v1::ResultPayload& result) const = 0;
  };
  std::string_view Name() const override { return "inference"; }

  absl::StatusOr<gridbench::v1::ResultPayload> Run(const gridbench::v1::TaskSpec& spec,
                                                   const TaskInputs& inputs,
                                                   ProgressReporter& progress) const override;

 protected:
  virtual absl::StatusOr<std::unique_ptr<SessionSource>> OpenBackend(
      const InferenceParams& p) const = 0;
};

// OK if a run needing `needed` resident bytes, `file_bytes` of them model
// files, fits in `available` bytes; RESOURCE_EXHAUSTED naming all three in
// MiB otherwise.
absl::Status CheckInferenceFitsInMemory(uint64_t needed, uint64_t file_bytes, uint64_t available);

// Backend "cpu": LlamaCpuSession on a pool of `threads` threads.
class InferenceCpuTask final : public InferenceTask {
 public:
  std::string_view Backend() const override { return "cpu"; }

 private:
  absl::StatusOr<std::unique_ptr<SessionSource>> OpenBackend(
      const InferenceParams& p) const override;
};

// Backend "vulkan": LlamaVulkanSession on the device params.device names
// (worker/vulkan_task_device.h ChooseVulkanDevice); the model's weights are
// uploaded once per session.
class InferenceVulkanTask final : public InferenceTask {
 public:
  std::string_view Backend() const override { return "vulkan"; }

 private:
  absl::StatusOr<std::unique_ptr<SessionSource>> OpenBackend(
      const InferenceParams& p) const override;
};

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_INFERENCE_TASK_H_
