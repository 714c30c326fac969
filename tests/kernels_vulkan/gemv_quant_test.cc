#include "kernels/vulkan/gemv_quant.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "kernels/vulkan/reference.h"
#include "tests/kernels_vulkan/validated_context.h"

namespace gridbench::kernels::vulkan {
namespace {

// Products of small integers and fp16 scales, summed over <= 512 terms in fp32.
constexpr float kGemvRelTolerance = 1e-5f;
constexpr float kGemvAbsTolerance = 1e-4f;

void AppendHalf(std::vector<uint8_t>& out, float value) {
  const uint16_t h = FloatToHalf(value);
  out.push_back(static_cast<uint8_t>(h & 0xff));
  out.push_back(static_cast<uint8_t>(h >> 8));
}

// A Q8_0 block: scale d, values q[0..31].
void AppendQ8_0(std::vector<uint8_t>& out, float d, const int8_t (&q)[32]) {
  AppendHalf(out, d);
  for (int8_t v : q) out.push_back(static_cast<uint8_t>(v));
}

// A Q4_0 block: scale d, codes c[0..31] in 0..15 (value = (c - 8) * d).
void AppendQ4_0(std::vector<uint8_t>& out, float d, const uint8_t (&c)[32]) {
  AppendHalf(out, d);
  for (int i = 0; i < 16; ++i) out.push_back(static_cast<uint8_t>(c[i] | (c[i + 16] << 4)));
}

std::vector<uint8_t> RandomBlocks(QuantType type, uint32_t rows, uint32_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> scale(-0.05f, 0.05f);
  std::vector<uint8_t> out;
  for (uint32_t b = 0; b < rows * (cols / 32); ++b) {
    AppendHalf(out, scale(rng));
    for (size_t i = 2; i < QuantBlockBytes(type); ++i)
      out.push_back(static_cast<uint8_t>(byte(rng)));
  }
  return out;
}

void ExpectClose(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], kGemvAbsTolerance + kGemvRelTolerance * std::fabs(want[i]))
        << "row " << i;
  }
}

using QuantGemvTest = ValidatedContextTest;

TEST_F(QuantGemvTest, Q8_0HandBuiltBlocks) {
  // Row 0: one block, d = 0.5, q[i] = i - 16, x = 1  -> 0.5 * sum(i - 16) = -8.
  // Row 1: one block, d = -2, q = {127, -128, 0...}, x[0] = 1, x[1] = 1 -> -2 * (-1) = 2.
  int8_t ramp[32], ends[32] = {127, -128};
  for (int i = 0; i < 32; ++i) ramp[i] = static_cast<int8_t>(i - 16);
  std::vector<uint8_t> w;
  AppendQ8_0(w, 0.5f, ramp);
  AppendQ8_0(w, -2.0f, ends);
  ASSERT_EQ(w.size(), 2 * kQ8_0BlockBytes);
  const std::vector<float> x(32, 1.0f);
  absl::StatusOr<QuantGemvKernel> kernel = QuantGemvKernel::Create(ctx(), QuantType::kQ8_0);
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  absl::StatusOr<std::vector<float>> y = QuantGemv(ctx(), *kernel, w, 2, 32, x);
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectClose(*y, {-8.0f, 2.0f});
  ExpectClose(QuantGemvRef(QuantType::kQ8_0, w, 2, 32, x), {-8.0f, 2.0f});
}

TEST_F(QuantGemvTest, Q4_0HandBuiltBlocks) {
  // Row 0: d = 0.25, code 9 at value 3 and code 0 at value 20 (a high nibble),
  //   8 (= zero) elsewhere; x[i] = i -> 0.25 * (1 * 3 + (-8) * 20) = -39.25.
  // Row 1: d = 1, codes all 15 -> values 7; x[i] = i -> 7 * 496 = 3472.
  uint8_t sparse[32], full[32];
  std::memset(sparse, 8, sizeof(sparse));
  sparse[3] = 9;
  sparse[20] = 0;
  std::memset(full, 15, sizeof(full));
  std::vector<uint8_t> w;
  AppendQ4_0(w, 0.25f, sparse);
  AppendQ4_0(w, 1.0f, full);
  ASSERT_EQ(w.size(), 2 * kQ4_0BlockBytes);
  std::vector<float> x(32);
  for (int i = 0; i < 32; ++i) x[i] = static_cast<float>(i);
  absl::StatusOr<QuantGemvKernel> kernel = QuantGemvKernel::Create(ctx(), QuantType::kQ4_0);
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  absl::StatusOr<std::vector<float>> y = QuantGemv(ctx(), *kernel, w, 2, 32, x);
  ASSERT_TRUE(y.ok()) << y.status();
  ExpectClose(*y, {-39.25f, 3472.0f});
  ExpectClose(QuantGemvRef(QuantType::kQ4_0, w, 2, 32, x), {-39.25f, 3472.0f});
}

TEST_F(QuantGemvTest, RandomMatchesReference) {
  // Odd row counts put blocks at both 4-byte alignments and leave a padded tail.
  struct Case {
    uint32_t rows, cols, threads;
  } cases[] = {{1, 32, 64}, {7, 96, 64}, {33, 512, 32}, {5, 64, 128}, {3, 1024, 4}};
  for (QuantType type : {QuantType::kQ8_0, QuantType::kQ4_0}) {
    for (const Case& c : cases) {
      absl::StatusOr<QuantGemvKernel> kernel = QuantGemvKernel::Create(ctx(), type, c.threads);
      ASSERT_TRUE(kernel.ok()) << kernel.status();
      const std::vector<uint8_t> w = RandomBlocks(type, c.rows, c.cols, c.rows * 7 + c.cols);
      std::mt19937 rng(c.cols);
      std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
      std::vector<float> x(c.cols);
      for (float& v : x) v = dist(rng);
      absl::StatusOr<std::vector<float>> y = QuantGemv(ctx(), *kernel, w, c.rows, c.cols, x);
      ASSERT_TRUE(y.ok()) << y.status();
      SCOPED_TRACE(::testing::Message()
                   << (type == QuantType::kQ8_0 ? "Q8_0 " : "Q4_0 ") << c.rows << "x" << c.cols);
      ExpectClose(*y, QuantGemvRef(type, w, c.rows, c.cols, x));
    }
  }
}

TEST_F(QuantGemvTest, BadShapesAreInvalidArgument) {
  absl::StatusOr<QuantGemvKernel> kernel = QuantGemvKernel::Create(ctx(), QuantType::kQ8_0);
  ASSERT_TRUE(kernel.ok());
  const std::vector<uint8_t> w(kQ8_0BlockBytes);
  const std::vector<float> x(48);
  EXPECT_EQ(QuantGemv(ctx(), *kernel, w, 1, 48, x).status().code(),
            absl::StatusCode::kInvalidArgument);  // cols not a multiple of 32
  EXPECT_EQ(QuantGemv(ctx(), *kernel, w, 2, 32, std::span(x).first(32)).status().code(),
            absl::StatusCode::kInvalidArgument);  // too few weight bytes
  EXPECT_EQ(QuantGemv(ctx(), *kernel, w, 1, 32, x).status().code(),
            absl::StatusCode::kInvalidArgument);  // x too long
  EXPECT_EQ(QuantGemvKernel::Create(ctx(), QuantType::kQ4_0, 48).status().code(),
            absl::StatusCode::kInvalidArgument);  // not a power of two
}

}  // namespace
}  // namespace gridbench::kernels::vulkan
