#include "kernels/cpu/blas.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace gridbench::kernels {
namespace {

// Relative tolerance of Sgemm against the double-accumulated reference:
// fp32 rounding grows with k; with inputs in [-1, 1] and k <= 512 the
// observed error stays below 1e-5 of sum(|a*b|).
constexpr double kSgemmRelTolerance = 1e-4;

struct Shape {
  int m, n, k;
};

std::vector<float> RandomMatrix(int rows, int cols, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> out(static_cast<size_t>(rows) * cols);
  for (float& x : out) x = dist(rng);
  return out;
}

// Checks every element of `c` against a triple loop in double, scaled by
// sum(|a_ik * b_kj|) so the bound holds whatever the cancellation.
void ExpectMatchesReference(const Shape& s, const std::vector<float>& a,
                            const std::vector<float>& b, const std::vector<float>& c) {
  for (int i = 0; i < s.m; ++i) {
    for (int j = 0; j < s.n; ++j) {
      double sum = 0, magnitude = 0;
      for (int p = 0; p < s.k; ++p) {
        const double prod = double{a[i * s.k + p]} * b[p * s.n + j];
        sum += prod;
        magnitude += std::fabs(prod);
      }
      ASSERT_NEAR(c[i * s.n + j], sum, kSgemmRelTolerance * magnitude + 1e-30)
          << "C[" << i << "][" << j << "] for m=" << s.m << " n=" << s.n << " k=" << s.k;
    }
  }
}

class SgemmShapeTest : public ::testing::TestWithParam<Shape> {};

TEST_P(SgemmShapeTest, MatchesTripleLoop) {
  const Shape s = GetParam();
  std::mt19937 rng(s.m * 1000003 + s.n * 1009 + s.k);
  const std::vector<float> a = RandomMatrix(s.m, s.k, rng);
  const std::vector<float> b = RandomMatrix(s.k, s.n, rng);
  for (int threads = 1; threads <= GetOpenBlasInfo().max_threads; ++threads) {
    std::vector<float> c(static_cast<size_t>(s.m) * s.n, NAN);  // output must be overwritten
    ASSERT_TRUE(Sgemm(s.m, s.n, s.k, a.data(), b.data(), c.data(), threads).ok());
    ExpectMatchesReference(s, a, b, c);
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, SgemmShapeTest,
                         ::testing::Values(Shape{1, 1, 1}, Shape{1, 7, 1}, Shape{5, 3, 1},
                                           Shape{3, 5, 7}, Shape{17, 1, 33}, Shape{1, 65, 9},
                                           Shape{64, 64, 64}, Shape{127, 61, 255},
                                           Shape{200, 300, 512}));

TEST(SgemmTest, ExactOnSmallIntegers) {
  const std::vector<float> a = {1, 2, 3, 4, 5, 6};     // 2x3
  const std::vector<float> b = {7, 8, 9, 10, 11, 12};  // 3x2
  std::vector<float> c(4);
  ASSERT_TRUE(Sgemm(2, 2, 3, a.data(), b.data(), c.data(), 1).ok());
  EXPECT_EQ(c, (std::vector<float>{58, 64, 139, 154}));
}

TEST(SgemmTest, RefusesInvalidArguments) {
  float x[4] = {};
  const int max = GetOpenBlasInfo().max_threads;
  EXPECT_EQ(Sgemm(0, 1, 1, x, x, x, 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Sgemm(1, -1, 1, x, x, x, 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Sgemm(1, 1, 0, x, x, x, 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Sgemm(1, 1, 1, nullptr, x, x, 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Sgemm(1, 1, 1, x, nullptr, x, 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Sgemm(1, 1, 1, x, x, nullptr, 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Sgemm(1, 1, 1, x, x, x, 0).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Sgemm(1, 1, 1, x, x, x, max + 1).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Sgemm(1 << 16, 1 << 16, 1, x, x, x, 1).code(), absl::StatusCode::kInvalidArgument);
  const absl::Status s = Sgemm(1, 1, 1, x, x, x, 0);
  EXPECT_NE(s.message().find("threads"), std::string::npos) << s;
}

TEST(OpenBlasInfoTest, Sane) {
  const OpenBlasInfo info = GetOpenBlasInfo();
  EXPECT_EQ(info.version.rfind("OpenBLAS ", 0), 0u) << info.version;
  EXPECT_EQ(info.config.rfind(info.version, 0), 0u) << info.config;
  EXPECT_FALSE(info.corename.empty());
  EXPECT_GE(info.max_threads, 1);
  EXPECT_EQ(info.fallback, IsOpenBlasFallbackCore(info.corename, DetectCpuFeatures()));
}

CpuFeatures Avx512Cpu() {
  CpuFeatures f;
  f.sse42 = f.avx = f.avx2 = f.fma = true;
  f.avx512f = f.avx512bw = f.avx512vl = f.avx512dq = true;
  return f;
}

TEST(OpenBlasCoretypeTest, RecommendationFollowsInstructionSet) {
  CpuFeatures f = Avx512Cpu();
  EXPECT_EQ(RecommendedOpenBlasCoretype(f), "SkylakeX");
  f.avx512dq = false;  // SkylakeX is recommended only with all of F, BW, VL and DQ
  EXPECT_EQ(RecommendedOpenBlasCoretype(f), "Haswell");
  f.fma = false;
  EXPECT_EQ(RecommendedOpenBlasCoretype(f), "");
  EXPECT_EQ(RecommendedOpenBlasCoretype(CpuFeatures{}), "");
}

TEST(OpenBlasCoretypeTest, FallbackCores) {
  const CpuFeatures avx512 = Avx512Cpu();
  EXPECT_TRUE(IsOpenBlasFallbackCore("Prescott", avx512));
  EXPECT_TRUE(IsOpenBlasFallbackCore("Haswell", avx512));
  EXPECT_TRUE(IsOpenBlasFallbackCore("SomeFutureCore", avx512));
  EXPECT_FALSE(IsOpenBlasFallbackCore("SkylakeX", avx512));
  EXPECT_FALSE(IsOpenBlasFallbackCore("Cooperlake", avx512));
  CpuFeatures avx2 = avx512;
  avx2.avx512f = false;
  EXPECT_FALSE(IsOpenBlasFallbackCore("Zen", avx2));
  EXPECT_TRUE(IsOpenBlasFallbackCore("Sandybridge", avx2));
  EXPECT_FALSE(IsOpenBlasFallbackCore("Prescott", CpuFeatures{}));
}

TEST(OpenBlasCoretypeTest, ReexecDecision) {
  const CpuFeatures avx512 = Avx512Cpu();
  EXPECT_EQ(OpenBlasReexecCoretype(avx512, "Prescott", nullptr, nullptr).value(), "SkylakeX");
  EXPECT_EQ(OpenBlasReexecCoretype(avx512, "SkylakeX", nullptr, nullptr).value(), "");
  // The user's OPENBLAS_CORETYPE wins, even a slow one.
  EXPECT_EQ(OpenBlasReexecCoretype(avx512, "Prescott", "Prescott", nullptr).value(), "");
  // Already re-executed and still on a fallback: stop instead of looping.
  const auto loop = OpenBlasReexecCoretype(avx512, "Prescott", nullptr, "1");
  EXPECT_EQ(loop.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(loop.status().message().find("Prescott"), std::string::npos) << loop.status();
  EXPECT_EQ(OpenBlasReexecCoretype(avx512, "SkylakeX", nullptr, "1").value(), "");
  EXPECT_EQ(OpenBlasReexecCoretype(CpuFeatures{}, "Prescott", nullptr, nullptr).value(), "");
}

TEST(OpenBlasCoretypeTest, ReexecRefusesBadArgv) {
  char arg0[] = "prog";
  char* argv[] = {arg0, arg0};  // argv[argc] is not null
  EXPECT_EQ(ReexecWithRecommendedOpenBlasCoretype(1, argv).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gridbench::kernels
