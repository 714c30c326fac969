#include "kernels/vulkan/probes.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kernels/vulkan/buffer.h"
#include "kernels/vulkan/pipeline.h"
#include "kernels/vulkan/shaders.h"

namespace gridbench::kernels::vulkan {
namespace {

constexpr uint32_t kLocalSize = 256;          // both shaders' local_size_x
constexpr double kFlopsPerIteration = 256.0;  // fma_peak.comp: 16 steps x 8 FMAs x 2
// copy.comp loops over the buffer; more groups than this add nothing.
constexpr uint32_t kMaxCopyGroups = 65535;

struct FmaParams {
  uint32_t iterations;
  float mul, add;
};

// The fastest of `repeats` submits of `record`, after one untimed warm-up.
template <typename Record>
absl::StatusOr<SubmitTiming> BestOf(Context& ctx, uint32_t repeats, const Record& record) {
  GB_RETURN_IF_ERROR(ctx.Submit(record).status());
  SubmitTiming best;
  for (uint32_t i = 0; i < repeats; ++i) {
    GB_ASSIGN_OR_RETURN(SubmitTiming t, ctx.Submit(record));
    if (i == 0 || t.device_seconds < best.device_seconds) best = t;
  }
  return best;
}

absl::StatusOr<ProbeResult> Rate(double work, const SubmitTiming& t) {
  if (t.device_seconds <= 0) {
    return absl::InternalError("probe finished in zero measured time; the timer is too coarse");
  }
  return ProbeResult{work / t.device_seconds, t.device_timed};
}

}  // namespace

ProbeSizes DefaultProbeSizes(const DeviceInfo& device) {
  if (device.software) return ProbeSizes{64, 128, 16u << 20, 3};
  return ProbeSizes{8192, 1024, 512u << 20, 5};
}

absl::StatusOr<ProbeResult> MeasureFp32Peak(Context& ctx, const ProbeSizes& sizes) {
  if (sizes.fma_workgroups == 0 || sizes.fma_iterations == 0 || sizes.repeats == 0) {
    return absl::InvalidArgumentError(
        "FP32 peak probe needs positive workgroups, iterations, "
        "repeats");
  }
  if (sizes.fma_workgroups > ctx.limits().maxComputeWorkGroupCount[0]) {
    return absl::InvalidArgumentError(absl::StrCat("FP32 peak probe: ", sizes.fma_workgroups,
                                                   " workgroups exceed the device's limit"));
  }
  const uint64_t invocations = uint64_t{sizes.fma_workgroups} * kLocalSize;
  GB_ASSIGN_OR_RETURN(Buffer out,
                      Buffer::Create(ctx, invocations * sizeof(float), MemoryKind::kDeviceLocal));
  GB_ASSIGN_OR_RETURN(
      ComputePipeline pipeline,
      ComputePipeline::Create(ctx, {ShaderSpirv(Shader::kFmaPeak), 1, sizeof(FmaParams), {}}));
  const Buffer* buffers[] = {&out};
  GB_RETURN_IF_ERROR(pipeline.BindBuffers(buffers));
  // A multiplier just under 1 keeps the chains finite and out of denormals.
  const FmaParams params{sizes.fma_iterations, 0.999f, 0.001f};
  GB_ASSIGN_OR_RETURN(SubmitTiming best, BestOf(ctx, sizes.repeats, [&](VkCommandBuffer cmd) {
                        pipeline.RecordDispatch(cmd, &params, sizes.fma_workgroups, 1, 1);
                      }));
  return Rate(static_cast<double>(invocations) * sizes.fma_iterations * kFlopsPerIteration, best);
}

absl::StatusOr<ProbeResult> MeasureCopyBandwidth(Context& ctx, const ProbeSizes& sizes) {
  if (sizes.copy_bytes == 0 || sizes.copy_bytes % 16 != 0 || sizes.repeats == 0) {
    return absl::InvalidArgumentError(absl::StrCat("copy probe of ", sizes.copy_bytes,
                                                   " bytes: must be a positive multiple of 16"));
  }
  const uint64_t count = sizes.copy_bytes / 16;
  GB_ASSIGN_OR_RETURN(Buffer src, Buffer::Create(ctx, sizes.copy_bytes, MemoryKind::kDeviceLocal));
  GB_ASSIGN_OR_RETURN(Buffer dst, Buffer::Create(ctx, sizes.copy_bytes, MemoryKind::kDeviceLocal));
  GB_ASSIGN_OR_RETURN(
      ComputePipeline pipeline,
      ComputePipeline::Create(ctx, {ShaderSpirv(Shader::kCopy), 2, sizeof(uint32_t), {}}));
  const Buffer* buffers[] = {&src, &dst};
  GB_RETURN_IF_ERROR(pipeline.BindBuffers(buffers));
  // Fills the source so the shader reads initialised memory.
  GB_RETURN_IF_ERROR(ctx.Submit([&](VkCommandBuffer cmd) {
                          vkCmdFillBuffer(cmd, src.handle(), 0, VK_WHOLE_SIZE, 0x3f800000u);
                          RecordComputeBarrier(cmd);
                        })
                         .status());
  const uint32_t element_count = static_cast<uint32_t>(count);
  const uint32_t groups = static_cast<uint32_t>(
      std::min<uint64_t>({(count + kLocalSize - 1) / kLocalSize, kMaxCopyGroups,
                          ctx.limits().maxComputeWorkGroupCount[0]}));
  GB_ASSIGN_OR_RETURN(SubmitTiming best, BestOf(ctx, sizes.repeats, [&](VkCommandBuffer cmd) {
                        pipeline.RecordDispatch(cmd, &element_count, groups, 1, 1);
                      }));
  return Rate(2.0 * static_cast<double>(sizes.copy_bytes), best);
}

}  // namespace gridbench::kernels::vulkan
