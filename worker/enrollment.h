// The worker's identity: its Ed25519 key (state_dir/worker.key, mode 0600,
// never sent anywhere) and the id the coordinator gave it when it enrolled
// (state_dir/worker_id). Both survive restarts.
#ifndef GRIDBENCH_WORKER_ENROLLMENT_H_
#define GRIDBENCH_WORKER_ENROLLMENT_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "common/crypto.h"
#include "gridbench/v1/worker.grpc.pb.h"

namespace gridbench::worker {

struct WorkerIdentity {
  SigningKey key;
  std::string worker_id;  // Empty until the worker has enrolled.
};

// Loads the key (creating it on first start) and the worker id, if any.
// Errors from LoadOrCreateSigningKey (e.g. a key file readable by others)
// are returned as they are.
absl::StatusOr<WorkerIdentity> LoadIdentity(const std::string& state_dir);

// Forgets the stored worker id (the coordinator no longer knows it), so the
// next start enrolls again. The key is kept.
absl::Status ForgetWorkerId(const std::string& state_dir);

// What Enroll sends besides the key.
struct EnrollInfo {
  std::string name;
  std::map<std::string, std::string> labels;
  gridbench::v1::HardwareProfile hardware;
};

// Enrolls with `join_token` and stores the returned id in
// state_dir/worker_id. FAILED_PRECONDITION when `join_token` is empty; else
// the call's status (UNAVAILABLE: retry; UNAUTHENTICATED: bad token).
// Thread-safe.
absl::StatusOr<std::string> Enroll(gridbench::v1::WorkerGateway::StubInterface& stub,
                                   const std::string& state_dir, const std::string& join_token,
                                   const SigningKey& key, const EnrollInfo& info);

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_ENROLLMENT_H_
