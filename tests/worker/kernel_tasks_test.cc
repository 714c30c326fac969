// The kernel benchmark kinds run in-process on this machine's backends
// (OpenBLAS, kernels/quant, and Vulkan: lavapipe here), each checked against
// a plain computation on the same seeded inputs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "kernels/quant/quantize.h"
#include "kernels/vulkan/device_info.h"
#include "worker/kernel_inputs.h"
#include "worker/task_kind.h"

namespace gridbench::worker {
namespace {

using ::testing::HasSubstr;

class RecordingProgress final : public ProgressReporter {
 public:
  void Report(double fraction, std::string_view) override { fractions.push_back(fraction); }
  std::vector<double> fractions;
};

gridbench::v1::TaskSpec Spec(
    const char* kind, const char* backend,
    std::initializer_list<std::pair<const char*, double>> numbers,
    std::initializer_list<std::pair<const char*, const char*>> strings = {}) {
  gridbench::v1::TaskSpec spec;
  spec.set_kind(kind);
  spec.mutable_requirements()->set_backend(backend);
  auto& f = *spec.mutable_params()->mutable_fields();
  f["warmup"].set_number_value(1);
  f["repetitions"].set_number_value(3);
  f["seed"].set_number_value(5);
  for (const auto& [name, value] : numbers) f[name].set_number_value(value);
  for (const auto& [name, value] : strings) f[name].set_string_value(value);
  return spec;
}

absl::StatusOr<gridbench::v1::ResultPayload> RunKind(const gridbench::v1::TaskSpec& spec) {
  absl::StatusOr<const TaskKind*> kind = FindTaskKind(spec.kind(), spec.requirements().backend());
  if (!kind.ok()) return kind.status();
  RecordingProgress progress;
  absl::StatusOr<gridbench::v1::ResultPayload> result = (*kind)->Run(spec, TaskInputs{}, progress);
  if (result.ok()) {
    EXPECT_FALSE(progress.fractions.empty());
    if (!progress.fractions.empty()) {
      EXPECT_EQ(progress.fractions.back(), 1.0);
    }
  }
  return result;
}

struct Checksum {
  double sum = 0, sumsq = 0;
};

Checksum ParseChecksum(const std::string& text) {
  Checksum c;
  EXPECT_EQ(std::sscanf(text.c_str(), "sum=%lf sumsq=%lf", &c.sum, &c.sumsq), 2) << text;
  return c;
}

// sum and sumsq of C = A * B for the seeded inputs, in double.
Checksum GemmReference(uint64_t seed, int m, int n, int k) {
  std::vector<float> a(m * k), b(k * n);
  FillSeededInputs(seed, {a, b});
  Checksum c;
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double x = 0;
      for (int p = 0; p < k; ++p) x += static_cast<double>(a[i * k + p]) * b[p * n + j];
      c.sum += x;
      c.sumsq += x * x;
    }
  }
  return c;
}

bool HaveVulkan() {
  absl::StatusOr<std::vector<kernels::vulkan::DeviceInfo>> devices =
      kernels::vulkan::EnumerateDevices();
  return devices.ok() && !devices->empty();
}

void ExpectKernelResult(const gridbench::v1::ResultPayload& r, const char* kind,
                        const char* backend, const char* peak) {
  EXPECT_EQ(r.kind(), kind);
  EXPECT_EQ(r.samples_seconds_size(), 3);
  EXPECT_GT(r.summary().min(), 0);
  EXPECT_GT(r.metrics().at("gflops_median"), 0);
  EXPECT_GE(r.metrics().at("gflops_best"), r.metrics().at("gflops_median"));
  EXPECT_EQ(r.environment().at("backend"), backend);
  EXPECT_EQ(r.environment().at("peak_bound"), peak);
  EXPECT_LE(r.started_unix_nanos(), r.finished_unix_nanos());
}

TEST(KernelTasksTest, GemmOnVulkanMatchesTheReference) {
  if (!HaveVulkan()) GTEST_SKIP() << "no Vulkan device here";
  const int m = 70, n = 33, k = 45;
  absl::StatusOr<gridbench::v1::ResultPayload> r =
      RunKind(Spec("gemm", "vulkan", {{"m", m}, {"n", n}, {"k", k}}));
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectKernelResult(*r, "gemm", "vulkan", "vulkan_fp32_fma");
  const Checksum want = GemmReference(5, m, n, k), got = ParseChecksum(r->checksum());
  EXPECT_NEAR(got.sumsq, want.sumsq, 1e-5 * want.sumsq);
  EXPECT_NEAR(got.sum, want.sum, 1e-4 * std::sqrt(want.sumsq * m * n));
  EXPECT_FALSE(r->environment().at("vulkan_device").empty());
  EXPECT_EQ(r->environment().at("peak_device"), r->environment().at("vulkan_device"));
  EXPECT_THAT(r->environment().at("vulkan_software"), ::testing::AnyOf("true", "false"));
  EXPECT_GT(r->metrics().at("host_seconds_median"), 0);
  // Device time excludes submit overhead; the host clock includes it.
  EXPECT_LE(r->summary().median(), r->metrics().at("host_seconds_median") * 1.01);
}

