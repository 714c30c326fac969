#include "worker/enrollment.h"

#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_channel.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"
#include "worker/durable_file.h"

namespace gridbench::worker {
namespace {

constexpr auto kEnrollDeadline = std::chrono::seconds(30);

std::string WorkerIdPath(const std::string& state_dir) { return state_dir + "/worker_id"; }

}  // namespace

absl::StatusOr<WorkerIdentity> LoadIdentity(const std::string& state_dir) {
  GB_RETURN_IF_ERROR(MakeDirectories(state_dir));
  WorkerIdentity identity;
  GB_ASSIGN_OR_RETURN(identity.key, LoadOrCreateSigningKey(state_dir + "/worker.key"));
  absl::StatusOr<std::string> id = ReadWholeFile(WorkerIdPath(state_dir));
  if (id.ok()) {
    identity.worker_id = std::string(absl::StripAsciiWhitespace(*id));
  } else if (!absl::IsNotFound(id.status())) {
    return id.status();
  }
  return identity;
}

absl::Status ForgetWorkerId(const std::string& state_dir) {
  return RemoveFileDurably(WorkerIdPath(state_dir));
}

absl::StatusOr<std::string> Enroll(gridbench::v1::WorkerGateway::StubInterface& stub,
                                   const std::string& state_dir, const std::string& join_token,
                                   const SigningKey& key, const EnrollInfo& info) {
  if (join_token.empty()) {
    return absl::FailedPreconditionError(
        "this worker has not enrolled yet: set join_token or join_token_file in its config");
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + kEnrollDeadline);
  ctx.AddMetadata(kAuthorizationHeader, absl::StrCat(kBearerPrefix, join_token));
  gridbench::v1::EnrollRequest request;
  request.set_name(info.name);
  request.set_public_key(key.public_key);
  request.mutable_labels()->insert(info.labels.begin(), info.labels.end());
  *request.mutable_hardware() = info.hardware;
  gridbench::v1::EnrollResponse response;
  GB_RETURN_IF_ERROR(FromGrpcStatus(stub.Enroll(&ctx, request, &response)));
  if (response.worker_id().empty()) {
    return absl::InternalError("the coordinator's Enroll answer has no worker id");
  }
  GB_RETURN_IF_ERROR(WriteFileDurably(WorkerIdPath(state_dir), response.worker_id() + "\n"));
  return response.worker_id();
}

}  // namespace gridbench::worker
