#include "kernels/llama/llama_vulkan.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kernels/llama/eval_args.h"
#include "kernels/quant/quantize.h"
#include "kernels/vulkan/llama_shaders.h"

namespace gridbench::kernels::llama {
namespace {

using vulkan::Buffer;
using vulkan::ComputePipeline;
using vulkan::MemoryKind;
using vulkan::RecordComputeBarrier;

// Invocations per workgroup of the shaders with a THREADS constant; the
// others have 64 built in.
constexpr uint32_t kThreads = 64;
constexpr uint32_t kFixedGroup = 64;
// llama_attention.comp's MAX_HEAD_DIM.
constexpr int kMaxHeadDim = 256;

// The matrices of a layer, in the order LlamaVulkanWeights holds them; the
// output matrix follows the last layer's.
enum LayerMatrix { kQ, kK, kV, kO, kGate, kUp, kDown, kMatricesPerLayer };

int Matrix(int layer, LayerMatrix which) { return layer * kMatricesPerLayer + which; }
int OutputMatrix(int layers) { return layers * kMatricesPerLayer; }

// The shaders' push constants.
struct RmsNormArgs {
  uint32_t dim, x_offset, weight_offset, out_offset;
  float eps;
};
struct RopeArgs {
  uint32_t x_offset, row_stride, heads, head_dim, start_pos, table_offset;
};
struct AttentionArgs {
  uint32_t start_pos, heads, kv_heads, head_dim, q_offset, k_offset, v_offset, out_offset;
  float scale;
};
struct SwigluArgs {
  uint32_t cols, gate_offset, up_offset;
};

uint32_t GroupsFor(uint32_t items) { return (items + kFixedGroup - 1) / kFixedGroup; }

std::vector<NamedWeight> Matrices(const LlamaModel& model) {
  std::vector<NamedWeight> out;
  for (size_t i = 0; i < model.layers().size(); ++i) {
    const LlamaLayer& l = model.layers()[i];
    const std::string blk = absl::StrCat("blk.", i, ".");
    // LlamaLayer::matrices() is in the order of LayerMatrix.
    for (const LlamaLayer::Matrix& m : l.matrices()) out.push_back({blk + m.name, m.view});
  }
  out.push_back({"output.weight", &model.output()});
  return out;
}

absl::StatusOr<ComputePipeline> StatePipeline(const vulkan::Context& ctx,
                                              vulkan::LlamaShader shader, uint32_t push_bytes,
                                              bool takes_threads, const Buffer& state) {
  vulkan::PipelineSpec spec;
  spec.spirv = vulkan::LlamaShaderSpirv(shader);
  spec.buffer_count = 1;
  spec.push_constant_bytes = push_bytes;
  if (takes_threads) spec.specialization = {kThreads};
  GB_ASSIGN_OR_RETURN(ComputePipeline pipeline, ComputePipeline::Create(ctx, spec));
  const Buffer* bound[] = {&state};
  GB_RETURN_IF_ERROR(pipeline.BindBuffers(bound));
  return pipeline;
}

// The norm weights (dequantized) and the RoPE table, as StateLayout places
// them from offset 0.
std::vector<float> Constants(const LlamaModel& model, int context) {
  const LlamaHparams& h = model.hparams();
  std::vector<const WeightView*> norms;
  for (const LlamaLayer& l : model.layers()) {
    norms.push_back(&l.attn_norm);
    norms.push_back(&l.ffn_norm);
  }
  norms.push_back(&model.output_norm());
  std::vector<float> out(norms.size() * h.dim);
  for (size_t i = 0; i < norms.size(); ++i) {
    // The model checked the types and shapes at Open, so this cannot fail.
    (void)quant::Dequantize(norms[i]->type, norms[i]->data, 1, h.dim, &out[i * h.dim]);
  }
  // As the reference: angles in double, pos * freq_base^(-2i / head_dim).
  for (int pos = 0; pos < context; ++pos) {
    for (int i = 0; i < h.head_dim / 2; ++i) {
      const double theta =
          pos * std::pow(static_cast<double>(h.rope_freq_base), -2.0 * i / h.head_dim);
      out.push_back(static_cast<float>(std::cos(theta)));
      out.push_back(static_cast<float>(std::sin(theta)));
    }
  }
  return out;
}

}  // namespace

LlamaVulkanSession::StateLayout LlamaVulkanSession::PlanState(const LlamaHparams& h, int positions,
                                                              int batch_rows) {
  const uint64_t dim = h.dim, rows = batch_rows;
  StateLayout l{};
  l.norms = 0;
  uint64_t at = (2 * static_cast<uint64_t>(h.layers) + 1) * dim;
  // Each region starts where the previous ends; Create checks that the total
  // fits a buffer, which keeps every offset within 32 bits.
  auto place = [&at](uint32_t& region, uint64_t floats) {
    region = static_cast<uint32_t>(at);
    at += floats;
  };
  place(l.rope, static_cast<uint64_t>(positions) * h.head_dim);
  place(l.x, rows * dim);
  place(l.normed, rows * dim);
  place(l.q, rows * dim);
  place(l.attn, rows * dim);
  place(l.gate, rows * h.ff);
  place(l.up, rows * h.ff);
  place(l.logits, rows * h.vocab);
  const uint64_t cache = static_cast<uint64_t>(h.layers) * positions * h.kv_dim();
  place(l.keys, cache);
  place(l.values, cache);
  l.total = at;
  return l;
}

absl::Status LlamaVulkanSession::CheckFits(const vulkan::Context& ctx, const LlamaHparams& h,
                                           int positions, int batch_rows,
                                           const StateLayout& layout) {
  if (h.head_dim > kMaxHeadDim) {
    return absl::InvalidArgumentError(absl::StrCat("head size ", h.head_dim, " is above the ",
                                                   kMaxHeadDim, " the Vulkan pass handles"));
  }
  const VkPhysicalDeviceLimits& limits = ctx.limits();
  if (layout.total * sizeof(float) > limits.maxStorageBufferRange) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a session of ", positions, " positions needs ", layout.total * sizeof(float),
        " bytes of KV cache and activations, more than the ", limits.maxStorageBufferRange,
        " one storage buffer of ", ctx.info().name, " may hold; ask for a shorter context"));
  }
  if (static_cast<uint32_t>(batch_rows) > limits.maxComputeWorkGroupCount[1] ||
      static_cast<uint32_t>(h.heads) > limits.maxComputeWorkGroupCount[0]) {
    return absl::InvalidArgumentError(absl::StrCat(h.heads, " heads or ", batch_rows,
                                                   " rows are more workgroups than ",
                                                   ctx.info().name, " dispatches"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LlamaVulkanSession>> LlamaVulkanSession::Create(
    const LlamaModel& model, vulkan::Context& ctx, int context, int batch_rows_asked) {
  const LlamaHparams& h = model.hparams();
  GB_ASSIGN_OR_RETURN(const int positions, SessionContext(h, context));
  if (batch_rows_asked < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch_rows must be positive, got ", batch_rows_asked));
  }
  const int batch_rows = std::min(positions, batch_rows_asked);
  const StateLayout layout = PlanState(h, positions, batch_rows);
  GB_RETURN_IF_ERROR(CheckFits(ctx, h, positions, batch_rows, layout));

  const uint64_t rows = batch_rows;
  GB_ASSIGN_OR_RETURN(Buffer state,
                      Buffer::Create(ctx, layout.total * sizeof(float), MemoryKind::kDeviceLocal));
  GB_ASSIGN_OR_RETURN(Buffer embeddings,
                      Buffer::Create(ctx, rows * h.dim * sizeof(float), MemoryKind::kHostVisible));
  GB_ASSIGN_OR_RETURN(Buffer readback, Buffer::Create(ctx, rows * h.vocab * sizeof(float),
                                                      MemoryKind::kHostVisible));
  GB_ASSIGN_OR_RETURN(LlamaVulkanWeights weights,
                      LlamaVulkanWeights::Create(ctx, Matrices(model), state));
  using vulkan::LlamaShader;
  GB_ASSIGN_OR_RETURN(ComputePipeline rms_norm,
                      StatePipeline(ctx, LlamaShader::kRmsNorm, sizeof(RmsNormArgs), true, state));
  GB_ASSIGN_OR_RETURN(ComputePipeline rope,
                      StatePipeline(ctx, LlamaShader::kRope, sizeof(RopeArgs), false, state));
  GB_ASSIGN_OR_RETURN(ComputePipeline attention, StatePipeline(ctx, LlamaShader::kAttention,
                                                               sizeof(AttentionArgs), true, state));
  GB_ASSIGN_OR_RETURN(ComputePipeline swiglu,
                      StatePipeline(ctx, LlamaShader::kSwiglu, sizeof(SwigluArgs), false, state));
  const std::vector<float> constants = Constants(model, positions);
  GB_RETURN_IF_ERROR(
      vulkan::Upload(ctx, state, constants.data(), constants.size() * sizeof(float)));
  Device device{std::move(state),     std::move(embeddings), std::move(readback),
                std::move(weights),   std::move(rms_norm),   std::move(rope),
                std::move(attention), std::move(swiglu)};
  return std::unique_ptr<LlamaVulkanSession>(
      new LlamaVulkanSession(model, ctx, positions, batch_rows, layout, std::move(device)));
}

absl::StatusOr<std::vector<float>> LlamaVulkanSession::Eval(std::span<const int32_t> tokens,
                                                            int start_pos, LogitsFor which) {
  const LlamaHparams& h = model_->hparams();
  GB_RETURN_IF_ERROR(CheckEvalArgs(h, context_, positions_, tokens, start_pos));
  const int n = static_cast<int>(tokens.size());
  // A failure below leaves the cache partly written for positions from
  // start_pos on; positions_ then stops before them.
  positions_ = std::min(positions_, start_pos);
  std::vector<float> logits;
  for (int done = 0; done < n; done += batch_rows_) {
    const int rows = std::min(batch_rows_, n - done);
    const bool last = done + rows == n;
    const int logit_rows = which == LogitsFor::kAllTokens ? rows : (last ? 1 : 0);
    GB_RETURN_IF_ERROR(RunBatch(tokens.subspan(done, rows), start_pos + done, logit_rows));
    const float* read = static_cast<const float*>(device_.readback.mapped());
    logits.insert(logits.end(), read, read + static_cast<size_t>(logit_rows) * h.vocab);
  }
  positions_ = start_pos + n;
  return logits;
}

absl::Status LlamaVulkanSession::RunBatch(std::span<const int32_t> tokens, int start_pos,
                                          int logit_rows) {
  const LlamaHparams& h = model_->hparams();
  const uint32_t n = static_cast<uint32_t>(tokens.size());
  const WeightView& embd = model_->token_embd();
  float* rows = static_cast<float*>(device_.embeddings.mapped());
  for (uint32_t t = 0; t < n; ++t) {
    GB_RETURN_IF_ERROR(
        quant::Dequantize(embd.type, embd.row(tokens[t]), 1, h.dim, &rows[t * h.dim]));
  }
  const uint32_t dim = h.dim;
  return ctx_
      ->Submit([&](VkCommandBuffer cmd) {
        const VkBufferCopy in{0, uint64_t{layout_.x} * sizeof(float), n * dim * sizeof(float)};
        vkCmdCopyBuffer(cmd, device_.embeddings.handle(), device_.state.handle(), 1, &in);
        RecordComputeBarrier(cmd);
        for (int layer = 0; layer < h.layers; ++layer) RecordBlock(cmd, layer, start_pos, n);
        if (logit_rows == 0) return;
        const uint32_t first = n - logit_rows;
        RecordRmsNorm(cmd, logit_rows, layout_.x + first * dim, layout_.norms + 2 * h.layers * dim,
                      layout_.normed);
        RecordComputeBarrier(cmd);
        device_.weights.RecordMatmul(cmd, OutputMatrix(h.layers), logit_rows, layout_.normed,
                                     layout_.logits, false);
        RecordComputeBarrier(cmd);
        const VkBufferCopy out{uint64_t{layout_.logits} * sizeof(float), 0,
                               uint64_t(logit_rows) * h.vocab * sizeof(float)};
        vkCmdCopyBuffer(cmd, device_.state.handle(), device_.readback.handle(), 1, &out);
        // The host reads the readback buffer once the fence signals.
        VkMemoryBarrier to_host{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
        to_host.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
        to_host.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
        vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1,
                             &to_host, 0, nullptr, 0, nullptr);
      })
      .status();
}

void LlamaVulkanSession::RecordBlock(VkCommandBuffer cmd, int layer, int start_pos,
                                     uint32_t n) const {
  const LlamaHparams& h = model_->hparams();
  const StateLayout& l = layout_;
  const LlamaVulkanWeights& w = device_.weights;
  const uint32_t dim = h.dim;
  const uint32_t keys = CacheOffset(l.keys, layer, start_pos);
  const uint32_t values = CacheOffset(l.values, layer, start_pos);

  RecordRmsNorm(cmd, n, l.x, l.norms + 2 * layer * dim, l.normed);
  RecordComputeBarrier(cmd);
  // Keys and values go straight into the cache.
  w.RecordMatmul(cmd, Matrix(layer, kQ), n, l.normed, l.q, false);
  w.RecordMatmul(cmd, Matrix(layer, kK), n, l.normed, keys, false);
  w.RecordMatmul(cmd, Matrix(layer, kV), n, l.normed, values, false);
  RecordComputeBarrier(cmd);
  RecordRope(cmd, n, l.q, h.heads, start_pos);
  RecordRope(cmd, n, keys, h.kv_heads, start_pos);
  RecordComputeBarrier(cmd);
  const AttentionArgs attention{static_cast<uint32_t>(start_pos),
                                static_cast<uint32_t>(h.heads),
                                static_cast<uint32_t>(h.kv_heads),
                                static_cast<uint32_t>(h.head_dim),
                                l.q,
                                CacheOffset(l.keys, layer, 0),
                                CacheOffset(l.values, layer, 0),
                                l.attn,
                                1.0f / std::sqrt(static_cast<float>(h.head_dim))};
  device_.attention.RecordDispatch(cmd, &attention, h.heads, n, 1);
  RecordComputeBarrier(cmd);
  w.RecordMatmul(cmd, Matrix(layer, kO), n, l.attn, l.x, true);
  RecordComputeBarrier(cmd);

  RecordRmsNorm(cmd, n, l.x, l.norms + (2 * layer + 1) * dim, l.normed);
  RecordComputeBarrier(cmd);
  w.RecordMatmul(cmd, Matrix(layer, kGate), n, l.normed, l.gate, false);
  w.RecordMatmul(cmd, Matrix(layer, kUp), n, l.normed, l.up, false);
  RecordComputeBarrier(cmd);
  const SwigluArgs swiglu{static_cast<uint32_t>(h.ff), l.gate, l.up};
  device_.swiglu.RecordDispatch(cmd, &swiglu, GroupsFor(h.ff), n, 1);
  RecordComputeBarrier(cmd);
  w.RecordMatmul(cmd, Matrix(layer, kDown), n, l.gate, l.x, true);
  RecordComputeBarrier(cmd);
}

void LlamaVulkanSession::RecordRmsNorm(VkCommandBuffer cmd, uint32_t n, uint32_t x, uint32_t weight,
                                       uint32_t out) const {
  const LlamaHparams& h = model_->hparams();
  const RmsNormArgs args{static_cast<uint32_t>(h.dim), x, weight, out, h.rms_eps};
  device_.rms_norm.RecordDispatch(cmd, &args, n, 1, 1);
}

void LlamaVulkanSession::RecordRope(VkCommandBuffer cmd, uint32_t n, uint32_t x, uint32_t heads,
                                    int start_pos) const {
  const uint32_t head_dim = model_->hparams().head_dim;
  const RopeArgs args{
      x, heads * head_dim, heads, head_dim, static_cast<uint32_t>(start_pos), layout_.rope};
  device_.rope.RecordDispatch(cmd, &args, GroupsFor(heads * head_dim / 2), n, 1);
}

uint32_t LlamaVulkanSession::CacheOffset(uint32_t base, int layer, int pos) const {
  return base + (static_cast<uint32_t>(layer) * context_ + pos) * model_->hparams().kv_dim();
}

}  // namespace gridbench::kernels::llama
