// The worker's start-up peaks: measured in a real child process, cached in
// the state directory, reused on restart, refreshed by a `peak` result.
#include "worker/peak_cache.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "worker/durable_file.h"
#include "worker/peak_fraction.h"
#include "worker/peak_measurements.h"

namespace gridbench::worker {
namespace {

using ::testing::HasSubstr;

class PeakCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/peak_cache_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    hw_.set_cpu_model("Test CPU");
    hw_.set_threads(2);
    hw_.add_vulkan_devices()->set_name("llvmpipe");
  }

  std::string dir_;
  gridbench::v1::HardwareProfile hw_;
};

gridbench::v1::PeakMeasurement Peak(const char* name, double value, uint32_t threads) {
  gridbench::v1::PeakMeasurement m;
  m.set_name(name);
  m.set_unit("flop/s");
  m.set_value(value);
  m.set_backend("cpu");
  m.set_threads(threads);
  return m;
}

TEST_F(PeakCacheTest, MeasuresInAChildOnceThenReusesTheCache) {
  absl::StatusOr<std::vector<gridbench::v1::PeakMeasurement>> first =
      LoadOrMeasurePeaks(GRIDBENCH_WORKER_BINARY, hw_, dir_, false);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_FALSE(first->empty());
  bool fma_one_thread = false;
  for (const auto& m : *first) {
    EXPECT_GT(m.value(), 0) << m.name();
    fma_one_thread |= m.name() == kCpuFp32FmaPeak && m.threads() == 1;
  }
  EXPECT_TRUE(fma_one_thread);
  EXPECT_TRUE(std::filesystem::exists(PeakCachePath(dir_)));

  absl::StatusOr<std::vector<gridbench::v1::PeakMeasurement>> again =
      LoadOrMeasurePeaks(GRIDBENCH_WORKER_BINARY, hw_, dir_, false);
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_EQ(again->size(), first->size());
  EXPECT_EQ((*again)[0].measured_unix_nanos(), (*first)[0].measured_unix_nanos())
      << "a restart must not re-measure";

  absl::StatusOr<std::vector<gridbench::v1::PeakMeasurement>> fresh =
      LoadOrMeasurePeaks(GRIDBENCH_WORKER_BINARY, hw_, dir_, true);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_GT((*fresh)[0].measured_unix_nanos(), (*first)[0].measured_unix_nanos());
}

TEST_F(PeakCacheTest, ACacheFromOtherHardwareIsNotUsed) {
  ASSERT_TRUE(SaveCachedPeaks(hw_, {Peak(kCpuFp32FmaPeak, 1e9, 1)}, dir_).ok());
  ASSERT_TRUE(LoadCachedPeaks(hw_, dir_).ok());
  gridbench::v1::HardwareProfile other = hw_;
  other.mutable_vulkan_devices(0)->set_name("NVIDIA H100");
  const absl::Status s = LoadCachedPeaks(other, dir_).status();
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("Vulkan: [llvmpipe]"));
}

TEST_F(PeakCacheTest, ACorruptCacheIsDataLoss) {
  ASSERT_TRUE(MakeDirectories(dir_).ok());
  ASSERT_TRUE(WriteFileDurably(PeakCachePath(dir_), "\xff\xff\xff not a proto").ok());
  EXPECT_TRUE(absl::IsDataLoss(LoadCachedPeaks(hw_, dir_).status()));
}

TEST_F(PeakCacheTest, APeakResultReplacesOnlyTheFiguresItMeasured) {
  ASSERT_TRUE(
      SaveCachedPeaks(hw_, {Peak(kCpuFp32FmaPeak, 1e9, 1), Peak(kCpuInt8DotPeak, 4e9, 1)}, dir_)
          .ok());
  PeakRun run;
  run.peaks.push_back(Peak(kCpuFp32FmaPeak, 2e9, 1));
  ASSERT_TRUE(CachePeaksFromResult(hw_, PeakResult(run), dir_).ok());
  absl::StatusOr<std::vector<gridbench::v1::PeakMeasurement>> cached = LoadCachedPeaks(hw_, dir_);
  ASSERT_TRUE(cached.ok()) << cached.status();
  ASSERT_EQ(cached->size(), 2u);
  for (const auto& m : *cached) {
    EXPECT_EQ(m.value(), m.name() == kCpuFp32FmaPeak ? 2e9 : 4e9) << m.name();
  }

  gridbench::v1::ResultPayload gemm;
  gemm.set_kind("gemm");
  EXPECT_TRUE(CachePeaksFromResult(hw_, gemm, dir_).ok()) << "other kinds are ignored";
}

}  // namespace
}  // namespace gridbench::worker
