#include "kernels/cpu/peak_probe.h"

#include <cmath>

#include "gtest/gtest.h"
#include "kernels/cpu/peak_kernels.h"

namespace gridbench::kernels {
namespace {

// Scalar FMA fallback (multiply then add, two roundings) against the fma
// reference. One step at the test's iteration count changes the value by
// about 3e-3 relative, so this still catches a wrong iteration count.
constexpr double kFmaScalarRelTolerance = 1e-4;
// Short enough for a unit test; the figures are not checked against targets.
constexpr double kProbeSeconds = 0.02;

PeakProbeOptions Options(int threads, double seconds, std::string variant = "") {
  PeakProbeOptions options;
  options.threads = threads;
  options.target_seconds = seconds;
  options.variant = std::move(variant);
  return options;
}

// Runs the kernel of FMA variant `name` directly.
float RunFmaVariant(const std::string& name, int64_t iterations) {
  if (name == "avx512") return peak::FmaPeakAvx512(iterations);
  if (name == "avx2") return peak::FmaPeakAvx2(iterations);
  return peak::FmaPeakScalar(iterations);
}

int32_t RunInt8Variant(const std::string& name, int64_t iterations) {
  if (name == "avx512_vnni") return peak::Int8DotPeakAvx512Vnni(iterations);
  if (name == "avx2") return peak::Int8DotPeakAvx2(iterations);
  return peak::Int8DotPeakScalar(iterations);
}

TEST(PeakKernelsTest, FmaReferenceDependsOnIterationCount) {
  EXPECT_EQ(peak::FmaChainReference(0), 0.0f);
  EXPECT_EQ(peak::FmaChainReference(1), 1.0f);
  EXPECT_GT(peak::FmaChainReference(201), peak::FmaChainReference(200) * (1 + 1e-3));
  EXPECT_LT(peak::FmaChainReference(1 << 20), 256.0f);
}

TEST(PeakKernelsTest, EveryFmaVariantMatchesReference) {
  for (const std::string& name : Fp32FmaVariants(DetectCpuFeatures())) {
    for (int64_t n : {1, 7, 200, 201}) {
      const double want = peak::FmaChainReference(n);
      // SIMD variants round once per step, as the reference does: exact.
      const double tolerance = name == "scalar" ? kFmaScalarRelTolerance * want : 0.0;
      EXPECT_NEAR(RunFmaVariant(name, n), want, tolerance) << name << " n=" << n;
    }
  }
}

TEST(PeakKernelsTest, EveryInt8VariantMatchesReference) {
  for (const std::string& name : Int8DotVariants(DetectCpuFeatures())) {
    for (int64_t n : {1, 7, 1000}) {
      EXPECT_EQ(RunInt8Variant(name, n), peak::kInt8DotPerStep * n) << name << " n=" << n;
    }
  }
  // Lanes wrap modulo 2^32, like the hardware's.
  EXPECT_EQ(peak::Int8DotReference(int64_t{1} << 31), 0);
}

TEST(PeakProbeTest, VariantListsEndWithScalar) {
  EXPECT_EQ(Fp32FmaVariants(CpuFeatures{}), std::vector<std::string>{"scalar"});
  EXPECT_EQ(Int8DotVariants(CpuFeatures{}), std::vector<std::string>{"scalar"});
  CpuFeatures vnni;
  vnni.avx2 = vnni.fma = vnni.avx512f = vnni.avx512_vnni = true;
  EXPECT_EQ(Fp32FmaVariants(vnni), (std::vector<std::string>{"avx512", "avx2", "scalar"}));
  EXPECT_EQ(Int8DotVariants(vnni), (std::vector<std::string>{"avx512_vnni", "avx2", "scalar"}));
}

void ExpectSane(const PeakProbeResult& r, int threads, const char* unit) {
  EXPECT_TRUE(std::isfinite(r.value)) << r.value;
  EXPECT_GT(r.value, 0);
  EXPECT_EQ(r.unit, unit);
  EXPECT_EQ(r.threads, threads);
  EXPECT_GT(r.seconds, 0);
  EXPECT_GE(r.iterations, 1);
  EXPECT_FALSE(r.variant.empty());
}

TEST(PeakProbeTest, FmaProbeEveryVariantAndThreadCount) {
  for (const std::string& variant : Fp32FmaVariants(DetectCpuFeatures())) {
    for (int threads : {1, ProbeCpuCount()}) {
      auto r = ProbeFp32FmaPeak(Options(threads, kProbeSeconds, variant));
      ASSERT_TRUE(r.ok()) << r.status();
      ExpectSane(*r, threads, "GFLOP/s");
      EXPECT_EQ(r->variant, variant);
      EXPECT_NEAR(r->checksum, peak::FmaChainReference(r->iterations),
                  kFmaScalarRelTolerance * 256);
    }
  }
}

TEST(PeakProbeTest, Int8ProbeEveryVariantAndThreadCount) {
  for (const std::string& variant : Int8DotVariants(DetectCpuFeatures())) {
    for (int threads : {1, ProbeCpuCount()}) {
      auto r = ProbeInt8DotPeak(Options(threads, kProbeSeconds, variant));
      ASSERT_TRUE(r.ok()) << r.status();
      ExpectSane(*r, threads, "GOP/s");
      EXPECT_EQ(r->variant, variant);
      EXPECT_EQ(r->checksum, peak::Int8DotReference(r->iterations));
    }
  }
}

TEST(PeakProbeTest, DefaultVariantIsFastestSupported) {
  auto fma = ProbeFp32FmaPeak(Options(1, kProbeSeconds));
  ASSERT_TRUE(fma.ok()) << fma.status();
  EXPECT_EQ(fma->variant, Fp32FmaVariants(DetectCpuFeatures()).front());
  auto int8 = ProbeInt8DotPeak(Options(1, kProbeSeconds));
  ASSERT_TRUE(int8.ok()) << int8.status();
  EXPECT_EQ(int8->variant, Int8DotVariants(DetectCpuFeatures()).front());
}

TEST(PeakProbeTest, TriadSmallArrays) {
  constexpr int64_t kElements = 1 << 20;  // small: checks the mechanics, not the bandwidth
  for (int threads : {1, ProbeCpuCount()}) {
    auto r = ProbeTriadBandwidth(Options(threads, kProbeSeconds), kElements);
    ASSERT_TRUE(r.ok()) << r.status();
    ExpectSane(*r, threads, "GB/s");
    EXPECT_EQ(r->checksum, 7.0 * kElements);
  }
  // Slices split unevenly when threads do not divide the length.
  auto odd =
      ProbeTriadBandwidth(Options(ProbeCpuCount(), kProbeSeconds), ProbeCpuCount() * 1001 + 1);
  ASSERT_TRUE(odd.ok()) << odd.status();
  EXPECT_EQ(odd->checksum, 7.0 * (ProbeCpuCount() * 1001 + 1));
}

TEST(PeakProbeTest, DefaultTriadArraysExceedCache) {
  EXPECT_GE(DefaultTriadArrayElements(), int64_t{8} << 20);
}

TEST(PeakProbeTest, RefusesBadOptions) {
  const int too_many = ProbeCpuCount() + 1;
  EXPECT_EQ(ProbeFp32FmaPeak(Options(0, kProbeSeconds)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ProbeFp32FmaPeak(Options(too_many, kProbeSeconds)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ProbeInt8DotPeak(Options(1, 0)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ProbeInt8DotPeak(Options(1, NAN)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ProbeFp32FmaPeak(Options(1, 61)).status().code(), absl::StatusCode::kInvalidArgument);
  const absl::Status unknown = ProbeFp32FmaPeak(Options(1, kProbeSeconds, "neon")).status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.message().find("neon"), std::string::npos) << unknown;
  EXPECT_EQ(ProbeTriadBandwidth(Options(1, kProbeSeconds, "avx512"), 1 << 10).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ProbeTriadBandwidth(Options(1, kProbeSeconds), 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  if (!DetectCpuFeatures().avx512_vnni) {
    EXPECT_EQ(ProbeInt8DotPeak(Options(1, kProbeSeconds, "avx512_vnni")).status().code(),
              absl::StatusCode::kFailedPrecondition);
  }
}

}  // namespace
}  // namespace gridbench::kernels