TEST(KernelTasksTest, GemmOnVulkanRefusesAnUnknownDevice) {
  if (!HaveVulkan()) GTEST_SKIP() << "no Vulkan device here";
  absl::StatusOr<gridbench::v1::ResultPayload> r =
      RunKind(Spec("gemm", "vulkan", {{"m", 8}, {"n", 8}, {"k", 8}}, {{"device", "no-such-gpu"}}));
  EXPECT_TRUE(absl::IsNotFound(r.status())) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("no device named like \"no-such-gpu\""));
}

TEST(KernelTasksTest, GemmOnQuantIsWithinQuantizationErrorOfTheReference) {
  const int m = 20, n = 24, k = 256;
  const Checksum want = GemmReference(5, m, n, k);
  // Relative error of sum(C^2) from quantizing B (and A on the fly).
  const std::pair<const char*, double> types[] = {
      {"q8_0", 0.01}, {"q4_0", 0.1}, {"q4_k", 0.1}, {"q6_k", 0.03}};
  for (const auto& [type, tolerance] : types) {
    absl::StatusOr<gridbench::v1::ResultPayload> r = RunKind(Spec(
        "gemm", "quant", {{"m", m}, {"n", n}, {"k", k}, {"threads", 1}}, {{"weight_type", type}}));
    ASSERT_TRUE(r.ok()) << type << ": " << r.status();
    ExpectKernelResult(*r, "gemm", "quant", "cpu_int8_dot");
    EXPECT_NEAR(ParseChecksum(r->checksum()).sumsq, want.sumsq, tolerance * want.sumsq) << type;
    EXPECT_EQ(r->environment().at("weight_type"), type);
    EXPECT_FALSE(r->environment().at("quant_isa").empty());
    EXPECT_EQ(r->metrics().at("threads"), 1);
  }
}

// sum and sumsq of y = W x with W the seeded weights after a round trip
// through `type`, in double: what every gemv backend computes.
Checksum GemvReference(kernels::quant::QuantType type, int rows, int cols) {
  std::vector<float> w(rows * cols), x(cols);
  FillSeededInputs(5, {w, x});
  std::vector<uint8_t> q(rows * kernels::quant::RowBytes(type, cols));
  EXPECT_TRUE(kernels::quant::Quantize(type, "w", w.data(), rows, cols, q.data()).ok());
  EXPECT_TRUE(kernels::quant::Dequantize(type, q.data(), rows, cols, w.data()).ok());
  Checksum c;
  for (int r = 0; r < rows; ++r) {
    double y = 0;
    for (int i = 0; i < cols; ++i) y += static_cast<double>(w[r * cols + i]) * x[i];
    c.sum += y;
    c.sumsq += y * y;
  }
  return c;
}

TEST(KernelTasksTest, GemvOnQuantAndVulkanMatchTheReference) {
  const int rows = 48, cols = 512;
  struct Case {
    const char* backend;
    const char* type;
    kernels::quant::QuantType quant_type;
    double tolerance;  // On sum(y^2); quant also quantizes x to 8 bits.
  };
  const Case cases[] = {
      {"quant", "q8_0", kernels::quant::QuantType::kQ8_0, 1e-2},
      {"quant", "q4_0", kernels::quant::QuantType::kQ4_0, 1e-2},
      {"quant", "q4_k", kernels::quant::QuantType::kQ4_K, 1e-2},
      {"quant", "q6_k", kernels::quant::QuantType::kQ6_K, 1e-2},
      {"vulkan", "q8_0", kernels::quant::QuantType::kQ8_0, 1e-4},
      {"vulkan", "q4_0", kernels::quant::QuantType::kQ4_0, 1e-4},
  };
  for (const Case& c : cases) {
    if (std::string(c.backend) == "vulkan" && !HaveVulkan()) continue;
    absl::StatusOr<gridbench::v1::ResultPayload> r = RunKind(
        Spec("gemv", c.backend, {{"rows", rows}, {"cols", cols}}, {{"weight_type", c.type}}));
    ASSERT_TRUE(r.ok()) << c.backend << " " << c.type << ": " << r.status();
    ExpectKernelResult(
        *r, "gemv", c.backend,
        std::string(c.backend) == "quant" ? "cpu_triad_bandwidth" : "vulkan_copy_bandwidth");
    const Checksum want = GemvReference(c.quant_type, rows, cols);
    EXPECT_NEAR(ParseChecksum(r->checksum()).sumsq, want.sumsq, c.tolerance * want.sumsq)
        << c.backend << " " << c.type;
    const double weight_bytes = rows * kernels::quant::RowBytes(c.quant_type, cols);
    EXPECT_EQ(r->metrics().at("weight_bytes"), weight_bytes);
    EXPECT_NEAR(r->metrics().at("gbps_median"), weight_bytes / r->summary().median() / 1e9,
                1e-9 * r->metrics().at("gbps_median"));
  }
}

TEST(KernelTasksTest, QuantThreadsBeyondTheMachineAreRefused) {
  absl::StatusOr<gridbench::v1::ResultPayload> r =
      RunKind(Spec("gemv", "quant", {{"rows", 4}, {"cols", 32}, {"threads", 4096}}));
  EXPECT_TRUE(absl::IsResourceExhausted(r.status())) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("params.threads: 4096 asked for"));
}

}  // namespace
}  // namespace gridbench::worker
