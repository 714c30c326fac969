// Measures the Vulkan kernels against our own peak probes on one device and
// prints a table. Sizes follow the device type: moderate on a CPU (software)
// device such as lavapipe so a run stays near a minute, large on a GPU.
//
//   bench_vulkan [--device=N] [--gemm_n=N] [--tiles=bm,bn,bk,tm,tn]
//                [--gemv_rows=R --gemv_cols=C --gemv_threads=T]
//
// Targets: tiled GEMM >= 10x naive on lavapipe; tiled GEMM >= 40% of the FMA
// probe's FP32 peak on an NVIDIA GPU.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "kernels/vulkan/buffer.h"
#include "kernels/vulkan/context.h"
#include "kernels/vulkan/gemm.h"
#include "kernels/vulkan/gemv_quant.h"
#include "kernels/vulkan/probes.h"
#include "kernels/vulkan/reference.h"

ABSL_FLAG(int, device, -1, "Vulkan device index (EnumerateDevices order); -1 picks the best");
ABSL_FLAG(int, gemm_n, 0, "square GEMM size; 0 picks by device type (256 CPU, 4096 GPU)");
ABSL_FLAG(std::string, tiles, "", "tiled GEMM tiles bm,bn,bk,tm,tn; empty = DefaultGemmTiles");
ABSL_FLAG(int, gemv_rows, 0, "GEMV rows; 0 picks by device type");
ABSL_FLAG(int, gemv_threads, 64, "GEMV invocations per row (power of two >= 4)");
ABSL_FLAG(int, gemv_cols, 0, "GEMV cols (multiple of 32); 0 picks by device type");

