#include "worker/peak_measurements.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "kernels/cpu/peak_probe.h"
#include "kernels/vulkan/context.h"
#include "kernels/vulkan/device_info.h"
#include "kernels/vulkan/probes.h"
#include "worker/peak_fraction.h"

namespace gridbench::worker {
namespace {

using gridbench::v1::PeakMeasurement;

PeakMeasurement Measurement(const char* name, const char* unit, double value,
                            const std::string& backend) {
  PeakMeasurement m;
  m.set_name(name);
  m.set_unit(unit);
  m.set_value(value);
  m.set_backend(backend);
  m.set_measured_unix_nanos(absl::ToUnixNanos(absl::Now()));
  return m;
}

absl::Status MeasureCpu(double seconds, PeakRun& run) {
  using Probe = absl::StatusOr<kernels::PeakProbeResult> (*)(const kernels::PeakProbeOptions&);
  struct CpuProbe {
    const char* name;
    const char* unit;
    Probe probe;
  };
  const CpuProbe probes[] = {
      {kCpuFp32FmaPeak, "flop/s", kernels::ProbeFp32FmaPeak},
      {kCpuInt8DotPeak, "op/s", kernels::ProbeInt8DotPeak},
      {kCpuTriadPeak, "byte/s",
       [](const kernels::PeakProbeOptions& o) {
         return kernels::ProbeTriadBandwidth(o, kernels::DefaultTriadArrayElements());
       }},
  };
  const int all = kernels::ProbeCpuCount();
  for (const int threads : all > 1 ? std::vector<int>{1, all} : std::vector<int>{1}) {
    for (const CpuProbe& p : probes) {
      GB_ASSIGN_OR_RETURN(const kernels::PeakProbeResult r,
                          p.probe({.threads = threads, .target_seconds = seconds}));
      PeakMeasurement m = Measurement(p.name, p.unit, r.value * 1e9, "cpu");
      m.set_threads(static_cast<uint32_t>(threads));
      m.set_variant(r.variant);
      run.peaks.push_back(std::move(m));
    }
  }
  return absl::OkStatus();
}

absl::Status MeasureVulkanDevice(uint32_t index, PeakRun& run) {
  kernels::vulkan::ContextOptions options;
  options.device_index = index;
  GB_ASSIGN_OR_RETURN(std::unique_ptr<kernels::vulkan::Context> ctx,
                      kernels::vulkan::Context::Create(options));
  const kernels::vulkan::ProbeSizes sizes = kernels::vulkan::DefaultProbeSizes(ctx->info());
  GB_ASSIGN_OR_RETURN(const kernels::vulkan::ProbeResult fma,
                      kernels::vulkan::MeasureFp32Peak(*ctx, sizes));
  GB_ASSIGN_OR_RETURN(const kernels::vulkan::ProbeResult copy,
                      kernels::vulkan::MeasureCopyBandwidth(*ctx, sizes));
  for (auto [name, unit, r] : {std::tuple{kVulkanFp32FmaPeak, "flop/s", fma},
                               std::tuple{kVulkanCopyPeak, "byte/s", copy}}) {
    PeakMeasurement m = Measurement(name, unit, r.per_second, "vulkan");
    m.set_device(ctx->info().name);
    m.set_variant(r.device_timed ? "device-timed" : "host-timed");
    run.peaks.push_back(std::move(m));
  }
  return absl::OkStatus();
}

void MeasureVulkan(PeakRun& run) {
  absl::StatusOr<std::vector<kernels::vulkan::DeviceInfo>> devices =
      kernels::vulkan::EnumerateDevices();
  if (!devices.ok()) return;  // No Vulkan here: nothing to measure.
  for (uint32_t i = 0; i < devices->size(); ++i) {
    if (absl::Status s = MeasureVulkanDevice(i, run); !s.ok()) {
      run.skipped.push_back(
          absl::StrCat("device ", i, " (", (*devices)[i].name, "): ", s.message()));
    }
  }
}

std::string MetricName(const PeakMeasurement& m, const std::map<std::string, int>& devices) {
  if (m.backend() == "cpu") return absl::StrCat(m.name(), ".threads_", m.threads());
  return absl::StrCat(m.name(), ".device_", devices.at(m.device()));
}

}  // namespace

absl::StatusOr<PeakRun> MeasurePeaks(const PeakParams& params) {
  PeakRun run;
  if (params.cpu) GB_RETURN_IF_ERROR(MeasureCpu(params.seconds, run));
  if (params.vulkan) MeasureVulkan(run);
  return run;
}

gridbench::v1::ResultPayload PeakResult(const PeakRun& run) {
  gridbench::v1::ResultPayload out;
  out.set_kind("peak");
  std::map<std::string, int> devices;
  for (const PeakMeasurement& m : run.peaks) {
    if (m.backend() == "vulkan" && !devices.contains(m.device())) {
      const int index = static_cast<int>(devices.size());
      devices[m.device()] = index;
      (*out.mutable_environment())[absl::StrCat("vulkan_device_", index)] = m.device();
    }
  }
  auto& list = *(*out.mutable_details()->mutable_fields())["peaks"].mutable_list_value();
  for (const PeakMeasurement& m : run.peaks) {
    (*out.mutable_metrics())[MetricName(m, devices)] = m.value();
    auto& f = *list.add_values()->mutable_struct_value()->mutable_fields();
    f["name"].set_string_value(m.name());
    f["unit"].set_string_value(m.unit());
    f["value"].set_number_value(m.value());
    f["backend"].set_string_value(m.backend());
    f["device"].set_string_value(m.device());
    f["threads"].set_number_value(m.threads());
    f["variant"].set_string_value(m.variant());
    f["measured_unix_nanos"].set_number_value(static_cast<double>(m.measured_unix_nanos()));
  }
  for (size_t i = 0; i < run.skipped.size(); ++i) {
    (*out.mutable_environment())[absl::StrCat("skipped_", i)] = run.skipped[i];
  }
  return out;
}

absl::StatusOr<std::vector<PeakMeasurement>> PeaksFromResult(
    const gridbench::v1::ResultPayload& result) {
  auto it = result.details().fields().find("peaks");
  if (result.kind() != "peak" || it == result.details().fields().end() ||
      !it->second.has_list_value()) {
    return absl::InvalidArgumentError("not a peak result: details.peaks is missing");
  }
  std::vector<PeakMeasurement> peaks;
  for (const auto& v : it->second.list_value().values()) {
    const auto& f = v.struct_value().fields();
    auto text = [&](const char* key) {
      auto e = f.find(key);
      return e == f.end() ? std::string() : e->second.string_value();
    };
    auto number = [&](const char* key) {
      auto e = f.find(key);
      return e == f.end() ? 0.0 : e->second.number_value();
    };
    PeakMeasurement m;
    m.set_name(text("name"));
    m.set_unit(text("unit"));
    m.set_value(number("value"));
    m.set_backend(text("backend"));
    m.set_device(text("device"));
    m.set_threads(static_cast<uint32_t>(number("threads")));
    m.set_variant(text("variant"));
    m.set_measured_unix_nanos(static_cast<int64_t>(number("measured_unix_nanos")));
    if (m.name().empty() || m.value() <= 0) {
      return absl::InvalidArgumentError("details.peaks: an entry without a name or value");
    }
    peaks.push_back(std::move(m));
  }
  return peaks;
}

}  // namespace gridbench::worker
