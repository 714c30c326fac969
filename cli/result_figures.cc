#include "cli/result_figures.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gridbench::cli {
namespace {

double Metric(const gridbench::v1::ResultPayload& p, const std::string& name) {
  auto it = p.metrics().find(name);
  return it == p.metrics().end() ? NAN : it->second;
}

std::string Env(const gridbench::v1::ResultPayload& p, const std::string& name) {
  auto it = p.environment().find(name);
  return it == p.environment().end() ? "" : it->second;
}

// Where a kernel ran: the Vulkan device, or the CPU code path.
std::string DeviceOf(const gridbench::v1::ResultPayload& p) {
  if (!Env(p, "vulkan_device").empty()) return Env(p, "vulkan_device");
  if (!Env(p, "openblas_corename").empty()) return "OpenBLAS " + Env(p, "openblas_corename");
  std::string device = Env(p, "weight_type");
  if (!Env(p, "quant_isa").empty())
    absl::StrAppend(&device, device.empty() ? "" : " ", Env(p, "quant_isa"));
  return device;
}

std::string QuantizeNotes(const gridbench::v1::ResultPayload& p) {
  return absl::StrFormat("%s: %.2fx size, rel.RMSE %.4f, SNR %.1f dB", Env(p, "quantize_type"),
                         Metric(p, "size_ratio"), Metric(p, "relative_rmse"), Metric(p, "snr_db"));
}

}  // namespace

ResultFigures FiguresOf(const gridbench::v1::ResultPayload& p) {
  ResultFigures f;
  const std::string backend = Env(p, "backend");
  f.kind = backend.empty() ? p.kind() : absl::StrCat(p.kind(), "/", backend);
  if (p.kind() == "gemm") {
    f.value = Metric(p, "gflops_median");
    f.unit = "GFLOP/s";
  } else if (p.kind() == "gemv" || p.kind() == "file_read") {
    f.value = Metric(p, "gbps_median");
    f.unit = "GB/s";
  } else if (p.kind() == "quantize") {
    f.value = Metric(p, "input_mb_per_s");
    f.unit = "MB/s";
    f.notes = QuantizeNotes(p);
  }
  f.fraction_of_peak = Metric(p, "fraction_of_peak");
  f.threads = Metric(p, "threads");
  f.device = DeviceOf(p);
  f.software = Env(p, "vulkan_software") == "true";
  return f;
}

}  // namespace gridbench::cli
