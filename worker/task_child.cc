#include "worker/task_child.h"

#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gridbench/v1/worker.pb.h"
#include "kernels/cpu/blas.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/vulkan/device_info.h"
#include "worker/durable_file.h"
#include "worker/peak_measurements.h"
#include "worker/task_kind.h"

namespace gridbench::worker {
namespace {

constexpr int kFramesFd = 3;
// Names the agent's pid in a child's environment (see DieWithAgent).
constexpr char kAgentPidEnv[] = "GRIDBENCH_AGENT_PID";

// A child runs in its own process group, so a SIGKILLed agent would leave it
// running, unsupervised and past its timeout. Ask the kernel to kill it when
// its parent goes, and exit now if that already happened.
void DieWithAgent() {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  const char* agent = std::getenv(kAgentPidEnv);
  if (agent != nullptr && std::to_string(getppid()) != agent) std::_Exit(1);
}

class FrameProgressReporter final : public ProgressReporter {
 public:
  void Report(double fraction, std::string_view message) override {
    gridbench::v1::Progress p;
    p.set_fraction(fraction);
    p.set_message(std::string(message));
    // A progress report that cannot be written is not worth failing the
    // task over; the final frame's write reports a broken pipe.
    (void)WriteFrame(kFramesFd, FrameType::kProgress, p.SerializeAsString());
  }
};

int WriteFailure(const absl::Status& status) {
  gridbench::v1::AttemptFailure failure;
  failure.set_reason(std::string(status.message()));
  // Parameters that are wrong stay wrong on every worker; a machine that is
  // too small, a missing backend or a kernel error may not recur elsewhere.
  failure.set_retryable(!absl::IsInvalidArgument(status));
  return WriteFrame(kFramesFd, FrameType::kFailure, failure.SerializeAsString()).ok() ? 0 : 1;
}

absl::StatusOr<gridbench::v1::ResultPayload> RunAssignment(const std::string& bytes) {
  gridbench::v1::TaskChildInput input;
  if (!input.ParseFromString(bytes)) {
    return absl::InternalError("the task child's input is not a serialized TaskChildInput");
  }
  const gridbench::v1::TaskSpec& spec = input.assignment().spec();
  TaskInputs inputs;
  inputs.artifact_paths.insert(input.artifact_paths().begin(), input.artifact_paths().end());
  inputs.output_dir = input.output_dir();
  absl::StatusOr<const TaskKind*> kind = FindTaskKind(spec.kind(), spec.requirements().backend());
  if (!kind.ok()) return kind.status();
  FrameProgressReporter progress;
  return (*kind)->Run(spec, inputs, progress);
}

}  // namespace

ChildCommand TaskChildCommand(const std::string& executable, std::string_view mode) {
  ChildCommand command;
  command.argv = {executable, std::string(mode)};
  command.set_env[kAgentPidEnv] = std::to_string(getpid());
  const char* operator_choice = std::getenv("OPENBLAS_CORETYPE");
  if (operator_choice == nullptr || operator_choice[0] == '\0') {
    const std::string recommended =
        kernels::RecommendedOpenBlasCoretype(kernels::DetectCpuFeatures());
    if (!recommended.empty()) command.set_env["OPENBLAS_CORETYPE"] = recommended;
  }
  return command;
}

int RunTaskChildMain() {
  DieWithAgent();
  absl::StatusOr<std::string> input = ReadWholeFile("/dev/stdin");
  if (!input.ok()) return WriteFailure(input.status());
  absl::StatusOr<gridbench::v1::ResultPayload> result = RunAssignment(*input);
  if (!result.ok()) return WriteFailure(result.status());
  return WriteFrame(kFramesFd, FrameType::kResult, result->SerializeAsString()).ok() ? 0 : 1;
}

int RunProbeHardwareChildMain() {
  DieWithAgent();
  const kernels::OpenBlasInfo info = kernels::GetOpenBlasInfo();
  gridbench::v1::HardwareProfile openblas;
  openblas.set_openblas_version(info.version);
  openblas.set_openblas_corename(info.corename);
  openblas.set_openblas_threads(static_cast<uint32_t>(std::max(0, info.max_threads)));
  if (!WriteFrame(kFramesFd, FrameType::kProbe, openblas.SerializeAsString()).ok()) return 1;
  // Sent separately so that a driver crashing here leaves the OpenBLAS facts.
  absl::StatusOr<std::vector<kernels::vulkan::DeviceInfo>> devices =
      kernels::vulkan::EnumerateDevices();
  if (!devices.ok()) {
    std::fprintf(stderr, "no Vulkan: %s\n", std::string(devices.status().message()).c_str());
    return 0;
  }
  gridbench::v1::HardwareProfile vulkan;
  for (const kernels::vulkan::DeviceInfo& d : *devices) {
    gridbench::v1::VulkanDevice* out = vulkan.add_vulkan_devices();
    out->set_name(d.name);
    out->set_type(d.type);
    out->set_vendor_id(d.vendor_id);
    out->set_device_id(d.device_id);
    out->set_driver_name(d.driver_name);
    out->set_driver_info(d.driver_info);
    out->set_api_version(d.api_version);
    out->set_driver_version(d.driver_version);
    for (const auto& heap : d.heaps) {
      gridbench::v1::MemoryHeap* h = out->add_heaps();
      h->set_size_bytes(heap.size_bytes);
      h->set_device_local(heap.device_local);
    }
    out->set_subgroup_size(d.subgroup_size);
    out->set_software(d.software);
  }
  return WriteFrame(kFramesFd, FrameType::kProbe, vulkan.SerializeAsString()).ok() ? 0 : 1;
}

int RunProbePeaksChildMain(const char* seconds) {
  DieWithAgent();
  PeakParams params;
  if (seconds == nullptr || !absl::SimpleAtod(seconds, &params.seconds)) {
    return WriteFailure(
        absl::InvalidArgumentError("--probe-peaks needs a probe length in seconds"));
  }
  absl::StatusOr<PeakRun> run = MeasurePeaks(params);
  if (!run.ok()) return WriteFailure(run.status());
  for (const std::string& skipped : run->skipped) std::fprintf(stderr, "%s\n", skipped.c_str());
  gridbench::v1::HardwareProfile peaks;
  peaks.mutable_peaks()->Assign(run->peaks.begin(), run->peaks.end());
  return WriteFrame(kFramesFd, FrameType::kProbe, peaks.SerializeAsString()).ok() ? 0 : 1;
}

}  // namespace gridbench::worker
