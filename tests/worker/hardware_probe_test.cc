#include "worker/hardware_probe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "kernels/cpu/blas.h"
#include "kernels/cpu/cpu_features.h"

namespace gridbench::worker {
namespace {

using ::testing::Contains;
using ::testing::Not;

// The "flags" line of /proc/cpuinfo, which names ISA features independently
// of our cpuid code.
std::string CpuinfoFlags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0) return line + " ";
  }
  return "";
}

TEST(HardwareProbeTest, ConsistentWithThisMachine) {
  absl::StatusOr<gridbench::v1::HardwareProfile> hw = ProbeHardware(GRIDBENCH_WORKER_BINARY);
  ASSERT_TRUE(hw.ok()) << hw.status();

  EXPECT_EQ(hw->threads(), static_cast<uint32_t>(sysconf(_SC_NPROCESSORS_ONLN)));
  EXPECT_GE(hw->cores(), 1u);
  EXPECT_LE(hw->cores(), hw->threads());
  const uint64_t phys = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
  EXPECT_NEAR(static_cast<double>(hw->memory_bytes()), static_cast<double>(phys), 1 << 20);

  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  EXPECT_EQ(hw->hostname(), host);
  EXPECT_FALSE(hw->arch().empty());
  EXPECT_THAT(hw->kernel(), ::testing::StartsWith("Linux "));
  EXPECT_FALSE(hw->os().empty());

  const std::string flags = CpuinfoFlags();
  if (!flags.empty()) {
    const bool has_avx2 = std::count(hw->isa_features().begin(), hw->isa_features().end(), "avx2");
    EXPECT_EQ(has_avx2, flags.find(" avx2 ") != std::string::npos);
    const bool has_fma = std::count(hw->isa_features().begin(), hw->isa_features().end(), "fma");
    EXPECT_EQ(has_fma, flags.find(" fma ") != std::string::npos);
  }
  if (!hw->caches().empty()) {
    EXPECT_EQ(hw->caches(0).level(), 1u);
    EXPECT_GT(hw->caches(0).size_bytes(), 0u);
    EXPECT_GE(hw->caches(0).shared_by_threads(), 1u);
  }

  EXPECT_THAT(hw->openblas_version(), ::testing::HasSubstr("OpenBLAS"));
  EXPECT_GE(hw->openblas_threads(), 1u);
  // The probe child runs as task children do: with the recommended core,
  // unless the operator chose one.
  const std::string recommended =
      kernels::RecommendedOpenBlasCoretype(kernels::DetectCpuFeatures());
  const char* chosen = std::getenv("OPENBLAS_CORETYPE");
  const std::string expected = chosen != nullptr && *chosen ? chosen : recommended;
  if (!expected.empty()) {
    EXPECT_EQ(absl::AsciiStrToLower(hw->openblas_corename()), absl::AsciiStrToLower(expected));
  }

  EXPECT_THAT(hw->backends(), Contains("blas"));
  EXPECT_THAT(hw->backends(), Contains("quant"));
  EXPECT_THAT(hw->backends(), Contains("cpu"));
  if (hw->vulkan_devices_size() > 0) {
    EXPECT_THAT(hw->backends(), Contains("vulkan"));
    for (const auto& d : hw->vulkan_devices()) {
      EXPECT_FALSE(d.name().empty());
      if (d.type() == "cpu") {
        EXPECT_TRUE(d.software()) << d.name();
      }
    }
  } else {
    EXPECT_THAT(hw->backends(), Not(Contains("vulkan")));
  }
}

TEST(HardwareProbeTest, MissingProbeExecutableIsAnError) {
  absl::StatusOr<gridbench::v1::HardwareProfile> hw = ProbeHardware("/nonexistent/worker");
  EXPECT_FALSE(hw.ok());
  EXPECT_THAT(std::string(hw.status().message()), ::testing::HasSubstr("/nonexistent/worker"));
}

TEST(HardwareProbeTest, MeminfoKeys) {
  absl::StatusOr<uint64_t> total = ReadMeminfoBytes("MemTotal");
  ASSERT_TRUE(total.ok()) << total.status();
  absl::StatusOr<uint64_t> available = ReadMeminfoBytes("MemAvailable");
  ASSERT_TRUE(available.ok()) << available.status();
  EXPECT_LE(*available, *total);
  EXPECT_TRUE(absl::IsNotFound(ReadMeminfoBytes("NoSuchKey").status()));
  // A key that is a prefix of another must not match it ("Mem" of "MemTotal").
  EXPECT_TRUE(absl::IsNotFound(ReadMeminfoBytes("Mem").status()));
}

}  // namespace
}  // namespace gridbench::worker
