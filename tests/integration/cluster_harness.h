// ClusterHarness: real gridbench-coordinator and gridbench-worker processes
// on loopback, in a scratch directory, for integration tests. Everything the
// harness starts is killed when it is destroyed.
#ifndef GRIDBENCH_TESTS_INTEGRATION_CLUSTER_HARNESS_H_
#define GRIDBENCH_TESTS_INTEGRATION_CLUSTER_HARNESS_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/artifact_transfer.h"
#include "gridbench/v1/gridbench.grpc.pb.h"
#include "gridbench/v1/worker.grpc.pb.h"

namespace gridbench::testing {

// Where CMake put the binaries under test.
std::string BinaryPath(const std::string& name);

class ClusterHarness {
 public:
  // `test_name` names the scratch directory; `coordinator_yaml` adds lines to
  // the coordinator's config (short leases for failure tests, say).
  ClusterHarness(const std::string& test_name, std::string coordinator_yaml = "");
  ~ClusterHarness();

  // Starts the coordinator (again, on the same port and data directory).
  absl::Status StartCoordinator();
  void KillCoordinator(int signal);

  // Starts a worker with a fresh state directory and a new join token.
  absl::StatusOr<int> StartWorker(const std::string& name,
                                  const std::map<std::string, std::string>& labels = {});
  void KillWorker(int index, int signal);
  pid_t worker_pid(int index) const { return workers_.at(index).pid; }

  const std::string& address() const { return address_; }
  const std::string& admin_token() const { return admin_token_; }
  const std::string& dir() const { return dir_; }
  std::string database_path() const { return dir_ + "/coordinator/gridbench.db"; }

  gridbench::v1::Gridbench::Stub& api() { return *api_; }
  gridbench::v1::WorkerGateway::Stub& gateway() { return *gateway_; }

  // A context carrying `token` and a 30 s deadline.
  static std::unique_ptr<grpc::ClientContext> Context(const std::string& token);
  // Artifact transfer options carrying `token` and a 30 s deadline.
  static ArtifactCallOptions ArtifactOptions(const std::string& token);

  absl::StatusOr<std::string> CreateToken(gridbench::v1::Role role, double ttl_seconds = 0,
                                          bool one_time = false);
  absl::StatusOr<std::string> Submit(const std::string& job_yaml);
  absl::StatusOr<gridbench::v1::Job> GetJob(const std::string& job_id);
  absl::StatusOr<std::vector<gridbench::v1::StoredResult>> Results(const std::string& job_id);
  absl::StatusOr<std::vector<gridbench::v1::Worker>> Workers();

  // Polls `done` until it is true or `timeout` passes. For conditions that
  // other processes make true; returns false on timeout.
  bool WaitUntil(const std::function<bool()>& done, absl::Duration timeout);
  bool WaitForConnectedWorkers(size_t n, absl::Duration timeout);
  // Follows WatchJob until the job is final; returns its final state.
  absl::StatusOr<gridbench::v1::Job> WaitForJob(const std::string& job_id, absl::Duration timeout);

  // Rows of the audit log of `kind`, read straight from the SQLite file.
  int64_t AuditRows(const std::string& kind);
  // The tail of a log file of this harness ("coordinator.log", "worker-0.log").
  std::string LogTail(const std::string& file) const;

 private:
  struct Worker {
    pid_t pid = -1;
    std::string name;
  };
  void Connect();

  std::string dir_;
  std::string coordinator_yaml_;
  std::string listen_ = "127.0.0.1:0";
  std::string address_;
  std::string admin_token_;
  pid_t coordinator_pid_ = -1;
  std::vector<Worker> workers_;
  std::unique_ptr<gridbench::v1::Gridbench::Stub> api_;
  std::unique_ptr<gridbench::v1::WorkerGateway::Stub> gateway_;
};

}  // namespace gridbench::testing

#endif  // GRIDBENCH_TESTS_INTEGRATION_CLUSTER_HARNESS_H_
