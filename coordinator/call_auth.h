// Authorizes one incoming call by its bearer token and records refusals in
// the audit log.
#ifndef GRIDBENCH_COORDINATOR_CALL_AUTH_H_
#define GRIDBENCH_COORDINATOR_CALL_AUTH_H_

#include <string>

#include "absl/status/statusor.h"
#include "coordinator/task_scheduler.h"
#include "coordinator/token_authority.h"
#include "grpcpp/server_context.h"

namespace gridbench::coordinator {

absl::StatusOr<Principal> AuthorizeCall(TokenAuthority& tokens, TaskScheduler& scheduler,
                                        grpc::CallbackServerContext* context,
                                        gridbench::v1::Role needed, const std::string& method);

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_CALL_AUTH_H_
