#include "kernels/vulkan/gemv_quant.h"

#include <bit>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kernels/vulkan/shaders.h"

namespace gridbench::kernels::vulkan {
namespace {

// gemv_quant.comp splits each block over this many invocations.
constexpr uint32_t kMinThreads = 4;

struct Shape {
  uint32_t rows, cols;
};

const char* TypeName(QuantType type) { return type == QuantType::kQ8_0 ? "Q8_0" : "Q4_0"; }

absl::Status CheckShape(QuantType type, uint32_t rows, uint32_t cols) {
  if (rows == 0 || cols == 0 || cols % kQuantBlockValues != 0) {
    return absl::InvalidArgumentError(absl::StrCat(TypeName(type), " GEMV of ", rows, "x", cols,
                                                   ": rows must be positive and cols a positive "
                                                   "multiple of 32"));
  }
  return absl::OkStatus();
}

absl::Status CheckBuffer(const Buffer& buffer, uint64_t bytes, const char* name) {
  if (buffer.size() < bytes) {
    return absl::InvalidArgumentError(absl::StrCat("GEMV buffer ", name, " holds ", buffer.size(),
                                                   " bytes; the shape needs ", bytes));
  }
  return absl::OkStatus();
}

}  // namespace

uint64_t QuantWeightBytes(QuantType type, uint32_t rows, uint32_t cols) {
  return uint64_t{rows} * (cols / kQuantBlockValues) * QuantBlockBytes(type);
}

uint64_t QuantWeightBufferBytes(QuantType type, uint32_t rows, uint32_t cols) {
  return (QuantWeightBytes(type, rows, cols) + 3) / 4 * 4;
}

absl::StatusOr<QuantGemvKernel> QuantGemvKernel::Create(Context& ctx, QuantType type,
                                                        uint32_t threads) {
  if (!std::has_single_bit(threads) || threads < kMinThreads ||
      threads > ctx.limits().maxComputeWorkGroupInvocations ||
      threads > ctx.limits().maxComputeWorkGroupSize[0]) {
    return absl::InvalidArgumentError(
        absl::StrCat("GEMV workgroup of ", threads, " invocations: must be a power of two from ",
                     kMinThreads, " to ", ctx.limits().maxComputeWorkGroupInvocations));
  }
  PipelineSpec spec;
  spec.spirv = ShaderSpirv(type == QuantType::kQ8_0 ? Shader::kGemvQ8_0 : Shader::kGemvQ4_0);
  spec.buffer_count = 3;
  spec.push_constant_bytes = sizeof(Shape);
  spec.specialization = {threads};
  GB_ASSIGN_OR_RETURN(ComputePipeline pipeline, ComputePipeline::Create(ctx, spec));
  return QuantGemvKernel(&ctx, type, std::move(pipeline));
}

absl::StatusOr<SubmitTiming> QuantGemvKernel::Run(const Buffer& weights, const Buffer& x,
                                                  const Buffer& y, uint32_t rows, uint32_t cols,
                                                  uint32_t iterations) {
  GB_RETURN_IF_ERROR(CheckShape(type_, rows, cols));
  if (iterations == 0) return absl::InvalidArgumentError("GEMV iterations must be positive");
  if (rows > ctx_->limits().maxComputeWorkGroupCount[0]) {
    return absl::InvalidArgumentError(absl::StrCat("GEMV of ", rows, " rows exceeds the device's ",
                                                   ctx_->limits().maxComputeWorkGroupCount[0],
                                                   " workgroups"));
  }
  GB_RETURN_IF_ERROR(CheckBuffer(weights, QuantWeightBufferBytes(type_, rows, cols), "W"));
  GB_RETURN_IF_ERROR(CheckBuffer(x, uint64_t{cols} * sizeof(float), "x"));
  GB_RETURN_IF_ERROR(CheckBuffer(y, uint64_t{rows} * sizeof(float), "y"));
  const Buffer* buffers[] = {&weights, &x, &y};
  GB_RETURN_IF_ERROR(pipeline_.BindBuffers(buffers));
  const Shape shape{rows, cols};
  return ctx_->Submit([&](VkCommandBuffer cmd) {
    for (uint32_t i = 0; i < iterations; ++i) {
      pipeline_.RecordDispatch(cmd, &shape, rows, 1, 1);
      RecordComputeBarrier(cmd);
    }
  });
}

absl::StatusOr<std::vector<float>> QuantGemv(Context& ctx, QuantGemvKernel& kernel,
                                             std::span<const uint8_t> weights, uint32_t rows,
                                             uint32_t cols, std::span<const float> x) {
  GB_RETURN_IF_ERROR(CheckShape(kernel.type(), rows, cols));
  const uint64_t weight_bytes = QuantWeightBytes(kernel.type(), rows, cols);
  if (weights.size() != weight_bytes || x.size() != cols) {
    return absl::InvalidArgumentError(absl::StrCat(
        TypeName(kernel.type()), " GEMV of ", rows, "x", cols, " needs ", weight_bytes,
        " weight bytes and ", cols, " x values; got ", weights.size(), " and ", x.size()));
  }
  GB_ASSIGN_OR_RETURN(Buffer dw,
                      Buffer::Create(ctx, QuantWeightBufferBytes(kernel.type(), rows, cols),
                                     MemoryKind::kDeviceLocal));
  GB_ASSIGN_OR_RETURN(Buffer dx, Buffer::Create(ctx, x.size_bytes(), MemoryKind::kDeviceLocal));
  GB_ASSIGN_OR_RETURN(
      Buffer dy, Buffer::Create(ctx, uint64_t{rows} * sizeof(float), MemoryKind::kDeviceLocal));
  // The padding bytes are uploaded too (as zeros) so the shader never reads
  // uninitialised memory.
  std::vector<uint8_t> padded(weights.begin(), weights.end());
  padded.resize(dw.size());
  GB_RETURN_IF_ERROR(Upload(ctx, dw, padded.data(), padded.size()));
  GB_RETURN_IF_ERROR(Upload(ctx, dx, x.data(), x.size_bytes()));
  GB_RETURN_IF_ERROR(kernel.Run(dw, dx, dy, rows, cols, 1).status());
  std::vector<float> y(rows);
  GB_RETURN_IF_ERROR(Download(ctx, dy, y.data(), y.size() * sizeof(float)));
  return y;
}

}  // namespace gridbench::kernels::vulkan
