#include "kernels/cpu/cpu_features.h"

#include <cpuid.h>

#include <cstdint>
#include <cstring>

#include "absl/strings/ascii.h"

namespace gridbench::kernels {
namespace {

struct CpuidRegs {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

// Returns zeros for leaves above the CPU's maximum, so callers read "absent".
CpuidRegs Cpuid(uint32_t leaf, uint32_t subleaf) {
  CpuidRegs r;
  if (__get_cpuid_count(leaf, subleaf, &r.eax, &r.ebx, &r.ecx, &r.edx) == 0) return CpuidRegs{};
  return r;
}

bool Bit(uint32_t reg, int bit) { return ((reg >> bit) & 1u) != 0; }

// XCR0: which register states the OS saves on context switch. Only valid to
// execute when cpuid reports OSXSAVE.
uint64_t ReadXcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

// XCR0 state components (Intel SDM vol. 1, 13.1).
constexpr uint64_t kXcr0Sse = 1u << 1;
constexpr uint64_t kXcr0Ymm = 1u << 2;
constexpr uint64_t kXcr0Opmask = 1u << 5;
constexpr uint64_t kXcr0ZmmHi256 = 1u << 6;
constexpr uint64_t kXcr0Hi16Zmm = 1u << 7;
constexpr uint64_t kXcr0TileCfg = 1u << 17;
constexpr uint64_t kXcr0TileData = 1u << 18;

std::string VendorString() {
  const CpuidRegs r = Cpuid(0, 0);
  char buf[13] = {};
  std::memcpy(buf, &r.ebx, 4);
  std::memcpy(buf + 4, &r.edx, 4);
  std::memcpy(buf + 8, &r.ecx, 4);
  return buf;
}

std::string BrandString() {
  if (Cpuid(0x80000000u, 0).eax < 0x80000004u) return "";
  char buf[49] = {};
  for (uint32_t i = 0; i < 3; ++i) {
    const CpuidRegs r = Cpuid(0x80000002u + i, 0);
    std::memcpy(buf + 16 * i, &r, 16);
  }
  return std::string(absl::StripAsciiWhitespace(buf));
}

CpuFeatures Detect() {
  CpuFeatures f;
  f.vendor = VendorString();
  f.brand = BrandString();

  const CpuidRegs l1 = Cpuid(1, 0);
  const CpuidRegs l7 = Cpuid(7, 0);
  const CpuidRegs l7s1 = Cpuid(7, 1);
  const uint64_t xcr0 = Bit(l1.ecx, 27) ? ReadXcr0() : 0;  // 27: OSXSAVE
  const bool os_ymm = (xcr0 & (kXcr0Sse | kXcr0Ymm)) == (kXcr0Sse | kXcr0Ymm);
  const uint64_t zmm_mask = kXcr0Opmask | kXcr0ZmmHi256 | kXcr0Hi16Zmm;
  const bool os_zmm = os_ymm && (xcr0 & zmm_mask) == zmm_mask;
  const bool os_tile = (xcr0 & (kXcr0TileCfg | kXcr0TileData)) == (kXcr0TileCfg | kXcr0TileData);

  f.sse42 = Bit(l1.ecx, 20);
  f.avx = os_ymm && Bit(l1.ecx, 28);
  f.fma = f.avx && Bit(l1.ecx, 12);
  f.f16c = f.avx && Bit(l1.ecx, 29);
  f.avx2 = f.avx && Bit(l7.ebx, 5);
  f.avx_vnni = f.avx2 && Bit(l7s1.eax, 4);

  f.avx512f = os_zmm && Bit(l7.ebx, 16);
  f.avx512dq = f.avx512f && Bit(l7.ebx, 17);
  f.avx512bw = f.avx512f && Bit(l7.ebx, 30);
  f.avx512vl = f.avx512f && Bit(l7.ebx, 31);
  f.avx512_vnni = f.avx512f && Bit(l7.ecx, 11);
  f.avx512_bf16 = f.avx512f && Bit(l7s1.eax, 5);

  f.amx_tile = os_tile && Bit(l7.edx, 24);
  f.amx_int8 = f.amx_tile && Bit(l7.edx, 25);
  f.amx_bf16 = f.amx_tile && Bit(l7.edx, 22);
  return f;
}

}  // namespace

std::vector<std::string> CpuFeatures::Names() const {
  const std::pair<bool, const char*> table[] = {
      {sse42, "sse4.2"},      {avx, "avx"},
      {avx2, "avx2"},         {fma, "fma"},
      {f16c, "f16c"},         {avx512f, "avx512f"},
      {avx512bw, "avx512bw"}, {avx512vl, "avx512vl"},
      {avx512dq, "avx512dq"}, {avx512_vnni, "avx512_vnni"},
      {avx_vnni, "avx_vnni"}, {avx512_bf16, "avx512_bf16"},
      {amx_tile, "amx_tile"}, {amx_int8, "amx_int8"},
      {amx_bf16, "amx_bf16"},
  };
  std::vector<std::string> names;
  for (const auto& [present, name] : table) {
    if (present) names.emplace_back(name);
  }
  return names;
}

const CpuFeatures& DetectCpuFeatures() {
  static const CpuFeatures* const features = new CpuFeatures(Detect());
  return *features;
}

}  // namespace gridbench::kernels
