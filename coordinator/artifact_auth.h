// Authorizes a call on the Artifacts service: by bearer token (as every
// other call), or for a worker by a per-call signature with its enrolled
// key (common/worker_call_proof.h). Refusals go to the audit log.
#ifndef GRIDBENCH_COORDINATOR_ARTIFACT_AUTH_H_
#define GRIDBENCH_COORDINATOR_ARTIFACT_AUTH_H_

#include <string>

#include "absl/status/statusor.h"
#include "coordinator/clock.h"
#include "coordinator/task_scheduler.h"
#include "coordinator/token_authority.h"
#include "grpcpp/server_context.h"

namespace gridbench::coordinator {

struct ArtifactCaller {
  // Uploads are recorded under this: a token id, or "worker:<id>".
  std::string principal;
};

// `worker_allowed` says whether a worker's signed proof may make this call.
// UNAUTHENTICATED for a missing or bad token or proof (a stale time, an
// unknown worker, a signature that does not verify), PERMISSION_DENIED for a
// role that is not enough, a revoked worker, or a worker calling a method
// workers may not call.
absl::StatusOr<ArtifactCaller> AuthorizeArtifactCall(TokenAuthority& tokens,
                                                     TaskScheduler& scheduler, Clock& clock,
                                                     grpc::CallbackServerContext* context,
                                                     gridbench::v1::Role needed,
                                                     const std::string& method,
                                                     bool worker_allowed);

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_ARTIFACT_AUTH_H_
