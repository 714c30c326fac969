#include "coordinator/artifact_auth.h"

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/worker_call_proof.h"
#include "coordinator/call_auth.h"

namespace gridbench::coordinator {
namespace {

std::string Metadata(grpc::CallbackServerContext* context, const char* key) {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find(key);
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

absl::StatusOr<ArtifactCaller> AuthorizeWorker(TaskScheduler& scheduler, Clock& clock,
                                               grpc::CallbackServerContext* context,
                                               const std::string& worker_id,
                                               const std::string& method, bool worker_allowed) {
  if (!worker_allowed) {
    return absl::PermissionDeniedError(absl::StrCat("workers may not call ", method));
  }
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(Metadata(context, kWorkerTimeHeader), &seconds)) {
    return absl::UnauthenticatedError(
        absl::StrCat("worker call proof: ", kWorkerTimeHeader, " is not a number"));
  }
  const int64_t now = clock.NowNanos() / 1'000'000'000;
  if (std::llabs(now - seconds) > kWorkerCallProofWindowSeconds) {
    return absl::UnauthenticatedError(
        absl::StrCat("worker call proof is ", now - seconds, " s old; the window is ±",
                     kWorkerCallProofWindowSeconds, " s (check the worker's clock)"));
  }
  absl::StatusOr<gridbench::v1::Worker> worker = scheduler.WorkerForSession(worker_id);
  if (absl::IsNotFound(worker.status())) {
    return absl::UnauthenticatedError(absl::StrCat("unknown worker ", worker_id));
  }
  if (!worker.ok()) return worker.status();
  const std::string signature = absl::HexStringToBytes(Metadata(context, kWorkerSignatureHeader));
  if (absl::Status s = VerifySignature(worker->public_key(),
                                       WorkerCallProofBytes(worker_id, method, seconds), signature);
      !s.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("worker call proof of ", worker_id, " does not verify: ", s.message()));
  }
  return ArtifactCaller{absl::StrCat("worker:", worker_id)};
}

}  // namespace

absl::StatusOr<ArtifactCaller> AuthorizeArtifactCall(TokenAuthority& tokens,
                                                     TaskScheduler& scheduler, Clock& clock,
                                                     grpc::CallbackServerContext* context,
                                                     gridbench::v1::Role needed,
                                                     const std::string& method,
                                                     bool worker_allowed) {
  const std::string worker_id = Metadata(context, kWorkerIdHeader);
  if (worker_id.empty()) {
    absl::StatusOr<Principal> principal = AuthorizeCall(tokens, scheduler, context, needed, method);
    if (!principal.ok()) return principal.status();
    return ArtifactCaller{principal->token_id};
  }
  absl::StatusOr<ArtifactCaller> caller =
      AuthorizeWorker(scheduler, clock, context, worker_id, method, worker_allowed);
  if (!caller.ok()) {
    scheduler.Audit("auth_failure", method, std::string(caller.status().message()),
                    context->peer());
  }
  return caller;
}

}  // namespace gridbench::coordinator
