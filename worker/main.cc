// gridbench-worker: the worker agent. Usage: gridbench-worker --config worker.yaml
// (see worker/worker_config.h). Also runs, hidden, as its own task child
// (worker/task_child.h).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/grpc_channel.h"
#include "common/logging.h"
#include "spdlog/spdlog.h"
#include "worker/hardware_probe.h"
#include "worker/task_child.h"
#include "worker/worker_agent.h"
#include "worker/worker_config.h"

namespace gridbench::worker {
namespace {

constexpr char kUsage[] =
    "usage: gridbench-worker --config worker.yaml\n"
    "Runs benchmark tasks for a gridbench coordinator. SIGTERM or SIGINT drains:\n"
    "the running task finishes, no new work is taken, then the agent exits 0.\n";

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
absl::StatusOr<std::unique_ptr<WorkerAgent>> MakeAgent(const std::string& config_path) {
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
  spdlog::info("{} ({} cores, {} threads), OpenBLAS {} core {}, {} Vulkan devices",
               hardware->cpu_model(), hardware->cores(), hardware->threads(),
               hardware->openblas_version(), hardware->openblas_corename(),
               hardware->vulkan_devices_size());
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

int RunAgent(const std::string& config_path) {
  // Blocked in every thread (all created after this), received by sigwait.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<std::unique_ptr<WorkerAgent>> agent = MakeAgent(config_path);
  if (!agent.ok()) {
    std::fprintf(stderr, "gridbench-worker: %s\n", agent.status().ToString().c_str());
    return 1;
  }
  std::atomic<bool> exiting = false;
  std::thread signal_thread([&] {
    int drains = 0;
    while (true) {
      int sig = 0;
      sigwait(&signals, &sig);
      if (exiting) return;
      if (++drains > 1) {
        spdlog::warn("second {}: exiting now; unacknowledged results stay on disk",
                     sigabbrev_np(sig));
        std::_Exit(1);
      }
      spdlog::info("SIG{}: draining", sigabbrev_np(sig));
      (*agent)->Drain();
    }
  });
  absl::Status status = (*agent)->Run();
  exiting = true;
  pthread_kill(signal_thread.native_handle(), SIGTERM);
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
  return RunAgent(*config_path);
}
