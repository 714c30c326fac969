// Inner loops of the CPU peak probes (peak_probe.h), one per instruction set.
// Internal to kernels/cpu: the probes pick one at run time and tests compare
// every variant with its scalar reference.
//
// Every kernel keeps its accumulators in registers, runs `iterations` rounds
// of independent chains, and returns the value every lane ends with (all lanes
// start and step alike, so they agree). That value depends on `iterations`
// exactly as the *Reference functions say, so a test can tell that the work
// was really done. A kernel whose lanes disagree returns kFmaLanesDisagree (FMA)
// or kInt8LanesDisagree (int8), which no reference value equals.
#ifndef GRIDBENCH_KERNELS_CPU_PEAK_KERNELS_H_
#define GRIDBENCH_KERNELS_CPU_PEAK_KERNELS_H_

#include <cstdint>

namespace gridbench::kernels::peak {

// FMA chains x <- x * kFmaMul + kFmaAdd from x = 0. kFmaMul = 1 - 2^-8 keeps x
// in [0, 256): no overflow, no denormals, however long the probe runs.
constexpr float kFmaMul = 1.0f - 1.0f / 256.0f;
constexpr float kFmaAdd = 1.0f;
constexpr float kFmaLanesDisagree = -1.0f;  // FMA lanes are never negative

// The lane value after `iterations` steps, with one rounding per step (fma).
float FmaChainReference(int64_t iterations);

// Scalar fallback: 8 chains of multiply-then-add (two roundings per step, so
// it matches the reference only within a tolerance).
constexpr int64_t kFmaScalarFlopsPerIteration = 8 * 2;
float FmaPeakScalar(int64_t iterations);
// 12 chains of 8-lane vfmadd (AVX2 + FMA).
constexpr int64_t kFmaAvx2FlopsPerIteration = 12 * 8 * 2;
float FmaPeakAvx2(int64_t iterations);
// 16 chains of 16-lane vfmadd (AVX-512F).
constexpr int64_t kFmaAvx512FlopsPerIteration = 16 * 16 * 2;
float FmaPeakAvx512(int64_t iterations);

// int8 dot-product chains: every 32-bit lane adds the dot product of the
// unsigned bytes {1, 2, 3, 4} with the signed bytes {1, -1, 1, 0}, which is 2,
// per step. Lanes wrap modulo 2^32 on very long runs, as the hardware does.
constexpr int32_t kInt8DotPerStep = 2;
constexpr int32_t kInt8LanesDisagree = 1;  // odd, so never a multiple of kInt8DotPerStep

// The lane value after `iterations` steps.
int32_t Int8DotReference(int64_t iterations);

// One "op" is a multiply or an add: a 4-byte dot product is 8 ops.
// Scalar fallback: 4 chains of 4-byte dot products.
constexpr int64_t kInt8ScalarOpsPerIteration = 4 * 4 * 2;
int32_t Int8DotPeakScalar(int64_t iterations);
// 8 chains of vpmaddubsw + vpmaddwd + vpaddd on 32 bytes (AVX2).
constexpr int64_t kInt8Avx2OpsPerIteration = 8 * 32 * 2;
int32_t Int8DotPeakAvx2(int64_t iterations);
// 16 chains of vpdpbusd on 64 bytes (AVX512_VNNI).
constexpr int64_t kInt8Avx512VnniOpsPerIteration = 16 * 64 * 2;
int32_t Int8DotPeakAvx512Vnni(int64_t iterations);

}  // namespace gridbench::kernels::peak

#endif  // GRIDBENCH_KERNELS_CPU_PEAK_KERNELS_H_
