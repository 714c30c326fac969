#include "kernels/vulkan/gemm.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kernels/vulkan/shaders.h"

namespace gridbench::kernels::vulkan {
namespace {

// gemm_naive.comp's local size.
constexpr uint32_t kNaiveBlock = 16;

struct Shape {
  uint32_t m, n, k;
};

uint32_t CeilDiv(uint32_t a, uint32_t b) { return (a + b - 1) / b; }

absl::Status CheckTiles(const Context& ctx, const GemmTiles& t) {
  if (t.bm == 0 || t.bn == 0 || t.bk == 0 || t.tm == 0 || t.tn == 0 || t.bm % t.tm != 0 ||
      t.bn % t.tn != 0 || t.tm % 4 != 0 || t.tn % 4 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("GEMM tiles ", t.bm, "x", t.bn, "x", t.bk, " / ", t.tm, "x", t.tn,
                     ": sizes must be positive, tm and tn multiples of 4, tm|bm, tn|bn"));
  }
  const uint64_t threads = uint64_t{t.bm / t.tm} * (t.bn / t.tn);
  const VkPhysicalDeviceLimits& limits = ctx.limits();
  if (threads > limits.maxComputeWorkGroupInvocations ||
      threads > limits.maxComputeWorkGroupSize[0]) {
    return absl::InvalidArgumentError(
        absl::StrCat("GEMM tiles need ", threads, " invocations per workgroup; ", ctx.info().name,
                     " allows ", limits.maxComputeWorkGroupInvocations));
  }
  const uint64_t shared = (uint64_t{t.bm} + t.bn) * t.bk * sizeof(float);
  if (shared > limits.maxComputeSharedMemorySize) {
    return absl::InvalidArgumentError(absl::StrCat("GEMM tiles need ", shared,
                                                   " bytes of shared memory; ", ctx.info().name,
                                                   " has ", limits.maxComputeSharedMemorySize));
  }
  return absl::OkStatus();
}

absl::Status CheckBuffer(const Buffer& buffer, uint64_t floats, const char* name) {
  if (buffer.size() < floats * sizeof(float)) {
    return absl::InvalidArgumentError(absl::StrCat("GEMM buffer ", name, " holds ", buffer.size(),
                                                   " bytes; the shape needs ",
                                                   floats * sizeof(float)));
  }
  return absl::OkStatus();
}

}  // namespace

GemmTiles DefaultGemmTiles(const DeviceInfo& device) {
  if (device.software) return GemmTiles{64, 64, 16, 16, 16};
  return GemmTiles{128, 128, 16, 8, 8};
}

absl::StatusOr<GemmKernel> GemmKernel::Create(Context& ctx, GemmVariant variant,
                                              const GemmTiles& tiles) {
  PipelineSpec spec;
  spec.buffer_count = 3;
  spec.push_constant_bytes = sizeof(Shape);
  if (variant == GemmVariant::kNaive) {
    spec.spirv = ShaderSpirv(Shader::kGemmNaive);
  } else {
    GB_RETURN_IF_ERROR(CheckTiles(ctx, tiles));
    spec.spirv = ShaderSpirv(Shader::kGemmTiled);
    spec.specialization = {tiles.bm, tiles.bn, tiles.bk,
                           tiles.tm, tiles.tn, (tiles.bm / tiles.tm) * (tiles.bn / tiles.tn)};
  }
  GB_ASSIGN_OR_RETURN(ComputePipeline pipeline, ComputePipeline::Create(ctx, spec));
  return GemmKernel(&ctx, variant, tiles, std::move(pipeline));
}

absl::StatusOr<SubmitTiming> GemmKernel::Run(const Buffer& a, const Buffer& b, const Buffer& c,
                                             uint32_t m, uint32_t n, uint32_t k,
                                             uint32_t iterations) {
  if (m == 0 || n == 0 || k == 0 || iterations == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "GEMM needs positive m, n, k and iterations; got ", m, "x", n, "x", k, ", ", iterations));
  }
  GB_RETURN_IF_ERROR(CheckBuffer(a, uint64_t{m} * k, "A"));
  GB_RETURN_IF_ERROR(CheckBuffer(b, uint64_t{k} * n, "B"));
  GB_RETURN_IF_ERROR(CheckBuffer(c, uint64_t{m} * n, "C"));
  const bool naive = variant_ == GemmVariant::kNaive;
  const uint32_t groups_x = CeilDiv(n, naive ? kNaiveBlock : tiles_.bn);
  const uint32_t groups_y = CeilDiv(m, naive ? kNaiveBlock : tiles_.bm);
  const VkPhysicalDeviceLimits& limits = ctx_->limits();
  if (groups_x > limits.maxComputeWorkGroupCount[0] ||
      groups_y > limits.maxComputeWorkGroupCount[1]) {
    return absl::InvalidArgumentError(absl::StrCat("GEMM ", m, "x", n, "x", k, " needs ", groups_x,
                                                   "x", groups_y,
                                                   " workgroups, over the device's limit"));
  }
  const Buffer* buffers[] = {&a, &b, &c};
  GB_RETURN_IF_ERROR(pipeline_.BindBuffers(buffers));
  const Shape shape{m, n, k};
  return ctx_->Submit([&](VkCommandBuffer cmd) {
    for (uint32_t i = 0; i < iterations; ++i) {
      pipeline_.RecordDispatch(cmd, &shape, groups_x, groups_y, 1);
      RecordComputeBarrier(cmd);
    }
  });
}

absl::StatusOr<std::vector<float>> Gemm(Context& ctx, GemmKernel& kernel, std::span<const float> a,
                                        std::span<const float> b, uint32_t m, uint32_t n,
                                        uint32_t k) {
  if (a.size() != uint64_t{m} * k || b.size() != uint64_t{k} * n) {
    return absl::InvalidArgumentError(absl::StrCat("GEMM ", m, "x", n, "x", k, " needs A of ",
                                                   uint64_t{m} * k, " and B of ", uint64_t{k} * n,
                                                   " floats; got ", a.size(), " and ", b.size()));
  }
  GB_ASSIGN_OR_RETURN(Buffer da, Buffer::Create(ctx, a.size_bytes(), MemoryKind::kDeviceLocal));
  GB_ASSIGN_OR_RETURN(Buffer db, Buffer::Create(ctx, b.size_bytes(), MemoryKind::kDeviceLocal));
  const uint64_t c_bytes = uint64_t{m} * n * sizeof(float);
  GB_ASSIGN_OR_RETURN(Buffer dc, Buffer::Create(ctx, c_bytes, MemoryKind::kDeviceLocal));
  GB_RETURN_IF_ERROR(Upload(ctx, da, a.data(), a.size_bytes()));
  GB_RETURN_IF_ERROR(Upload(ctx, db, b.data(), b.size_bytes()));
  GB_RETURN_IF_ERROR(kernel.Run(da, db, dc, m, n, k, 1).status());
  std::vector<float> c(uint64_t{m} * n);
  GB_RETURN_IF_ERROR(Download(ctx, dc, c.data(), c_bytes));
  return c;
}

}  // namespace gridbench::kernels::vulkan
