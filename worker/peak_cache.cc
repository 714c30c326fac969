#include "worker/peak_cache.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "worker/child_process.h"
#include "worker/durable_file.h"
#include "worker/peak_measurements.h"
#include "worker/task_child.h"

namespace gridbench::worker {
namespace {

constexpr absl::Duration kProbeTimeout = absl::Seconds(120);

// The facts a cache must agree on with the running machine.
std::string MachineKey(const gridbench::v1::HardwareProfile& hw) {
  std::vector<std::string> devices;
  for (const auto& d : hw.vulkan_devices()) devices.push_back(d.name());
  return absl::StrCat(hw.cpu_model(), "; ", hw.threads(), " threads; Vulkan: [",
                      absl::StrJoin(devices, ", "), "]");
}

}  // namespace

std::string PeakCachePath(const std::string& state_dir) { return state_dir + "/peaks.binpb"; }

absl::StatusOr<std::vector<gridbench::v1::PeakMeasurement>> LoadCachedPeaks(
    const gridbench::v1::HardwareProfile& hw, const std::string& state_dir) {
  const std::string path = PeakCachePath(state_dir);
  absl::StatusOr<std::string> bytes = ReadWholeFile(path);
  if (!bytes.ok()) return absl::NotFoundError(absl::StrCat("no peak cache at ", path));
  gridbench::v1::HardwareProfile cached;
  if (!cached.ParseFromString(*bytes)) {
    return absl::DataLossError(absl::StrCat(path, " is not a serialized HardwareProfile"));
  }
  if (MachineKey(cached) != MachineKey(hw)) {
    return absl::NotFoundError(absl::StrCat(path, " was measured on ", MachineKey(cached),
                                            ", not this machine's ", MachineKey(hw)));
  }
  return std::vector<gridbench::v1::PeakMeasurement>(cached.peaks().begin(), cached.peaks().end());
}

absl::Status SaveCachedPeaks(const gridbench::v1::HardwareProfile& hw,
                             const std::vector<gridbench::v1::PeakMeasurement>& peaks,
                             const std::string& state_dir) {
  gridbench::v1::HardwareProfile cached;
  cached.set_cpu_model(hw.cpu_model());
  cached.set_threads(hw.threads());
  for (const auto& d : hw.vulkan_devices()) cached.add_vulkan_devices()->set_name(d.name());
  cached.mutable_peaks()->Assign(peaks.begin(), peaks.end());
  GB_RETURN_IF_ERROR(MakeDirectories(state_dir));
  return WriteFileDurably(PeakCachePath(state_dir), cached.SerializeAsString());
}

absl::Status CachePeaksFromResult(const gridbench::v1::HardwareProfile& hw,
                                  const gridbench::v1::ResultPayload& result,
                                  const std::string& state_dir) {
  if (result.kind() != "peak") return absl::OkStatus();
  GB_ASSIGN_OR_RETURN(const std::vector<gridbench::v1::PeakMeasurement> fresh,
                      PeaksFromResult(result));
  absl::StatusOr<std::vector<gridbench::v1::PeakMeasurement>> cached =
      LoadCachedPeaks(hw, state_dir);
  std::vector<gridbench::v1::PeakMeasurement> merged =
      cached.ok()
          ? *std::move(cached)
          : std::vector<gridbench::v1::PeakMeasurement>(hw.peaks().begin(), hw.peaks().end());
  for (const auto& m : fresh) {
    std::erase_if(merged, [&](const gridbench::v1::PeakMeasurement& old) {
      return old.name() == m.name() && old.device() == m.device() && old.threads() == m.threads();
    });
    merged.push_back(m);
  }
  return SaveCachedPeaks(hw, merged, state_dir);
}

absl::StatusOr<std::vector<gridbench::v1::PeakMeasurement>> LoadOrMeasurePeaks(
    const std::string& worker_executable, const gridbench::v1::HardwareProfile& hw,
    const std::string& state_dir, bool remeasure) {
  if (!remeasure) {
    absl::StatusOr<std::vector<gridbench::v1::PeakMeasurement>> cached =
        LoadCachedPeaks(hw, state_dir);
    if (cached.ok()) return cached;
  }
  ChildCommand command = TaskChildCommand(worker_executable, kProbePeaksFlag);
  command.argv.push_back(absl::StrCat(kStartupProbeSeconds));
  GB_ASSIGN_OR_RETURN(std::unique_ptr<ChildProcess> child, ChildProcess::Start(command, ""));
  gridbench::v1::HardwareProfile found;
  bool got = false;
  GB_ASSIGN_OR_RETURN(ChildExit exit, child->Wait(absl::Now() + kProbeTimeout, [&](Frame frame) {
    got = got || (frame.type == FrameType::kProbe && found.ParseFromString(frame.bytes));
  }));
  if (!got || found.peaks_size() == 0) {
    return absl::InternalError(absl::StrCat("the peak probe child (", worker_executable, " ",
                                            kProbePeaksFlag, ") reported no peaks; exit status ",
                                            exit.exit_status, ", signal ", exit.signal,
                                            ", output: ", exit.stderr_tail));
  }
  std::vector<gridbench::v1::PeakMeasurement> peaks(found.peaks().begin(), found.peaks().end());
  GB_RETURN_IF_ERROR(SaveCachedPeaks(hw, peaks, state_dir));
  return peaks;
}

}  // namespace gridbench::worker
