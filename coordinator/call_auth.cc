#include "coordinator/call_auth.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_channel.h"

namespace gridbench::coordinator {

absl::StatusOr<Principal> AuthorizeCall(TokenAuthority& tokens, TaskScheduler& scheduler,
                                        grpc::CallbackServerContext* context,
                                        gridbench::v1::Role needed, const std::string& method) {
  std::string header;
  const auto& metadata = context->client_metadata();
  if (auto it = metadata.find(kAuthorizationHeader); it != metadata.end()) {
    header.assign(it->second.data(), it->second.size());
  }
  absl::StatusOr<Principal> principal = tokens.Authorize(BearerTokenFrom(header), needed);
  if (!principal.ok()) {
    scheduler.Audit("auth_failure", method, std::string(principal.status().message()),
                    context->peer());
  }
  return principal;
}

}  // namespace gridbench::coordinator
