#include "kernels/vulkan/gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/vulkan/reference.h"
#include "tests/kernels_vulkan/validated_context.h"

namespace gridbench::kernels::vulkan {
namespace {

// Inputs are uniform in [-1, 1]; fp32 accumulation over k <= 200 terms stays
// well inside this.
constexpr float kGemmAbsTolerance = 1e-4f;

struct GemmShape {
  uint32_t m, n, k;
};

std::vector<float> RandomMatrix(size_t count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(count);
  for (float& x : v) x = dist(rng);
  return v;
}

class GemmTest : public ValidatedContextTest, public ::testing::WithParamInterface<GemmVariant> {
 protected:
  void CheckShape(const GemmKernel& kernel_in, GemmShape s) {
    GemmKernel& kernel = const_cast<GemmKernel&>(kernel_in);
    const std::vector<float> a = RandomMatrix(size_t{s.m} * s.k, s.m * 131 + s.k);
    const std::vector<float> b = RandomMatrix(size_t{s.k} * s.n, s.n * 71 + s.k);
    absl::StatusOr<std::vector<float>> c = Gemm(ctx(), kernel, a, b, s.m, s.n, s.k);
    ASSERT_TRUE(c.ok()) << c.status();
    const std::vector<float> want = GemmRef(a, b, s.m, s.n, s.k);
    ASSERT_EQ(c->size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_NEAR((*c)[i], want[i], kGemmAbsTolerance)
          << s.m << "x" << s.n << "x" << s.k << " at row " << i / s.n << " col " << i % s.n;
    }
  }
};

TEST_P(GemmTest, MatchesReferenceOnEdgeAndRandomShapes) {
  absl::StatusOr<GemmKernel> kernel =
      GemmKernel::Create(ctx(), GetParam(), DefaultGemmTiles(ctx().info()));
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  const GemmShape shapes[] = {{1, 1, 1},    {1, 7, 1},   {5, 1, 3},     {64, 64, 16},
                              {65, 63, 17}, {3, 130, 1}, {33, 17, 200}, {128, 96, 40}};
  for (const GemmShape& s : shapes) CheckShape(*kernel, s);
  std::mt19937 rng(42);
  std::uniform_int_distribution<uint32_t> dim(1, 150);
  for (int i = 0; i < 4; ++i) CheckShape(*kernel, {dim(rng), dim(rng), dim(rng)});
}

TEST_P(GemmTest, SmallTilesWithOddShapes) {
  // Tiles that leave partial tiles in every direction, with bk > k.
  absl::StatusOr<GemmKernel> kernel = GemmKernel::Create(ctx(), GetParam(), {16, 32, 8, 4, 8});
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  CheckShape(*kernel, {17, 33, 5});
  CheckShape(*kernel, {1, 1, 9});
}

TEST_P(GemmTest, GpuTilesWithOddShapes) {
  // The tiles DefaultGemmTiles picks on a GPU, checked here on any device.
  absl::StatusOr<GemmKernel> kernel = GemmKernel::Create(ctx(), GetParam(), {128, 128, 8, 8, 8});
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  CheckShape(*kernel, {129, 130, 9});
  CheckShape(*kernel, {1, 200, 3});
}

INSTANTIATE_TEST_SUITE_P(Variants, GemmTest,
                         ::testing::Values(GemmVariant::kTiled, GemmVariant::kNaive),
                         [](const auto& info) {
                           return info.param == GemmVariant::kTiled ? "Tiled" : "Naive";
                         });

using GemmErrorTest = ValidatedContextTest;

TEST_F(GemmErrorTest, BadTilesAreInvalidArgument) {
  const GemmTiles bad[] = {{64, 64, 16, 3, 4},         // tm not a multiple of 4
                           {36, 64, 16, 8, 4},         // tm does not divide bm
                           {64, 64, 0, 4, 4},          // bk = 0
                           {2048, 2048, 16, 4, 4},     // 262144 invocations
                           {256, 256, 4096, 16, 16}};  // too much shared memory
  for (const GemmTiles& t : bad) {
    EXPECT_EQ(GemmKernel::Create(ctx(), GemmVariant::kTiled, t).status().code(),
              absl::StatusCode::kInvalidArgument)
        << t.bm << "x" << t.bn << "x" << t.bk << "/" << t.tm << "x" << t.tn;
  }
}

TEST_F(GemmErrorTest, BadShapesAreInvalidArgument) {
  absl::StatusOr<GemmKernel> kernel = GemmKernel::Create(ctx(), GemmVariant::kTiled, {});
  ASSERT_TRUE(kernel.ok());
  const std::vector<float> four(4, 1.0f);
  EXPECT_EQ(Gemm(ctx(), *kernel, four, four, 2, 2, 3).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Gemm(ctx(), *kernel, {}, {}, 0, 2, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<Buffer> small = Buffer::Create(ctx(), 16, MemoryKind::kDeviceLocal);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(kernel->Run(*small, *small, *small, 4, 4, 4, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(kernel->Run(*small, *small, *small, 2, 2, 1, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gridbench::kernels::vulkan
