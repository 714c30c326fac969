// Peak measurements, the `peak` kind, and results as a fraction of peak.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kernels/vulkan/device_info.h"
#include "worker/peak_fraction.h"
#include "worker/peak_measurements.h"
#include "worker/task_kind.h"
#include "worker/vulkan_task_device.h"

namespace gridbench::worker {
namespace {

using ::testing::HasSubstr;

gridbench::v1::PeakMeasurement Peak(const char* name, const char* unit, double value,
                                    uint32_t threads, const char* device = "") {
  gridbench::v1::PeakMeasurement m;
  m.set_name(name);
  m.set_unit(unit);
  m.set_value(value);
  m.set_backend(*device ? "vulkan" : "cpu");
  m.set_device(device);
  m.set_threads(threads);
  return m;
}

gridbench::v1::HardwareProfile Profile() {
  gridbench::v1::HardwareProfile hw;
  *hw.add_peaks() = Peak(kCpuFp32FmaPeak, "flop/s", 100e9, 1);
  *hw.add_peaks() = Peak(kCpuFp32FmaPeak, "flop/s", 350e9, 4);
  *hw.add_peaks() = Peak(kCpuTriadPeak, "byte/s", 20e9, 4);
  *hw.add_peaks() = Peak(kVulkanFp32FmaPeak, "flop/s", 10e12, 0, "GPU A");
  *hw.add_peaks() = Peak(kVulkanFp32FmaPeak, "flop/s", 1e12, 0, "GPU B");
  return hw;
}

gridbench::v1::ResultPayload Result(double gflops, double gbps, double threads) {
  gridbench::v1::ResultPayload r;
  (*r.mutable_metrics())["gflops_median"] = gflops;
  (*r.mutable_metrics())["gbps_median"] = gbps;
  if (threads > 0) (*r.mutable_metrics())["threads"] = threads;
  return r;
}

TEST(PeakFractionTest, ComputeBoundUsesTheSameThreadCount) {
  gridbench::v1::ResultPayload r = Result(175, 1, 4);
  DeclarePeakBound(r, kCpuFp32FmaPeak);
  AddFractionOfPeak(Profile(), r);
  EXPECT_DOUBLE_EQ(r.metrics().at("fraction_of_peak"), 0.5);
  EXPECT_THAT(r.environment().at("fraction_of_peak_basis"),
              HasSubstr("cpu_fp32_fma on 4 threads: 3.5e+11 flop/s"));
}

TEST(PeakFractionTest, UnmeasuredThreadCountsScaleTheOneThreadPeak) {
  gridbench::v1::ResultPayload two = Result(100, 0, 2);
  DeclarePeakBound(two, kCpuFp32FmaPeak);
  AddFractionOfPeak(Profile(), two);
  EXPECT_DOUBLE_EQ(two.metrics().at("fraction_of_peak"), 0.5);  // 2 x 100 GFLOP/s.
  EXPECT_THAT(two.environment().at("fraction_of_peak_basis"), HasSubstr("scaled to 2 threads"));

  gridbench::v1::ResultPayload eight = Result(175, 0, 8);
  DeclarePeakBound(eight, kCpuFp32FmaPeak);
  AddFractionOfPeak(Profile(), eight);
  // Capped at the most threads measured (4: 350 GFLOP/s), not 8 x 100.
  EXPECT_DOUBLE_EQ(eight.metrics().at("fraction_of_peak"), 0.5);
}

TEST(PeakFractionTest, BandwidthBoundUsesGbps) {
  gridbench::v1::ResultPayload r = Result(1, 15, 4);
  DeclarePeakBound(r, kCpuTriadPeak);
  AddFractionOfPeak(Profile(), r);
  EXPECT_DOUBLE_EQ(r.metrics().at("fraction_of_peak"), 0.75);
}

TEST(PeakFractionTest, AWorkingSetThatFitsInCacheIsNotComparedWithMemory) {
  gridbench::v1::HardwareProfile profile = Profile();
  profile.add_caches()->set_size_bytes(32 << 10);
  profile.add_caches()->set_size_bytes(24 << 20);
  gridbench::v1::ResultPayload small = Result(1, 40, 4);
  (*small.mutable_metrics())[kWorkingSetMetric] = 5e6;
  DeclarePeakBound(small, kCpuTriadPeak);
  AddFractionOfPeak(profile, small);
  EXPECT_FALSE(small.metrics().contains("fraction_of_peak"));
  EXPECT_THAT(small.environment().at("fraction_of_peak_basis"),
              HasSubstr("the 5 MB one run reads fit in the 25.2 MB cache"));

  gridbench::v1::ResultPayload large = Result(1, 15, 4);
  (*large.mutable_metrics())[kWorkingSetMetric] = 1e9;
  DeclarePeakBound(large, kCpuTriadPeak);
  AddFractionOfPeak(profile, large);
  EXPECT_DOUBLE_EQ(large.metrics().at("fraction_of_peak"), 0.75);
}

TEST(PeakFractionTest, VulkanPeaksMatchTheDevice) {
  gridbench::v1::ResultPayload r = Result(500, 0, 0);
  DeclarePeakBound(r, kVulkanFp32FmaPeak, "GPU B");
  AddFractionOfPeak(Profile(), r);
  EXPECT_DOUBLE_EQ(r.metrics().at("fraction_of_peak"), 0.5);
  EXPECT_THAT(r.environment().at("fraction_of_peak_basis"), HasSubstr("on GPU B"));
}

TEST(PeakFractionTest, NothingToCompareWithLeavesTheResultAlone) {
  gridbench::v1::ResultPayload undeclared = Result(1, 1, 1);
  AddFractionOfPeak(Profile(), undeclared);
  EXPECT_FALSE(undeclared.metrics().contains("fraction_of_peak"));

  gridbench::v1::ResultPayload other_device = Result(1, 1, 0);
  DeclarePeakBound(other_device, kVulkanFp32FmaPeak, "GPU C");
  AddFractionOfPeak(Profile(), other_device);
  EXPECT_FALSE(other_device.metrics().contains("fraction_of_peak"));

  gridbench::v1::ResultPayload unmeasured = Result(1, 1, 4);
  DeclarePeakBound(unmeasured, kCpuInt8DotPeak);
  AddFractionOfPeak(Profile(), unmeasured);
  EXPECT_FALSE(unmeasured.metrics().contains("fraction_of_peak"));
}

std::vector<kernels::vulkan::DeviceInfo> Devices() {
  kernels::vulkan::DeviceInfo lavapipe, gpu;
  lavapipe.name = "llvmpipe (LLVM 15.0.6, 256 bits)";
  lavapipe.software = true;
  gpu.name = "NVIDIA H100";
  return {lavapipe, gpu};
}

TEST(VulkanDeviceChoiceTest, DefaultPrefersHardwareThenAnyDevice) {
  EXPECT_EQ(*ChooseVulkanDevice("", Devices()), 1u);
  EXPECT_EQ(*ChooseVulkanDevice("", {Devices()[0]}), 0u);
  EXPECT_TRUE(absl::IsNotFound(ChooseVulkanDevice("", {}).status()));
}

TEST(VulkanDeviceChoiceTest, IndexOrNameSubstring) {
  EXPECT_EQ(*ChooseVulkanDevice("0", Devices()), 0u);
  EXPECT_EQ(*ChooseVulkanDevice("llvmpipe", Devices()), 0u);
  EXPECT_EQ(*ChooseVulkanDevice("H100", Devices()), 1u);
  const absl::Status s = ChooseVulkanDevice("2", Devices()).status();
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("no device 2; devices: llvmpipe"));
}

TEST(PeakTaskTest, MeasuresEveryProbeAndRoundTripsThroughTheResult) {
  gridbench::v1::TaskSpec spec;
  spec.set_kind("peak");
  (*spec.mutable_params()->mutable_fields())["seconds"].set_number_value(0.02);
  absl::StatusOr<const TaskKind*> kind = FindTaskKind("peak", "");
  ASSERT_TRUE(kind.ok()) << kind.status();
  struct : ProgressReporter {
    void Report(double, std::string_view) override {}
  } progress;
  absl::StatusOr<gridbench::v1::ResultPayload> r = (*kind)->Run(spec, TaskInputs{}, progress);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind(), "peak");
  for (const char* metric :
       {"cpu_fp32_fma.threads_1", "cpu_int8_dot.threads_1", "cpu_triad_bandwidth.threads_1"}) {
    ASSERT_TRUE(r->metrics().contains(metric)) << metric;
    EXPECT_GT(r->metrics().at(metric), 1e6) << metric;
  }
  absl::StatusOr<std::vector<kernels::vulkan::DeviceInfo>> devices =
      kernels::vulkan::EnumerateDevices();
  if (devices.ok() && !devices->empty()) {
    EXPECT_GT(r->metrics().at("vulkan_fp32_fma.device_0"), 0);
    EXPECT_GT(r->metrics().at("vulkan_copy_bandwidth.device_0"), 0);
    EXPECT_EQ(r->environment().at("vulkan_device_0"), (*devices)[0].name);
  }
  absl::StatusOr<std::vector<gridbench::v1::PeakMeasurement>> peaks = PeaksFromResult(*r);
  ASSERT_TRUE(peaks.ok()) << peaks.status();
  EXPECT_EQ(peaks->size(), r->metrics().size());
  for (const auto& p : *peaks) {
    EXPECT_GT(p.value(), 0) << p.name();
    EXPECT_GT(p.measured_unix_nanos(), 0) << p.name();
    EXPECT_FALSE(p.variant().empty()) << p.name();
  }
}

TEST(PeakTaskTest, PeaksFromANonPeakResultIsAnError) {
  gridbench::v1::ResultPayload r;
  r.set_kind("gemm");
  EXPECT_TRUE(absl::IsInvalidArgument(PeaksFromResult(r).status()));
}

}  // namespace
}  // namespace gridbench::worker
