// Client channels and the settings both ends of a connection must agree on:
// keepalive, message size limits and TLS. Keep these in this one place: a
// client keepalive interval below the server's minimum ping interval makes
// the server drop the connection.
#ifndef GRIDBENCH_COMMON_GRPC_CHANNEL_H_
#define GRIDBENCH_COMMON_GRPC_CHANNEL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace gridbench {

// Largest message either side accepts: a result with every sample, or a job
// with many tasks, fits with room to spare.
inline constexpr int kMaxMessageBytes = 16 * 1024 * 1024;
// The client pings an idle connection this often...
inline constexpr int kClientKeepaliveMs = 20'000;
// ...and the server tolerates pings no more often than this (must be lower).
inline constexpr int kServerMinPingIntervalMs = 10'000;

// TLS material, as file paths. With `insecure` set and no files, plaintext.
struct TlsFiles {
  std::string ca_file;    // Client: CA that signed the server. Server: CA for client certs.
  std::string cert_file;  // Own certificate chain (PEM).
  std::string key_file;   // Own private key (PEM).
  bool insecure = false;  // Plaintext allowed only when explicitly true.
};

// INVALID_ARGUMENT when neither TLS files nor `insecure: true` are given, or
// when only one of cert/key is; NOT_FOUND when a named file cannot be read.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeClientCredentials(
    const TlsFiles& tls);
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(const TlsFiles& tls);

// A channel to `target` ("host:port") with the shared keepalive and size
// settings. gRPC lets channels with equal settings share one connection; with
// `own_connection` this channel opens its own, as a separate worker machine
// would (the load generator gives each simulated worker one).
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const std::string& target,
                                                           const TlsFiles& tls,
                                                           bool own_connection = false);

// Applies the shared keepalive and size settings to a server.
void ApplyServerOptions(grpc::ServerBuilder& builder);

// The metadata key and prefix bearer tokens travel in.
inline constexpr char kAuthorizationHeader[] = "authorization";
inline constexpr char kBearerPrefix[] = "Bearer ";

}  // namespace gridbench

#endif  // GRIDBENCH_COMMON_GRPC_CHANNEL_H_
