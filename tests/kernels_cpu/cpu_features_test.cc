#include "kernels/cpu/cpu_features.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace gridbench::kernels {
namespace {

// The "flags" line of the first processor in /proc/cpuinfo, as a set. The
// kernel lists a flag only when it can use it, so it is an independent check
// of both cpuid and xgetbv.
std::set<std::string> ProcCpuinfoFlags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    return {std::istream_iterator<std::string>(words), std::istream_iterator<std::string>()};
  }
  return {};
}

TEST(CpuFeaturesTest, AgreesWithProcCpuinfo) {
  const std::set<std::string> flags = ProcCpuinfoFlags();
  ASSERT_FALSE(flags.empty()) << "no flags line in /proc/cpuinfo";
  const CpuFeatures& f = DetectCpuFeatures();
  const std::pair<bool, const char*> expected[] = {
      {f.sse42, "sse4_2"},      {f.avx, "avx"},
      {f.avx2, "avx2"},         {f.fma, "fma"},
      {f.f16c, "f16c"},         {f.avx512f, "avx512f"},
      {f.avx512bw, "avx512bw"}, {f.avx512vl, "avx512vl"},
      {f.avx512dq, "avx512dq"}, {f.avx512_vnni, "avx512_vnni"},
      {f.avx_vnni, "avx_vnni"}, {f.avx512_bf16, "avx512_bf16"},
      {f.amx_tile, "amx_tile"}, {f.amx_int8, "amx_int8"},
      {f.amx_bf16, "amx_bf16"},
  };
  for (const auto& [detected, flag] : expected) {
    EXPECT_EQ(detected, flags.count(flag) == 1) << "feature " << flag;
  }
}

TEST(CpuFeaturesTest, NamesListExactlyTheSetFlags) {
  const CpuFeatures& f = DetectCpuFeatures();
  const std::vector<std::string> names = f.Names();
  const auto has = [&](const char* name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  EXPECT_EQ(has("sse4.2"), f.sse42);
  EXPECT_EQ(has("avx2"), f.avx2);
  EXPECT_EQ(has("avx512_vnni"), f.avx512_vnni);
  EXPECT_EQ(has("amx_int8"), f.amx_int8);

  CpuFeatures none;
  EXPECT_TRUE(none.Names().empty());
  CpuFeatures some;
  some.avx512_bf16 = true;
  some.sse42 = true;
  EXPECT_EQ(some.Names(), (std::vector<std::string>{"sse4.2", "avx512_bf16"}));
}

TEST(CpuFeaturesTest, VendorAndBrandReadable) {
  const CpuFeatures& f = DetectCpuFeatures();
  EXPECT_EQ(f.vendor.size(), 12u) << f.vendor;
  EXPECT_EQ(f.brand, std::string(f.brand.c_str())) << "embedded NUL in brand";
  if (!f.brand.empty()) {
    EXPECT_NE(f.brand.front(), ' ');
    EXPECT_NE(f.brand.back(), ' ');
  }
}

TEST(CpuFeaturesTest, DetectedOnceAndCached) {
  EXPECT_EQ(&DetectCpuFeatures(), &DetectCpuFeatures());
}

}  // namespace
}  // namespace gridbench::kernels
