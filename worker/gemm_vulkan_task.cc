#include "worker/gemm_vulkan_task.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/task_params.h"
#include "kernels/vulkan/buffer.h"
#include "kernels/vulkan/gemm.h"
#include "worker/hardware_probe.h"
#include "worker/kernel_inputs.h"
#include "worker/kernel_result.h"
#include "worker/peak_fraction.h"
#include "worker/vulkan_task_device.h"

namespace gridbench::worker {
namespace {

using kernels::vulkan::Buffer;
using kernels::vulkan::MemoryKind;

absl::StatusOr<Buffer> DeviceBuffer(kernels::vulkan::Context& ctx, std::span<const float> data) {
  absl::StatusOr<Buffer> buffer = Buffer::Create(ctx, data.size_bytes(), MemoryKind::kDeviceLocal);
  if (!buffer.ok()) return OverDeviceLimits(buffer.status());
  GB_RETURN_IF_ERROR(kernels::vulkan::Upload(ctx, *buffer, data.data(), data.size_bytes()));
  return buffer;
}

}  // namespace

absl::StatusOr<gridbench::v1::ResultPayload> GemmVulkanTask::Run(
    const gridbench::v1::TaskSpec& spec, const TaskInputs& /*inputs*/,
    ProgressReporter& progress) const {
  const int64_t started = absl::ToUnixNanos(absl::Now());
  GB_ASSIGN_OR_RETURN(const GemmParams p, ParseGemmParams(spec));
  GB_ASSIGN_OR_RETURN(const uint64_t available, ReadMeminfoBytes("MemAvailable"));
  GB_RETURN_IF_ERROR(CheckGemmFitsInMemory(p, available));
  GB_ASSIGN_OR_RETURN(std::unique_ptr<kernels::vulkan::Context> ctx, OpenVulkanDevice(p.device));
  absl::StatusOr<kernels::vulkan::GemmKernel> kernel = kernels::vulkan::GemmKernel::Create(
      *ctx, kernels::vulkan::GemmVariant::kTiled, kernels::vulkan::DefaultGemmTiles(ctx->info()));
  if (!kernel.ok()) return OverDeviceLimits(kernel.status());

  std::vector<float> a(p.m * p.k), b(p.k * p.n), c(p.m * p.n);
  FillSeededInputs(p.timing.seed, {a, b});
  GB_ASSIGN_OR_RETURN(const Buffer da, DeviceBuffer(*ctx, a));
  GB_ASSIGN_OR_RETURN(const Buffer db, DeviceBuffer(*ctx, b));
  GB_ASSIGN_OR_RETURN(const Buffer dc, DeviceBuffer(*ctx, c));
  const auto m = static_cast<uint32_t>(p.m), n = static_cast<uint32_t>(p.n),
             k = static_cast<uint32_t>(p.k);
  absl::StatusOr<VulkanSamples> samples = TimeVulkanRepetitions(
      p.timing, progress, [&]() { return kernel->Run(da, db, dc, m, n, k, 1); });
  if (!samples.ok()) return OverDeviceLimits(samples.status());
  GB_RETURN_IF_ERROR(kernels::vulkan::Download(*ctx, dc, c.data(), c.size() * sizeof(float)));

  const double flop = 2.0 * static_cast<double>(p.m) * static_cast<double>(p.n) * p.k;
  gridbench::v1::ResultPayload out = KernelResult("gemm", "vulkan", samples->device_seconds,
                                                  {flop, 0}, p.timing, OutputChecksum(c), started);
  AddVulkanFacts(*ctx, *samples, flop, out);
  const kernels::vulkan::GemmTiles& tiles = kernel->tiles();
  out.mutable_environment()->insert(
      {"vulkan_gemm_tiles",
       absl::StrCat(tiles.bm, "x", tiles.bn, "x", tiles.bk, "/", tiles.tm, "x", tiles.tn)});
  SetGemmShapeDetails(out, p);
  DeclarePeakBound(out, kVulkanFp32FmaPeak, ctx->info().name);
  return out;
}

}  // namespace gridbench::worker
