#include "kernels/llama/llama_vulkan_weights.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kernels/vulkan/llama_shaders.h"

namespace gridbench::kernels::llama {
namespace {

// llama_matmul.comp's THREADS (invocations per workgroup), ROWS (weight rows
// per workgroup) and TOKENS (activation rows per workgroup).
constexpr uint32_t kThreads = 64;
constexpr uint32_t kRowsPerGroup = 4;
constexpr uint32_t kTokensPerGroup = 8;
// Weights go up through a host-visible buffer at most this large.
constexpr uint64_t kStagingBytes = uint64_t{64} << 20;

// llama_matmul.comp's push constants.
struct MatmulArgs {
  uint32_t n, rows, cols, w_offset, x_offset, y_offset, accumulate;
};

uint32_t Groups(uint32_t rows) { return (rows + kRowsPerGroup - 1) / kRowsPerGroup; }

uint64_t MatrixBytes(const WeightView& w) { return static_cast<uint64_t>(w.rows) * w.row_bytes(); }

// Matrices start at 4-byte boundaries: the shader addresses whole words.
uint64_t PaddedBytes(const WeightView& w) { return (MatrixBytes(w) + 3) / 4 * 4; }

// llama_matmul.comp may read one word past the last matrix of a buffer.
constexpr uint64_t kTailBytes = 4;

absl::Status CheckFits(const vulkan::Context& ctx, const NamedWeight& w) {
  const quant::QuantType type = w.view->type;
  if (vulkan::LlamaMatmulSpirv(type).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor ", w.name, " is ", std::string(quant::QuantTypeName(type)),
                     ", which the Vulkan llama pass cannot multiply"));
  }
  const VkPhysicalDeviceLimits& limits = ctx.limits();
  if (PaddedBytes(*w.view) + kTailBytes > limits.maxStorageBufferRange) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tensor ", w.name, " takes ", MatrixBytes(*w.view), " bytes, more than the ",
        limits.maxStorageBufferRange, " one storage buffer of ", ctx.info().name, " may hold"));
  }
  const uint64_t most_rows = uint64_t{limits.maxComputeWorkGroupCount[0]} * kRowsPerGroup;
  if (static_cast<uint64_t>(w.view->rows) > most_rows) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor ", w.name, " has ", w.view->rows, " rows, more than the ", most_rows,
                     " one dispatch on ", ctx.info().name, " covers"));
  }
  return absl::OkStatus();
}

// Copies `bytes` bytes of `data` to `dst` at `offset`, through `staging`.
absl::Status UploadAt(vulkan::Context& ctx, const vulkan::Buffer& staging,
                      const vulkan::Buffer& dst, uint64_t offset, const uint8_t* data,
                      uint64_t bytes) {
  for (uint64_t done = 0; done < bytes; done += staging.size()) {
    const uint64_t slice = std::min(staging.size(), bytes - done);
    std::memcpy(staging.mapped(), data + done, slice);
    const VkBufferCopy region{0, offset + done, slice};
    GB_RETURN_IF_ERROR(ctx.Submit([&](VkCommandBuffer cmd) {
                            vkCmdCopyBuffer(cmd, staging.handle(), dst.handle(), 1, &region);
                          })
                           .status());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LlamaVulkanWeights> LlamaVulkanWeights::Create(vulkan::Context& ctx,
                                                              std::span<const NamedWeight> weights,
                                                              const vulkan::Buffer& state) {
  LlamaVulkanWeights out;
  // Pack: each type fills its current chunk until the next matrix would
  // overflow the storage-buffer range.
  std::vector<uint64_t> chunk_bytes;
  std::vector<quant::QuantType> chunk_types;
  std::map<quant::QuantType, int> open_chunk;
  for (const NamedWeight& w : weights) {
    GB_RETURN_IF_ERROR(CheckFits(ctx, w));
    const uint64_t padded = PaddedBytes(*w.view);
    auto it = open_chunk.find(w.view->type);
    if (it == open_chunk.end() ||
        chunk_bytes[it->second] + padded + kTailBytes > ctx.limits().maxStorageBufferRange) {
      it = open_chunk.insert_or_assign(w.view->type, static_cast<int>(chunk_bytes.size())).first;
      chunk_bytes.push_back(0);
      chunk_types.push_back(w.view->type);
    }
    out.placements_.push_back({it->second, static_cast<uint32_t>(chunk_bytes[it->second]),
                               static_cast<uint32_t>(w.view->rows),
                               static_cast<uint32_t>(w.view->cols)});
    chunk_bytes[it->second] += padded;
  }

  for (size_t c = 0; c < chunk_bytes.size(); ++c) {
    GB_ASSIGN_OR_RETURN(
        vulkan::Buffer chunk,
        vulkan::Buffer::Create(ctx, chunk_bytes[c] + kTailBytes, vulkan::MemoryKind::kDeviceLocal));
    out.chunks_.push_back(std::move(chunk));
    vulkan::PipelineSpec spec;
    spec.spirv = vulkan::LlamaMatmulSpirv(chunk_types[c]);
    spec.buffer_count = 2;
    spec.push_constant_bytes = sizeof(MatmulArgs);
    spec.specialization = {kThreads, kRowsPerGroup, kTokensPerGroup};
    GB_ASSIGN_OR_RETURN(vulkan::ComputePipeline pipeline,
                        vulkan::ComputePipeline::Create(ctx, spec));
    const vulkan::Buffer* bound[] = {&out.chunks_.back(), &state};
    GB_RETURN_IF_ERROR(pipeline.BindBuffers(bound));
    out.pipelines_.push_back(std::move(pipeline));
  }
  GB_RETURN_IF_ERROR(out.Upload(ctx, weights));
  return out;
}

absl::Status LlamaVulkanWeights::Upload(vulkan::Context& ctx,
                                        std::span<const NamedWeight> weights) const {
  if (weights.empty()) return absl::OkStatus();
  // Padding bytes are zeroed so the shader never reads uninitialised memory.
  GB_RETURN_IF_ERROR(ctx.Submit([&](VkCommandBuffer cmd) {
                          for (const vulkan::Buffer& chunk : chunks_) {
                            vkCmdFillBuffer(cmd, chunk.handle(), 0, VK_WHOLE_SIZE, 0);
                          }
                          vulkan::RecordComputeBarrier(cmd);
                        })
                         .status());
  uint64_t largest = 0;
  for (const NamedWeight& w : weights) largest = std::max(largest, MatrixBytes(*w.view));
  GB_ASSIGN_OR_RETURN(vulkan::Buffer staging,
                      vulkan::Buffer::Create(ctx, std::min(largest, kStagingBytes),
                                             vulkan::MemoryKind::kHostVisible));
  for (size_t i = 0; i < weights.size(); ++i) {
    const Placement& p = placements_[i];
    GB_RETURN_IF_ERROR(UploadAt(ctx, staging, chunks_[p.chunk], p.byte_offset,
                                weights[i].view->data, MatrixBytes(*weights[i].view)));
  }
  return absl::OkStatus();
}

void LlamaVulkanWeights::RecordMatmul(VkCommandBuffer cmd, int matrix, uint32_t n,
                                      uint32_t x_offset, uint32_t y_offset, bool accumulate) const {
  const Placement& p = placements_[matrix];
  const MatmulArgs args{n, p.rows, p.cols, p.byte_offset, x_offset, y_offset, accumulate ? 1u : 0u};
  pipelines_[p.chunk].RecordDispatch(cmd, &args, Groups(p.rows),
                                     (n + kTokensPerGroup - 1) / kTokensPerGroup, 1);
}

}  // namespace gridbench::kernels::llama
