#include "cli/connection.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/grpc_channel.h"
#include "common/status_macros.h"

namespace gridbench::cli {
namespace {

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  if (!(in && text << in.rdbuf())) {
    return absl::NotFoundError(absl::StrCat("cannot read token file ", path));
  }
  std::string token(absl::StripAsciiWhitespace(text.str()));
  if (token.empty())
    return absl::InvalidArgumentError(absl::StrCat("token file ", path, " is empty"));
  return token;
}

}  // namespace

absl::Status FromGrpcStatus(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

absl::StatusOr<Connection> Connection::Open(const GlobalOptions& global) {
  if (!global.insecure && global.ca_file.empty()) {
    return UsageError(
        "choose how to reach the coordinator: --insecure for plaintext, or --ca FILE for TLS");
  }
  std::string token = global.token;
  if (token.empty() && !global.token_file.empty()) {
    GB_ASSIGN_OR_RETURN(token, ReadTokenFile(global.token_file));
  }
  if (token.empty()) {
    return UsageError(
        "no token: pass --token or --token-file, or set GRIDBENCH_TOKEN or GRIDBENCH_TOKEN_FILE");
  }
  TlsFiles tls{global.ca_file, global.cert_file, global.key_file, global.insecure};
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeChannel(global.coordinator, tls);
  if (!channel.ok()) {
    return absl::Status(channel.status().code(), absl::StrCat("connecting to ", global.coordinator,
                                                              ": ", channel.status().message()));
  }
  return Connection(*std::move(channel), std::move(token));
}

void Connection::Prepare(grpc::ClientContext& context, bool with_deadline) const {
  context.AddMetadata(kAuthorizationHeader, absl::StrCat(kBearerPrefix, token_));
  if (with_deadline) context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
}

ArtifactCallOptions Connection::TransferOptions() const {
  ArtifactCallOptions options;
  options.prepare = [this](grpc::ClientContext& context, const char*) {
    Prepare(context, /*with_deadline=*/false);
  };
  options.timeout = absl::Hours(24);
  return options;
}

}  // namespace gridbench::cli
