// Moving artifact bytes to and from the coordinator's Artifacts service,
// for the CLI and the worker alike. Uploads send the id first (computed
// from the file) and chunks of kArtifactUploadChunkBytes; downloads land in
// "<dest>.part", continue from its size when it already exists, are checked
// against the id as a whole, and only then renamed to `dest`.
//
// Thread-compatible: concurrent calls must use different destinations.
#ifndef GRIDBENCH_COMMON_ARTIFACT_TRANSFER_H_
#define GRIDBENCH_COMMON_ARTIFACT_TRANSFER_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gridbench/v1/artifact.grpc.pb.h"
#include "grpcpp/client_context.h"

namespace gridbench {

inline constexpr size_t kArtifactUploadChunkBytes = 1 << 20;

// Adds credentials (a bearer token or a worker proof) to a call's context.
// `method` is the RPC's name, e.g. "GetArtifact".
using PrepareArtifactCall = std::function<void(grpc::ClientContext&, const char* method)>;

struct ArtifactCallOptions {
  PrepareArtifactCall prepare;
  // The whole transfer must finish within this.
  absl::Duration timeout = absl::Hours(1);
};

// Uploads the file at `path` under `name`. Errors: the file's (NOT_FOUND,
// INTERNAL), the coordinator's (see artifact.proto), or DATA_LOSS when the
// file changed while it was being sent.
absl::StatusOr<gridbench::v1::ArtifactInfo> UploadArtifactFile(
    gridbench::v1::Artifacts::StubInterface& stub, const ArtifactCallOptions& options,
    const std::string& path, const std::string& name);

struct DownloadStats {
  uint64_t size_bytes = 0;    // The artifact's size.
  uint64_t resumed_from = 0;  // Bytes already in "<dest>.part" when it started.
  uint64_t transferred = 0;   // Bytes received by this call.
};

// Downloads `artifact_id` to `dest`. A call cut off (an error, a timeout, a
// crash) leaves "<dest>.part" for the next call to continue. DATA_LOSS when
// the bytes do not match the id (the .part file is removed, so a retry
// starts over); the coordinator's errors as they come.
absl::StatusOr<DownloadStats> DownloadArtifact(gridbench::v1::Artifacts::StubInterface& stub,
                                               const ArtifactCallOptions& options,
                                               const std::string& artifact_id,
                                               const std::string& dest);

}  // namespace gridbench

#endif  // GRIDBENCH_COMMON_ARTIFACT_TRANSFER_H_
