// Quantized GEMV on a Vulkan device: y = W x with W in ggml's Q8_0 or Q4_0
// block layout (see reference.h), dequantised in the shader. The weight bytes
// may start blocks at any 2-byte boundary; the buffer holding them must be
// padded to a multiple of 4 bytes (QuantWeightBufferBytes).
//
// Thread-safety: as Context; a QuantGemvKernel must not outlive its Context.
#ifndef GRIDBENCH_KERNELS_VULKAN_GEMV_QUANT_H_
#define GRIDBENCH_KERNELS_VULKAN_GEMV_QUANT_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "kernels/vulkan/buffer.h"
#include "kernels/vulkan/context.h"
#include "kernels/vulkan/pipeline.h"
#include "kernels/vulkan/reference.h"

namespace gridbench::kernels::vulkan {

// Bytes of a rows x cols matrix in `type`, before padding.
uint64_t QuantWeightBytes(QuantType type, uint32_t rows, uint32_t cols);
// The same rounded up to a multiple of 4: the size the weight buffer needs.
uint64_t QuantWeightBufferBytes(QuantType type, uint32_t rows, uint32_t cols);

class QuantGemvKernel {
 public:
  // One workgroup of `threads` invocations per row. INVALID_ARGUMENT unless
  // `threads` is a power of two, at least 4, within the device's workgroup
  // limits.
  static absl::StatusOr<QuantGemvKernel> Create(Context& ctx, QuantType type,
                                                uint32_t threads = 64);

  // Records `iterations` products into one submit and waits. `weights` holds
  // QuantWeightBufferBytes, `x` cols floats, `y` rows floats.
  // INVALID_ARGUMENT when cols is not a positive multiple of 32, rows or
  // iterations is 0, rows exceeds the device's workgroup count, or a buffer
  // is too small.
  absl::StatusOr<SubmitTiming> Run(const Buffer& weights, const Buffer& x, const Buffer& y,
                                   uint32_t rows, uint32_t cols, uint32_t iterations);

  QuantType type() const { return type_; }

 private:
  QuantGemvKernel(Context* ctx, QuantType type, ComputePipeline pipeline)
      : ctx_(ctx), type_(type), pipeline_(std::move(pipeline)) {}

  Context* ctx_;
  QuantType type_;
  ComputePipeline pipeline_;
};

// Uploads `weights` (exactly QuantWeightBytes) and `x` (cols floats), runs
// `kernel` once and returns y. INVALID_ARGUMENT when the spans do not match.
absl::StatusOr<std::vector<float>> QuantGemv(Context& ctx, QuantGemvKernel& kernel,
                                             std::span<const uint8_t> weights, uint32_t rows,
                                             uint32_t cols, std::span<const float> x);

}  // namespace gridbench::kernels::vulkan

#endif  // GRIDBENCH_KERNELS_VULKAN_GEMV_QUANT_H_
