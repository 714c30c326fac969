// Starts a real gridbench-coordinator process in a scratch directory and
// stops it again. For the load generator; integration tests have their own.
#ifndef GRIDBENCH_BENCH_CLUSTER_COORDINATOR_PROCESS_H_
#define GRIDBENCH_BENCH_CLUSTER_COORDINATOR_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace gridbench::bench {

struct CoordinatorProcess {
  pid_t pid = -1;
  std::string address;
  std::string admin_token;
  std::string data_dir;
};

// Writes a config into `dir` (extra YAML lines appended) and starts
// `binary`, waiting up to 30 s for it to listen.
absl::StatusOr<CoordinatorProcess> StartCoordinator(const std::string& binary,
                                                    const std::string& dir,
                                                    const std::string& extra_yaml);
// SIGTERM, then waits for it to exit. Returns its exit status.
int StopCoordinator(const CoordinatorProcess& process);
// User+system CPU seconds the process has used so far (from /proc).
double ProcessCpuSeconds(pid_t pid);

struct ThreadCpu {
  std::string name;  // As the thread named itself (at most 15 characters).
  double seconds = 0;
};
// User+system CPU seconds of each of the process's threads so far, by thread
// id (from /proc). A single busy thread is a bound no number of cores lifts.
std::map<pid_t, ThreadCpu> ThreadCpuSeconds(pid_t pid);

}  // namespace gridbench::bench

#endif  // GRIDBENCH_BENCH_CLUSTER_COORDINATOR_PROCESS_H_
