// The coordinator's configuration file (coordinator.yaml), field by field.
// docs/OPERATIONS.md documents the same fields for operators.
#ifndef GRIDBENCH_COORDINATOR_COORDINATOR_CONFIG_H_
#define GRIDBENCH_COORDINATOR_COORDINATOR_CONFIG_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "common/grpc_channel.h"
#include "gridbench/v1/common.pb.h"

namespace gridbench::coordinator {

struct CoordinatorConfig {
  // "host:port" to listen on; port 0 picks a free port. The bound address
  // is written to <data_dir>/coordinator.addr once the server listens.
  std::string listen = "127.0.0.1:7070";
  // Holds gridbench.db, admin.token and coordinator.addr. Required.
  std::string data_dir;
  TlsFiles tls;
  // How often workers send heartbeats.
  double heartbeat_interval_seconds = 5;
  // A worker silent this long is lost: its running attempt fails and is retried.
  double lease_timeout_seconds = 30;
  // After a restart, how long running attempts wait for their worker to reconnect.
  double reconnect_grace_seconds = 60;
  // A task no enrolled worker can match fails after this long.
  double unmatched_task_timeout_seconds = 300;
  // Artifacts larger than this are refused (RESOURCE_EXHAUSTED). 16 GiB.
  uint64_t max_artifact_bytes = uint64_t{16} << 30;
  // Used for tasks whose job file gives no retry policy.
  gridbench::v1::RetryPolicy default_retry;
  std::string log_level = "info";
  std::string log_format = "text";

  std::string DatabasePath() const { return data_dir + "/gridbench.db"; }
  std::string AdminTokenPath() const { return data_dir + "/admin.token"; }
  std::string AddressFilePath() const { return data_dir + "/coordinator.addr"; }
  // Artifact bytes: sha256/<hex[0:2]>/<hex> below it (coordinator/artifact_store.h).
  std::string ArtifactDir() const { return data_dir + "/artifacts"; }
};

// Defaults for every field (data_dir excepted).
CoordinatorConfig DefaultCoordinatorConfig();

// Parses coordinator.yaml. Every problem is reported at once, each as
// "FILE:LINE:COL: field: what is wrong"; unknown keys are errors.
absl::StatusOr<CoordinatorConfig> ParseCoordinatorConfig(const std::string& yaml_text,
                                                         const std::string& file_name);
absl::StatusOr<CoordinatorConfig> LoadCoordinatorConfig(const std::string& path);

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_COORDINATOR_CONFIG_H_
