// A client of the coordinator's Gridbench service for one CLI command: the
// channel, the bearer token and per-call deadlines in one place.
// Thread-compatible: use one from one thread at a time.
#ifndef GRIDBENCH_CLI_CONNECTION_H_
#define GRIDBENCH_CLI_CONNECTION_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/command.h"
#include "common/artifact_transfer.h"
#include "gridbench/v1/gridbench.grpc.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace gridbench::cli {

// Every unary call gets this deadline; streams that follow a job get none.
inline constexpr std::chrono::seconds kCallDeadline{30};

// The same code and message as an absl::Status (the code numbers agree).
absl::Status FromGrpcStatus(const grpc::Status& status);

class Connection {
 public:
  using Stub = gridbench::v1::Gridbench::Stub;

  // Opens a channel to `global.coordinator`. Usage errors when no transport
  // (--insecure or --ca) or no token is given; TLS file errors as
  // MakeChannel reports them. The channel connects lazily: a coordinator
  // that is down shows as UNAVAILABLE on the first call.
  static absl::StatusOr<Connection> Open(const GlobalOptions& global);

  // Calls a unary method with the token and kCallDeadline:
  //   GB_ASSIGN_OR_RETURN(Job job, conn.Call(&Connection::Stub::GetJob, request));
  template <typename Request, typename Response>
  absl::StatusOr<Response> Call(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                             Response*),
                                const Request& request) {
    grpc::ClientContext context;
    Prepare(context, /*with_deadline=*/true);
    Response response;
    grpc::Status status = (stub_.get()->*method)(&context, request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  // Adds the token, and kCallDeadline when `with_deadline`, to `context`.
  void Prepare(grpc::ClientContext& context, bool with_deadline) const;

  // Call options for artifact uploads and downloads: the token, and a day's
  // deadline (the limit is for a hung coordinator, not a slow link). The
  // options refer to this connection, which must outlive them.
  ArtifactCallOptions TransferOptions() const;

  Stub& stub() { return *stub_; }
  // For the other services on the same coordinator (artifacts).
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  Connection(std::shared_ptr<grpc::Channel> channel, std::string token)
      : channel_(std::move(channel)),
        stub_(gridbench::v1::Gridbench::NewStub(channel_)),
        token_(std::move(token)) {}

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Stub> stub_;
  std::string token_;
};

}  // namespace gridbench::cli

#endif  // GRIDBENCH_CLI_CONNECTION_H_
