#include "kernels/vulkan/probes.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/kernels_vulkan/validated_context.h"

namespace gridbench::kernels::vulkan {
namespace {

using ProbesTest = ValidatedContextTest;

// Small sizes: the test checks that the probes run and report sane figures,
// not how fast lavapipe is.
constexpr ProbeSizes kSmall{4, 16, 1 << 16, 1};

TEST_F(ProbesTest, Fp32PeakIsPositiveAndFinite) {
  absl::StatusOr<ProbeResult> peak = MeasureFp32Peak(ctx(), kSmall);
  ASSERT_TRUE(peak.ok()) << peak.status();
  EXPECT_GT(peak->per_second, 0);
  EXPECT_TRUE(std::isfinite(peak->per_second));
  EXPECT_EQ(peak->device_timed, ctx().timestamps_supported());
}

TEST_F(ProbesTest, CopyBandwidthIsPositiveAndFinite) {
  absl::StatusOr<ProbeResult> bandwidth = MeasureCopyBandwidth(ctx(), kSmall);
  ASSERT_TRUE(bandwidth.ok()) << bandwidth.status();
  EXPECT_GT(bandwidth->per_second, 0);
  EXPECT_TRUE(std::isfinite(bandwidth->per_second));
}

TEST_F(ProbesTest, BadSizesAreInvalidArgument) {
  ProbeSizes zero = kSmall;
  zero.fma_iterations = 0;
  EXPECT_EQ(MeasureFp32Peak(ctx(), zero).status().code(), absl::StatusCode::kInvalidArgument);
  ProbeSizes odd = kSmall;
  odd.copy_bytes = 100;
  EXPECT_EQ(MeasureCopyBandwidth(ctx(), odd).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gridbench::kernels::vulkan
