#include "worker/gemv_tasks.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/task_params.h"
#include "kernels/parallel/thread_pool.h"
#include "kernels/quant/matmul.h"
#include "kernels/vulkan/buffer.h"
#include "kernels/vulkan/gemv_quant.h"
#include "worker/kernel_inputs.h"
#include "worker/kernel_result.h"
#include "worker/peak_fraction.h"
#include "worker/quant_weights.h"
#include "worker/timed_samples.h"
#include "worker/vulkan_task_device.h"

namespace gridbench::worker {
namespace {

namespace quant = kernels::quant;
namespace vk = kernels::vulkan;

// The seeded, quantized W and the seeded x of a gemv task.
struct GemvInputs {
  std::unique_ptr<QuantizedWeights> w;
  std::vector<float> x;
};

absl::StatusOr<GemvInputs> MakeGemvInputs(const GemvParams& p) {
  GB_ASSIGN_OR_RETURN(const quant::QuantType type, WeightTypeFromParam(p.weight_type));
  const auto values = static_cast<uint64_t>(p.rows * p.cols);
  GB_RETURN_IF_ERROR(CheckFitsInAvailableMemory(
      absl::StrCat("gemv ", p.rows, "x", p.cols, " (fp32 W before quantizing)"), values * 8));
  GemvInputs in;
  std::vector<float> w(values);
  in.x.resize(p.cols);
  FillSeededInputs(p.timing.seed, {w, in.x});
  GB_ASSIGN_OR_RETURN(in.w, QuantizeWeights(type, w, p.rows, p.cols));
  return in;
}

gridbench::v1::ResultPayload GemvResult(const GemvParams& p, const GemvInputs& in,
                                        const std::vector<double>& samples,
                                        const std::vector<float>& y, int64_t started) {
  const KernelWork work{2.0 * static_cast<double>(p.rows) * static_cast<double>(p.cols),
                        static_cast<double>(in.w->bytes.size())};
  gridbench::v1::ResultPayload out =
      KernelResult("gemv", p.backend, samples, work, p.timing, OutputChecksum(y), started);
  (*out.mutable_metrics())["weight_bytes"] = work.bytes;
  (*out.mutable_metrics())[kWorkingSetMetric] = work.bytes;
  (*out.mutable_environment())["weight_type"] = p.weight_type;
  SetDetail(out, "rows", static_cast<double>(p.rows));
  SetDetail(out, "cols", static_cast<double>(p.cols));
  return out;
}

absl::StatusOr<vk::QuantType> VulkanWeightType(const std::string& weight_type) {
  if (weight_type == "q8_0") return vk::QuantType::kQ8_0;
  if (weight_type == "q4_0") return vk::QuantType::kQ4_0;
  return absl::InvalidArgumentError(absl::StrCat(
      "params.weight_type: backend vulkan runs q8_0 and q4_0, got \"", weight_type, "\""));
}

// A device-local buffer of `bytes` bytes holding `data` (`bytes` may exceed
// data's size: the rest is zeroed padding).
absl::StatusOr<vk::Buffer> DeviceBuffer(vk::Context& ctx, const void* data, size_t data_bytes,
                                        size_t bytes) {
  absl::StatusOr<vk::Buffer> buffer = vk::Buffer::Create(ctx, bytes, vk::MemoryKind::kDeviceLocal);
  if (!buffer.ok()) return OverDeviceLimits(buffer.status());
  std::vector<uint8_t> padded(bytes);
  std::copy_n(static_cast<const uint8_t*>(data), data_bytes, padded.begin());
  GB_RETURN_IF_ERROR(vk::Upload(ctx, *buffer, padded.data(), bytes));
  return buffer;
}

}  // namespace

absl::StatusOr<gridbench::v1::ResultPayload> GemvQuantTask::Run(const gridbench::v1::TaskSpec& spec,
                                                                const TaskInputs& /*inputs*/,
                                                                ProgressReporter& progress) const {
  const int64_t started = absl::ToUnixNanos(absl::Now());
  GB_ASSIGN_OR_RETURN(const GemvParams p, ParseGemvParams(spec));
  GB_ASSIGN_OR_RETURN(const int threads, QuantThreads(p.threads));
  GB_ASSIGN_OR_RETURN(const GemvInputs in, MakeGemvInputs(p));
  GB_ASSIGN_OR_RETURN(const quant::Isa isa,
                      quant::MatmulIsa(in.w->matrix.type, 1, quant::BestIsa()));
  std::vector<float> y(p.rows);
  kernels::ThreadPool pool(threads);
  GB_ASSIGN_OR_RETURN(const std::vector<double> samples,
                      TimeHostRepetitions(p.timing, progress, [&]() {
                        return quant::QuantizedGemv(in.w->matrix, in.x.data(), y.data(), &pool);
                      }));
  gridbench::v1::ResultPayload out = GemvResult(p, in, samples, y, started);
  (*out.mutable_metrics())["threads"] = threads;
  (*out.mutable_environment())["quant_isa"] = std::string(quant::IsaName(isa));
  SetDetail(out, "threads", threads);
  DeclarePeakBound(out, kCpuTriadPeak);
  return out;
}

absl::StatusOr<gridbench::v1::ResultPayload> GemvVulkanTask::Run(
    const gridbench::v1::TaskSpec& spec, const TaskInputs& /*inputs*/,
    ProgressReporter& progress) const {
  const int64_t started = absl::ToUnixNanos(absl::Now());
  GB_ASSIGN_OR_RETURN(const GemvParams p, ParseGemvParams(spec));
  GB_ASSIGN_OR_RETURN(const vk::QuantType type, VulkanWeightType(p.weight_type));
  GB_ASSIGN_OR_RETURN(const GemvInputs in, MakeGemvInputs(p));
  GB_ASSIGN_OR_RETURN(std::unique_ptr<vk::Context> ctx, OpenVulkanDevice(p.device));
  absl::StatusOr<vk::QuantGemvKernel> kernel = vk::QuantGemvKernel::Create(*ctx, type);
  if (!kernel.ok()) return OverDeviceLimits(kernel.status());
  const auto rows = static_cast<uint32_t>(p.rows), cols = static_cast<uint32_t>(p.cols);
  GB_ASSIGN_OR_RETURN(const vk::Buffer dw,
                      DeviceBuffer(*ctx, in.w->bytes.data(), in.w->bytes.size(),
                                   vk::QuantWeightBufferBytes(type, rows, cols)));
  GB_ASSIGN_OR_RETURN(
      const vk::Buffer dx,
      DeviceBuffer(*ctx, in.x.data(), in.x.size() * sizeof(float), in.x.size() * sizeof(float)));
  std::vector<float> y(p.rows);
  GB_ASSIGN_OR_RETURN(const vk::Buffer dy, DeviceBuffer(*ctx, y.data(), y.size() * sizeof(float),
                                                        y.size() * sizeof(float)));
  absl::StatusOr<VulkanSamples> samples = TimeVulkanRepetitions(
      p.timing, progress, [&]() { return kernel->Run(dw, dx, dy, rows, cols, 1); });
  if (!samples.ok()) return OverDeviceLimits(samples.status());
  GB_RETURN_IF_ERROR(vk::Download(*ctx, dy, y.data(), y.size() * sizeof(float)));
  gridbench::v1::ResultPayload out = GemvResult(p, in, samples->device_seconds, y, started);
  AddVulkanFacts(*ctx, *samples, 2.0 * static_cast<double>(p.rows) * p.cols, out);
  DeclarePeakBound(out, kVulkanCopyPeak, ctx->info().name);
  return out;
}

}  // namespace gridbench::worker
