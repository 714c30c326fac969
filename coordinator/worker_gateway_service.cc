#include "coordinator/worker_gateway_service.h"

#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/grpc_status.h"
#include "coordinator/call_auth.h"
#include "coordinator/worker_session.h"

namespace gridbench::coordinator {

grpc::ServerUnaryReactor* WorkerGatewayService::Enroll(grpc::CallbackServerContext* context,
                                                       const gridbench::v1::EnrollRequest* request,
                                                       gridbench::v1::EnrollResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto principal =
      AuthorizeCall(*tokens_, *scheduler_, context, gridbench::v1::ROLE_WORKER, "Enroll");
  if (!principal.ok()) {
    reactor->Finish(ToGrpcStatus(principal.status()));
    return reactor;
  }
  if (request->public_key().size() != kPublicKeyBytes) {
    reactor->Finish(ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
        "public_key must be a ", kPublicKeyBytes, "-byte Ed25519 key, got ",
        request->public_key().size(), " bytes"))));
    return reactor;
  }
  if (request->name().empty() || request->name().size() > 253) {
    reactor->Finish(ToGrpcStatus(absl::InvalidArgumentError("name must be 1..253 characters")));
    return reactor;
  }
  const std::string key_id = KeyId(request->public_key());
  scheduler_->EnrollWorker(*request, context->peer(),
                           [reactor, response, key_id](absl::StatusOr<std::string> id) {
                             if (id.ok()) {
                               response->set_worker_id(*id);
                               response->set_key_id(key_id);
                             }
                             reactor->Finish(ToGrpcStatus(id.status()));
                           });
  return reactor;
}

grpc::ServerBidiReactor<gridbench::v1::WorkerMessage, gridbench::v1::CoordinatorMessage>*
WorkerGatewayService::Session(grpc::CallbackServerContext* context) {
  return WorkerSession::Start(scheduler_, store_, config_, context->peer());
}

}  // namespace gridbench::coordinator
