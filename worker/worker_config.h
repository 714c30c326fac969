// The worker agent's configuration file (worker.yaml), field by field:
//
//   coordinator: 127.0.0.1:7070   # required: the coordinator's host:port
//   name: bench-host-1            # default: this machine's hostname
//   state_dir: /var/lib/gridbench-worker
//                                 # required: holds worker.key (Ed25519, 0600),
//                                 # worker_id, sequence, outbox/, artifacts/
//                                 # (the artifact cache) and work/ (outputs)
//   join_token: gbt_...           # or join_token_file: /path (not both); only
//                                 # needed until the worker has enrolled
//   labels: {rack: a1}            # string -> string, matched by task requirements
//   insecure: true                # or tls: {ca: ca.pem, cert: client.pem, key: client.key}
//   drain_grace_seconds: 600      # on SIGTERM/Drain, how long the running task
//                                 # may take to finish before it is handed back
//   artifact_cache_bytes: 21474836480  # cap on <state_dir>/artifacts (20 GiB);
//                                 # least recently used artifacts go first
//   log: {level: info, format: text}   # format: text | json
//
// Unknown keys are errors, so a misspelt field never silently does nothing.
#ifndef GRIDBENCH_WORKER_WORKER_CONFIG_H_
#define GRIDBENCH_WORKER_WORKER_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/grpc_channel.h"

namespace gridbench::worker {

struct WorkerConfig {
  std::string coordinator;
  std::string name;
  std::string state_dir;
  std::string join_token;  // From join_token or the contents of join_token_file.
  std::map<std::string, std::string> labels;
  TlsFiles tls;
  double drain_grace_seconds = 600;
  uint64_t artifact_cache_bytes = uint64_t{20} << 30;
  std::string log_level = "info";
  std::string log_format = "text";
};

// Parses the text of a worker.yaml. `file_name` is only used in messages.
// INVALID_ARGUMENT names the file, the line and the field, e.g.
//   "worker.yaml:4: labels.rack: must be a string". A join_token_file that
// cannot be read is NOT_FOUND. Relative paths are kept as written.
absl::StatusOr<WorkerConfig> ParseWorkerConfig(std::string_view yaml_text,
                                               std::string_view file_name);

// Reads and parses `path`; NOT_FOUND when it cannot be read.
absl::StatusOr<WorkerConfig> LoadWorkerConfig(const std::string& path);

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_WORKER_CONFIG_H_
