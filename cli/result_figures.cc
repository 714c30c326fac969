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

// pp and TTFT beside the headline tg figure, and what quantization cost
// when the run had a reference.
std::string InferenceNotes(const gridbench::v1::ResultPayload& p) {
  std::string notes;
  if (!std::isnan(Metric(p, "pp_tokens_per_s"))) {
    notes = absl::StrFormat("pp %.1f t/s, TTFT %.0f ms", Metric(p, "pp_tokens_per_s"),
                            Metric(p, "ttft_ms_median"));
  }
  if (!std::isnan(Metric(p, "top1_agreement"))) {
    absl::StrAppend(&notes, notes.empty() ? "" : "; ",
                    absl::StrFormat("vs reference: top-1 %.3f, KL %.4f (max %.4f)",
                                    Metric(p, "top1_agreement"), Metric(p, "kl_mean"),
                                    Metric(p, "kl_max")));
  }
  return notes;
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
  } else if (p.kind() == "inference") {
    // Generation speed is what a reader compares first; a prompt-only run
    // has only pp.
    const bool tg = !std::isnan(Metric(p, "tg_tokens_per_s"));
    f.value = Metric(p, tg ? "tg_tokens_per_s" : "pp_tokens_per_s");
    f.unit = tg ? "tg t/s" : "pp t/s";
    f.notes = InferenceNotes(p);
  }
  f.fraction_of_peak = Metric(p, "fraction_of_peak");
  f.threads = Metric(p, "threads");
  f.device = DeviceOf(p);
  f.software = Env(p, "vulkan_software") == "true";
  return f;
}

}  // namespace gridbench::cli