namespace gridbench::kernels::vulkan {
namespace {

// Relative error allowed when spot-checking bench results against the CPU.
constexpr double kSpotCheckTolerance = 1e-3;

struct Timed {
  uint32_t iterations;
  uint32_t repeats;
};

// Seconds per iteration: the fastest of `t.repeats` runs after a warm-up.
template <typename Run>
absl::StatusOr<double> BestSecondsPerIteration(const Timed& t, const Run& run) {
  GB_RETURN_IF_ERROR(run(1).status());
  double best = INFINITY;
  for (uint32_t i = 0; i < t.repeats; ++i) {
    GB_ASSIGN_OR_RETURN(SubmitTiming timing, run(t.iterations));
    best = std::min(best, timing.device_seconds / t.iterations);
  }
  return best;
}

absl::StatusOr<GemmTiles> TilesFromFlag(const DeviceInfo& info) {
  const std::string flag = absl::GetFlag(FLAGS_tiles);
  if (flag.empty()) return DefaultGemmTiles(info);
  std::vector<std::string> parts = absl::StrSplit(flag, ',');
  uint32_t v[5];
  if (parts.size() != 5) return absl::InvalidArgumentError("--tiles needs 5 numbers");
  for (int i = 0; i < 5; ++i) {
    if (!absl::SimpleAtoi(parts[i], &v[i])) {
      return absl::InvalidArgumentError("--tiles: not a number: " + parts[i]);
    }
  }
  return GemmTiles{v[0], v[1], v[2], v[3], v[4]};
}

struct GemmFigures {
  double tiled_gflops, naive_gflops;
};

// Whether c = a * b (n x n) at three spots; INTERNAL naming the first wrong one.
absl::Status SpotCheckGemm(const std::vector<float>& a, const std::vector<float>& b,
                           const std::vector<float>& c, uint32_t n) {
  const uint64_t count = uint64_t{n} * n;
  for (uint64_t spot : {uint64_t{0}, count / 2 + n / 3, count - 1}) {
    const uint64_t row = spot / n, col = spot % n;
    double want = 0, scale = 0;
    for (uint32_t p = 0; p < n; ++p) {
      want += double{a[row * n + p]} * b[uint64_t{p} * n + col];
      scale += std::fabs(double{a[row * n + p]} * b[uint64_t{p} * n + col]);
    }
    if (std::fabs(c[spot] - want) > kSpotCheckTolerance * scale) {
      return absl::InternalError(
          absl::StrFormat("GEMM result wrong at (%d, %d): %g, want %g", row, col, c[spot], want));
    }
  }
  return absl::OkStatus();
}

// GFLOP/s of the tiled and naive kernels on n x n x n. The two are timed in
// alternating rounds so that a load change on a shared machine (lavapipe runs
// on the CPU) affects both alike; the fastest round of each counts.
absl::StatusOr<GemmFigures> MeasureGemm(Context& ctx, const GemmTiles& tiles, uint32_t n,
                                        const Timed& tiled_timed) {
  GB_ASSIGN_OR_RETURN(GemmKernel tiled, GemmKernel::Create(ctx, GemmVariant::kTiled, tiles));
  GB_ASSIGN_OR_RETURN(GemmKernel naive, GemmKernel::Create(ctx, GemmVariant::kNaive, tiles));
  const uint64_t count = uint64_t{n} * n;
  std::vector<float> a(count), b(count);
  std::mt19937 rng(n);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float& x : a) x = dist(rng);
  for (float& x : b) x = dist(rng);
  GB_ASSIGN_OR_RETURN(Buffer da, Buffer::Create(ctx, count * 4, MemoryKind::kDeviceLocal));
  GB_ASSIGN_OR_RETURN(Buffer db, Buffer::Create(ctx, count * 4, MemoryKind::kDeviceLocal));
  GB_ASSIGN_OR_RETURN(Buffer tiled_c, Buffer::Create(ctx, count * 4, MemoryKind::kDeviceLocal));
  GB_ASSIGN_OR_RETURN(Buffer naive_c, Buffer::Create(ctx, count * 4, MemoryKind::kDeviceLocal));
  GB_RETURN_IF_ERROR(Upload(ctx, da, a.data(), count * 4));
  GB_RETURN_IF_ERROR(Upload(ctx, db, b.data(), count * 4));
  GB_RETURN_IF_ERROR(tiled.Run(da, db, tiled_c, n, n, n, 1).status());  // warm-up
  GB_RETURN_IF_ERROR(naive.Run(da, db, naive_c, n, n, n, 1).status());
  double tiled_best = INFINITY, naive_best = INFINITY;
  for (uint32_t round = 0; round < tiled_timed.repeats; ++round) {
    GB_ASSIGN_OR_RETURN(SubmitTiming t,
                        tiled.Run(da, db, tiled_c, n, n, n, tiled_timed.iterations));
    tiled_best = std::min(tiled_best, t.device_seconds / tiled_timed.iterations);
    GB_ASSIGN_OR_RETURN(SubmitTiming u, naive.Run(da, db, naive_c, n, n, n, 1));
    naive_best = std::min(naive_best, u.device_seconds);
  }
  std::vector<float> c(count);
  for (const Buffer* result : {&tiled_c, &naive_c}) {
    GB_RETURN_IF_ERROR(Download(ctx, *result, c.data(), count * 4));
    GB_RETURN_IF_ERROR(SpotCheckGemm(a, b, c, n));
  }
  const double flop = 2.0 * n * n * static_cast<double>(n);
  return GemmFigures{flop / tiled_best * 1e-9, flop / naive_best * 1e-9};
}

// GB/s (weights + x + y) of a quantized GEMV, after checking a few rows.
absl::StatusOr<double> GemvGbps(Context& ctx, QuantType type, uint32_t rows, uint32_t cols,
                                const Timed& timed) {
  GB_ASSIGN_OR_RETURN(QuantGemvKernel kernel,
                      QuantGemvKernel::Create(ctx, type, absl::GetFlag(FLAGS_gemv_threads)));
  const uint64_t bytes = QuantWeightBytes(type, rows, cols);
  const size_t block_bytes = QuantBlockBytes(type);
  std::vector<uint8_t> w(QuantWeightBufferBytes(type, rows, cols));
  std::minstd_rand rng(rows);
  for (uint8_t& byte : w) byte = static_cast<uint8_t>(rng() >> 7);
  for (uint64_t off = 0; off < bytes; off += block_bytes) {  // sane fp16 scales
    const uint16_t d = FloatToHalf(static_cast<float>(rng() % 1000) * 1e-5f);
    w[off] = static_cast<uint8_t>(d & 0xff);
    w[off + 1] = static_cast<uint8_t>(d >> 8);
  }
  std::vector<float> x(cols);
  for (float& v : x) v = static_cast<float>(rng() % 2001) * 1e-3f - 1.0f;
  GB_ASSIGN_OR_RETURN(Buffer dw, Buffer::Create(ctx, w.size(), MemoryKind::kDeviceLocal));
  GB_ASSIGN_OR_RETURN(Buffer dx, Buffer::Create(ctx, cols * 4ull, MemoryKind::kDeviceLocal));
  GB_ASSIGN_OR_RETURN(Buffer dy, Buffer::Create(ctx, rows * 4ull, MemoryKind::kDeviceLocal));
  GB_RETURN_IF_ERROR(Upload(ctx, dw, w.data(), w.size()));
  GB_RETURN_IF_ERROR(Upload(ctx, dx, x.data(), cols * 4ull));
  GB_ASSIGN_OR_RETURN(double seconds, BestSecondsPerIteration(timed, [&](uint32_t iterations) {
                        return kernel.Run(dw, dx, dy, rows, cols, iterations);
                      }));
  std::vector<float> y(rows);
  GB_RETURN_IF_ERROR(Download(ctx, dy, y.data(), rows * 4ull));
  const uint64_t row_bytes = bytes / rows;
  for (uint32_t row : {0u, rows / 2, rows - 1}) {
    const std::span<const uint8_t> one(w.data() + row * row_bytes, row_bytes);
    const float want = QuantGemvRef(type, one, 1, cols, x)[0];
    if (std::fabs(y[row] - want) > kSpotCheckTolerance * (1 + std::fabs(want))) {
      return absl::InternalError(
          absl::StrFormat("GEMV result wrong at row %d: %g, want %g", row, y[row], want));
    }
  }
  return static_cast<double>(bytes + cols * 4ull + rows * 4ull) / seconds * 1e-9;
}

absl::Status RunBench() {
  ContextOptions options;
  if (absl::GetFlag(FLAGS_device) >= 0) options.device_index = absl::GetFlag(FLAGS_device);
  GB_ASSIGN_OR_RETURN(std::unique_ptr<Context> ctx, Context::Create(options));
  const DeviceInfo& info = ctx->info();
  const bool cpu = info.software;
  absl::PrintF("device      %s (%s, %s %s, Vulkan %s)%s\n", info.name, info.type, info.driver_name,
               info.driver_info, info.api_version, cpu ? "  SOFTWARE: not a GPU's numbers" : "");
  absl::PrintF("timing      %s\n", ctx->timestamps_supported()
                                       ? "device timestamps"
                                       : "host wall clock (queue has no timestamps)");

  const ProbeSizes probe_sizes = DefaultProbeSizes(info);
  GB_ASSIGN_OR_RETURN(ProbeResult peak, MeasureFp32Peak(*ctx, probe_sizes));
  GB_ASSIGN_OR_RETURN(ProbeResult copy, MeasureCopyBandwidth(*ctx, probe_sizes));
  const double peak_gflops = peak.per_second * 1e-9;
  const double copy_gbps = copy.per_second * 1e-9;

  GB_ASSIGN_OR_RETURN(GemmTiles tiles, TilesFromFlag(info));
  const uint32_t n =
      absl::GetFlag(FLAGS_gemm_n) > 0 ? absl::GetFlag(FLAGS_gemm_n) : (cpu ? 256 : 4096);
  GB_ASSIGN_OR_RETURN(GemmFigures gemm, MeasureGemm(*ctx, tiles, n, {cpu ? 4u : 5u, 5}));
  const double tiled = gemm.tiled_gflops, naive = gemm.naive_gflops;

  const uint32_t rows =
      absl::GetFlag(FLAGS_gemv_rows) > 0 ? absl::GetFlag(FLAGS_gemv_rows) : (cpu ? 1024 : 16384);
  const uint32_t cols =
      absl::GetFlag(FLAGS_gemv_cols) > 0 ? absl::GetFlag(FLAGS_gemv_cols) : (cpu ? 2048 : 8192);
  const Timed gemv_timed{cpu ? 2u : 10u, 3};
  GB_ASSIGN_OR_RETURN(double q8, GemvGbps(*ctx, QuantType::kQ8_0, rows, cols, gemv_timed));
  GB_ASSIGN_OR_RETURN(double q4, GemvGbps(*ctx, QuantType::kQ4_0, rows, cols, gemv_timed));

  absl::PrintF("\n%-34s %12s  %s\n", "measurement", "value", "ratio");
  absl::PrintF("%-34s %9.1f GFLOP/s\n", "FP32 peak (FMA probe)", peak_gflops);
  absl::PrintF("%-34s %9.1f GB/s\n", "copy bandwidth (read+write)", copy_gbps);
  absl::PrintF("%-34s %9.1f GFLOP/s  %.1fx naive (target >= 10x on lavapipe)\n",
               absl::StrFormat("GEMM tiled %dx%dx%d [%d,%d,%d,%d,%d]", n, n, n, tiles.bm, tiles.bn,
                               tiles.bk, tiles.tm, tiles.tn),
               tiled, tiled / naive);
  absl::PrintF("%-34s %9s          %.1f%% of FMA peak (target >= 40%% on an NVIDIA GPU)\n", "", "",
               100 * tiled / peak_gflops);
  absl::PrintF("%-34s %9.1f GFLOP/s\n", absl::StrFormat("GEMM naive %dx%dx%d", n, n, n), naive);
  absl::PrintF("%-34s %9.1f GB/s     %.0f%% of copy bandwidth\n",
               absl::StrFormat("GEMV Q8_0 %dx%d", rows, cols), q8, 100 * q8 / copy_gbps);
  absl::PrintF("%-34s %9.1f GB/s     %.0f%% of copy bandwidth\n",
               absl::StrFormat("GEMV Q4_0 %dx%d", rows, cols), q4, 100 * q4 / copy_gbps);
  return absl::OkStatus();
}

}  // namespace
}  // namespace gridbench::kernels::vulkan

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const absl::Status status = gridbench::kernels::vulkan::RunBench();
  if (!status.ok()) {
    absl::FPrintF(stderr, "bench_vulkan: %s\n", status.ToString());
    return 1;
  }
  return 0;
}
