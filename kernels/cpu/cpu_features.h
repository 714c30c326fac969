// CPU feature detection (x86-64) shared by the worker's hardware probe and by
// run-time kernel dispatch.
//
// A flag is true only when the CPU reports the instruction set AND the
// operating system has enabled saving of the register state it needs
// (checked with xgetbv): AVX-family flags (avx, avx2, fma, f16c, avx_vnni)
// need ymm state, AVX-512 flags need opmask + zmm state, AMX flags need tile
// state. So a flag being true means the instructions can be executed here
// (for AMX, Linux additionally requires the process to request tile data
// permission with arch_prctl(ARCH_REQ_XCOMP_PERM) before first use).
//
// Thread-safety: DetectCpuFeatures() may be called from any thread; the
// returned object is immutable.
#ifndef GRIDBENCH_KERNELS_CPU_CPU_FEATURES_H_
#define GRIDBENCH_KERNELS_CPU_CPU_FEATURES_H_

#include <string>
#include <vector>

namespace gridbench::kernels {

// Features the CPU has AND the OS has enabled the register state for (xgetbv):
// AVX-family flags are false when the OS does not save ymm/zmm state, AMX when
// it does not enable tile state.
struct CpuFeatures {
  std::string vendor;  // "GenuineIntel", "AuthenticAMD", ...
  std::string brand;   // cpuid brand string, trimmed ("" if the CPU has none)
  bool sse42 = false, avx = false, avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
  bool avx512_vnni = false, avx_vnni = false, avx512_bf16 = false;
  bool amx_tile = false, amx_int8 = false, amx_bf16 = false;

  // Lower-case names of the usable features above, in declaration order:
  // "sse4.2","avx","avx2","fma","f16c","avx512f","avx512bw","avx512vl",
  // "avx512dq","avx512_vnni","avx_vnni","avx512_bf16","amx_tile","amx_int8",
  // "amx_bf16".
  std::vector<std::string> Names() const;
};

// Features of the CPU this process runs on. Detected on first call (thread-
// safe), then cached for the life of the process. On a CPU without cpuid
// support for a leaf, the features that leaf reports are false.
const CpuFeatures& DetectCpuFeatures();

}  // namespace gridbench::kernels

#endif  // GRIDBENCH_KERNELS_CPU_CPU_FEATURES_H_
