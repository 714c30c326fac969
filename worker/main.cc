// gridbench-worker: the worker agent. Usage: gridbench-worker --config worker.yaml
// (see worker/worker_config.h). Also runs, hidden, as its own task child
// (worker/task_child.h).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/grpc_channel.h"
#include "common/logging.h"
#include "spdlog/spdlog.h"
#include "worker/hardware_probe.h"
#include "worker/peak_cache.h"
#include "worker/task_child.h"
#include "worker/worker_agent.h"
#include "worker/worker_config.h"

namespace gridbench::worker {
namespace {

constexpr char kUsage[] =
    "usage: gridbench-worker --config worker.yaml [--remeasure-peaks]\n"
    "Runs benchmark tasks for a gridbench coordinator. SIGTERM or SIGINT drains:\n"
    "the running task finishes, no new work is taken, then the agent exits 0.\n"
    "Peaks are measured at the first start and cached in state_dir; --remeasure-peaks\n"
    "measures them again.\n";

bool HasFlag(int argc, char** argv, std::string_view flag) {
  for (int i = 1; i < argc; ++i) {
    if (argv[i] == flag) return true;
  }
  return false;
}

// Adds the measured peaks to `hw`. Start-up goes on without them (results
// then carry no fraction of peak) rather than failing.
void AddPeaks(const std::string& exe, const std::string& state_dir, bool remeasure,
              gridbench::v1::HardwareProfile& hw) {
  const char* skip = std::getenv(kSkipPeakProbesEnv);
  if (skip != nullptr && std::string_view(skip) == "1") {
    spdlog::info("{}=1: no peak probes", kSkipPeakProbesEnv);
    return;
  }
  absl::StatusOr<std::vector<gridbench::v1::PeakMeasurement>> peaks =
      LoadOrMeasurePeaks(exe, hw, state_dir, remeasure);
  if (!peaks.ok()) {
    spdlog::warn("no measured peaks: {}", peaks.status().ToString());
    return;
  }
  hw.mutable_peaks()->Assign(peaks->begin(), peaks->end());
  spdlog::info("{} peaks ({})", peaks->size(), PeakCachePath(state_dir));
}

absl::StatusOr<std::string> ConfigPath(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) return std::string(argv[i + 1]);
    if (arg.starts_with("--config=")) return arg.substr(9);
  }
  return absl::InvalidArgumentError("no --config given");
}

absl::StatusOr<std::string> OwnExecutable() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return absl::InternalError("cannot read /proc/self/exe");
  return std::string(buf, static_cast<size_t>(n));
}

absl::Status Annotate(const absl::Status& s, absl::string_view doing) {
  return absl::Status(s.code(), absl::StrCat(doing, ": ", s.message()));
}

// Builds the agent: config, logging, hardware, channel, identity.
absl::StatusOr<std::unique_ptr<WorkerAgent>> MakeAgent(const std::string& config_path,
                                                       bool remeasure_peaks) {
  if (absl::Status s = InitCrypto(); !s.ok()) return Annotate(s, "starting libsodium");
  absl::StatusOr<WorkerConfig> config = LoadWorkerConfig(config_path);
  if (!config.ok()) return Annotate(config.status(), "loading the config");
  if (absl::Status s = ConfigureLogging(config->log_level, config->log_format); !s.ok()) {
    return Annotate(s, absl::StrCat(config_path, ": log"));
  }
  AgentOptions options;
  absl::StatusOr<std::string> exe = OwnExecutable();
  if (!exe.ok()) return exe.status();
  options.worker_executable = *exe;
  absl::StatusOr<gridbench::v1::HardwareProfile> hardware = ProbeHardware(*exe);
  if (!hardware.ok()) return Annotate(hardware.status(), "probing the hardware");
  spdlog::info("{} ({} cores, {} threads), {} core {}, {} Vulkan devices", hardware->cpu_model(),
               hardware->cores(), hardware->threads(), hardware->openblas_version(),
               hardware->openblas_corename(), hardware->vulkan_devices_size());
  AddPeaks(*exe, config->state_dir, remeasure_peaks, *hardware);
  options.hardware = *std::move(hardware);
  options.agent_version = GRIDBENCH_VERSION;
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      MakeChannel(config->coordinator, config->tls);
  if (!channel.ok()) return Annotate(channel.status(), "connecting to the coordinator");
  options.config = *std::move(config);
  absl::StatusOr<std::unique_ptr<WorkerAgent>> agent =
      WorkerAgent::Create(std::move(options), *std::move(channel));
  if (!agent.ok()) return Annotate(agent.status(), "loading the worker's state");
  return agent;
}

// SIGTERM and SIGINT arrive as one byte each (the signal number) on this
// pipe; 0 tells the reading thread to stop. A handler is used rather than
// blocking the signals and calling sigwait, because threads that libraries
// start before main (OpenBLAS's pool) would still receive them unblocked.
int g_signal_pipe[2] = {-1, -1};

extern "C" void OnStopSignal(int sig) {
  const char byte = static_cast<char>(sig);
  (void)!write(g_signal_pipe[1], &byte, 1);
}

absl::Status InstallSignalHandlers() {
  if (pipe2(g_signal_pipe, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2: ", std::strerror(errno)));
  }
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return absl::OkStatus();
}

int RunAgent(const std::string& config_path, bool remeasure_peaks) {
  if (absl::Status s = InstallSignalHandlers(); !s.ok()) {
    std::fprintf(stderr, "gridbench-worker: %s\n", s.ToString().c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<WorkerAgent>> agent = MakeAgent(config_path, remeasure_peaks);
  if (!agent.ok()) {
    std::fprintf(stderr, "gridbench-worker: %s\n", agent.status().ToString().c_str());
    return 1;
  }
  std::thread signal_thread([&] {
    int drains = 0;
    while (true) {
      char byte = 0;
      const ssize_t n = read(g_signal_pipe[0], &byte, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n != 1 || byte == 0) return;
      const int sig = byte;
      if (++drains > 1) {
        spdlog::warn("second SIG{}: exiting now; unacknowledged results stay on disk",
                     sigabbrev_np(sig));
        std::_Exit(1);
      }
      spdlog::info("SIG{}: draining", sigabbrev_np(sig));
      (*agent)->Drain();
    }
  });
  absl::Status status = (*agent)->Run();
  const char stop = 0;
  (void)!write(g_signal_pipe[1], &stop, 1);
  signal_thread.join();
  agent->reset();
  if (!status.ok()) {
    spdlog::error("worker stopped: {}", status.ToString());
    return 1;
  }
  spdlog::info("drained; exiting");
  return 0;
}

}  // namespace
}  // namespace gridbench::worker

int main(int argc, char** argv) {
  using namespace gridbench::worker;
  if (argc >= 2 && std::strcmp(argv[1], kRunTaskFlag) == 0) return RunTaskChildMain();
  if (argc >= 2 && std::strcmp(argv[1], kProbeHardwareFlag) == 0) {
    return RunProbeHardwareChildMain();
  }
  if (argc >= 2 && std::strcmp(argv[1], kProbePeaksFlag) == 0) {
    return RunProbePeaksChildMain(argc >= 3 ? argv[2] : nullptr);
  }
  if (argc >= 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (argc >= 2 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("gridbench-worker %s\n", GRIDBENCH_VERSION);
    return 0;
  }
  absl::StatusOr<std::string> config_path = ConfigPath(argc, argv);
  if (!config_path.ok()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  return RunAgent(*config_path, HasFlag(argc, argv, "--remeasure-peaks"));
}
