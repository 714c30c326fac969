// The Vulkan forward pass of a llama-architecture model: the same graph as
// the reference (llama_reference.h), all of it on the device. Weights are
// uploaded once, in their own types (F32, F16, Q8_0, Q4_0, Q4_K, Q6_K), and
// dequantized in the shaders (kernels/vulkan/shaders/llama_*.comp); RMSNorm,
// normal-mode RoPE, causal grouped-query attention over a device KV cache,
// SwiGLU and the residual adds run there too, in float, with activations
// never quantized, so the logits stay close to the reference's. Per Eval the
// host dequantizes the tokens' embedding rows and uploads them, records the
// whole pass into one command buffer (one per batch of up to batch_rows
// tokens), and reads the logits back.
//
// Matrix products dequantize 32 weights at a time and use them for up to 8
// tokens of a prompt batch; every output is summed in the same order whatever
// the batch, so a prompt's logits equal single steps' exactly. Correct first:
// no shared-memory tiling, no subgroup operations, not yet tuned on a GPU.
#ifndef GRIDBENCH_KERNELS_LLAMA_LLAMA_VULKAN_H_
#define GRIDBENCH_KERNELS_LLAMA_LLAMA_VULKAN_H_

#include <vulkan/vulkan.h>

#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kernels/llama/llama_model.h"
#include "kernels/llama/llama_session.h"
#include "kernels/llama/llama_vulkan_weights.h"
#include "kernels/vulkan/buffer.h"
#include "kernels/vulkan/context.h"
#include "kernels/vulkan/pipeline.h"

namespace gridbench::kernels::llama {

// One sequence on a Vulkan device: the model's weights, a KV cache of up to
// context() positions and the scratch activations, all in device memory.
//
// Thread-safety: thread-compatible (one call at a time), and the Context's
// rules apply: nothing else may use it during a call. The model and the
// Context must outlive the session.
class LlamaVulkanSession : public LlamaSession {
 public:
  // Tokens one command buffer evaluates unless Create is told otherwise.
  static constexpr int kDefaultBatchRows = 256;

  // A session of `context` positions (0: the model's context_length) on
  // `ctx`, evaluating up to `batch_rows` tokens per command buffer (longer
  // calls take turns; the scratch activations and logits are sized by it).
  // Errors of SessionContext (eval_args.h); INVALID_ARGUMENT for batch_rows
  // below 1, a head size above 256, a model or context too large for the
  // device's buffers or dispatch limits (what is too large named); errors of
  // LlamaVulkanWeights::Create and of the device.
  static absl::StatusOr<std::unique_ptr<LlamaVulkanSession>> Create(
      const LlamaModel& model, vulkan::Context& ctx, int context = 0,
      int batch_rows = kDefaultBatchRows);

  // As LlamaReferenceSession::Eval. Errors of CheckEvalArgs, cache
  // unchanged; the device's errors (DEADLINE_EXCEEDED, UNAVAILABLE) leave
  // positions() at or below start_pos.
  absl::StatusOr<std::vector<float>> Eval(std::span<const int32_t> tokens, int start_pos,
                                          LogitsFor which = LogitsFor::kLastToken) override;
  int positions() const override { return positions_; }
  int context() const override { return context_; }

 private:
  // Where each part of the state buffer starts, in floats.
  struct StateLayout {
    // First, so one upload at offset 0 fills them: [layer][attn, ffn]
    // norm weights of dim floats, then output_norm; RoPE's [position]
    // [head_dim / 2] (cos, sin).
    uint32_t norms, rope;
    uint32_t x, normed, q, attn, gate, up, logits;  // batch_rows rows each
    uint32_t keys, values;                          // [layer][position][kv_dim]
    uint64_t total;
  };

  // The device objects, made by Create.
  struct Device {
    vulkan::Buffer state;       // Everything StateLayout lists.
    vulkan::Buffer embeddings;  // Host-visible, batch_rows x dim: the tokens' rows.
    vulkan::Buffer readback;    // Host-visible, batch_rows x vocab: the logits.
    LlamaVulkanWeights weights;
    vulkan::ComputePipeline rms_norm, rope, attention, swiglu;
  };

  LlamaVulkanSession(const LlamaModel& model, vulkan::Context& ctx, int context, int batch_rows,
                     const StateLayout& layout, Device device)
      : model_(&model),
        ctx_(&ctx),
        context_(context),
        batch_rows_(batch_rows),
        layout_(layout),
        device_(std::move(device)) {}

  static StateLayout PlanState(const LlamaHparams& h, int positions, int batch_rows);
  // INVALID_ARGUMENT when the model or layout exceeds what the pass or the
  // device handles.
  static absl::Status CheckFits(const vulkan::Context& ctx, const LlamaHparams& h, int positions,
                                int batch_rows, const StateLayout& layout);
  // One batch of tokens at start_pos in one command buffer; the logits of
  // its last `logit_rows` rows land in device_.readback.
  absl::Status RunBatch(std::span<const int32_t> tokens, int start_pos, int logit_rows);
  void RecordBlock(VkCommandBuffer cmd, int layer, int start_pos, uint32_t n) const;
  void RecordRmsNorm(VkCommandBuffer cmd, uint32_t n, uint32_t x, uint32_t weight,
                     uint32_t out) const;
  // Rotates `heads` heads of n rows (of heads * head_dim floats) from `x`.
  void RecordRope(VkCommandBuffer cmd, uint32_t n, uint32_t x, uint32_t heads, int start_pos) const;
  // Where position `pos` of `layer` starts in the cache region at `base`.
  uint32_t CacheOffset(uint32_t base, int layer, int pos) const;

  // Constant after Create.
  const LlamaModel* model_;
  vulkan::Context* ctx_;
  int context_;
  int batch_rows_;
  StateLayout layout_;
  Device device_;

  int positions_ = 0;
};

}  // namespace gridbench::kernels::llama

#endif  // GRIDBENCH_KERNELS_LLAMA_LLAMA_VULKAN_H_
