// gridbench-coordinator: the head node's scheduler and result store.
//   gridbench-coordinator --config coordinator.yaml
#include <signal.h>
#include <sys/resource.h>

#include <cstring>
#include <iostream>
#include <string>

#include "common/logging.h"
#include "coordinator/coordinator_config.h"
#include "coordinator/coordinator_server.h"
#include "spdlog/spdlog.h"

namespace {

int Usage() {
  std::cerr << "usage: gridbench-coordinator --config coordinator.yaml\n";
  return 2;
}

// Blocks until SIGINT or SIGTERM arrives.
void WaitForStopSignal() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  int received = 0;
  sigwait(&signals, &received);
  spdlog::info("received {}, shutting down", strsignal(received));
}

// Every worker holds a connection open. A soft limit of 1,024 open files, a
// common default, would refuse workers past about a thousand, so take all
// the hard limit allows (the administrator's to set: LimitNOFILE in the
// systemd unit), and say what it is.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur < 4096) {
    spdlog::warn("open-file limit is {}: fewer workers than that can connect at once",
                 limit.rlim_cur);
  } else {
    spdlog::info("open-file limit {}", limit.rlim_cur);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      config_path = arg.substr(9);
    } else {
      return Usage();
    }
  }
  if (config_path.empty()) return Usage();
  // Block the stop signals in every thread; the main thread sigwaits them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto config = gridbench::coordinator::LoadCoordinatorConfig(config_path);
  if (!config.ok()) {
    std::cerr << "gridbench-coordinator: " << config.status().message() << "\n";
    return 2;
  }
  if (auto s = gridbench::ConfigureLogging(config->log_level, config->log_format); !s.ok()) {
    std::cerr << "gridbench-coordinator: " << s.message() << "\n";
    return 2;
  }
  RaiseOpenFileLimit();
  auto server = gridbench::coordinator::CoordinatorServer::Start(*config);
  if (!server.ok()) {
    spdlog::critical("cannot start: {}", server.status().ToString());
    return 1;
  }
  WaitForStopSignal();
  (*server)->Shutdown();
  return 0;
}
