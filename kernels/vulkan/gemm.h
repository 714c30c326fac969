// fp32 GEMM on a Vulkan device: C = A * B, all row-major. Two variants: a
// shared-memory tiled kernel with register blocking (tile sizes are
// specialization constants) and a naive one-invocation-per-output baseline.
//
// Thread-safety: as Context; a GemmKernel must not outlive its Context.
#ifndef GRIDBENCH_KERNELS_VULKAN_GEMM_H_
#define GRIDBENCH_KERNELS_VULKAN_GEMM_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "kernels/vulkan/buffer.h"
#include "kernels/vulkan/context.h"
#include "kernels/vulkan/pipeline.h"

namespace gridbench::kernels::vulkan {

enum class GemmVariant { kTiled, kNaive };

// A workgroup computes a bm x bn tile of C in steps of bk along k; each
// invocation holds tm x tn results, so a workgroup has (bm/tm)*(bn/tn)
// invocations and (bm+bn)*bk floats of shared memory. The shader reads shared
// memory as vec4, so tm and tn must be multiples of 4.
struct GemmTiles {
  uint32_t bm = 64, bn = 64, bk = 16, tm = 4, tn = 4;
};

// Tiles that suit the device: 128x128x8 with 8x8 per invocation on a GPU,
// 64x64x16 with 16x16 on a CPU (software) device, where every load is a
// per-lane gather and only large register blocks pay.
GemmTiles DefaultGemmTiles(const DeviceInfo& device);

class GemmKernel {
 public:
  // INVALID_ARGUMENT when a tile size is 0, tm or tn is not a multiple of 4,
  // tm does not divide bm or tn does not divide bn, or the tiles exceed the device's workgroup size
  // or shared memory. `tiles` is ignored for kNaive.
  static absl::StatusOr<GemmKernel> Create(Context& ctx, GemmVariant variant,
                                           const GemmTiles& tiles);

  // Records `iterations` back-to-back products into one submit and waits;
  // divide the timing by `iterations`. `a`, `b` and `c` hold at least m*k,
  // k*n and m*n floats. INVALID_ARGUMENT when a dimension or `iterations`
  // is 0, a buffer is too small, or the grid exceeds the device's limits.
  absl::StatusOr<SubmitTiming> Run(const Buffer& a, const Buffer& b, const Buffer& c, uint32_t m,
                                   uint32_t n, uint32_t k, uint32_t iterations);

  GemmVariant variant() const { return variant_; }
  const GemmTiles& tiles() const { return tiles_; }

 private:
  GemmKernel(Context* ctx, GemmVariant variant, const GemmTiles& tiles, ComputePipeline pipeline)
      : ctx_(ctx), variant_(variant), tiles_(tiles), pipeline_(std::move(pipeline)) {}

  Context* ctx_;
  GemmVariant variant_;
  GemmTiles tiles_;
  ComputePipeline pipeline_;
};

// Uploads `a` (m x k) and `b` (k x n), runs `kernel` once and returns C.
// INVALID_ARGUMENT when the spans do not match the shape.
absl::StatusOr<std::vector<float>> Gemm(Context& ctx, GemmKernel& kernel, std::span<const float> a,
                                        std::span<const float> b, uint32_t m, uint32_t n,
                                        uint32_t k);

}  // namespace gridbench::kernels::vulkan

#endif  // GRIDBENCH_KERNELS_VULKAN_GEMM_H_
