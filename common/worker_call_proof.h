// How a worker authenticates a call outside its Session stream (artifact
// transfers): it has no bearer token after enrolling, so it signs each call
// with its enrolled Ed25519 key. The proof travels as call metadata:
//   x-gridbench-worker-id         the worker id
//   x-gridbench-worker-time       Unix seconds when the call was made
//   x-gridbench-worker-signature  hex Ed25519 signature over
//                                 WorkerCallProofBytes(id, method, time)
// The coordinator accepts a proof whose time is within
// kWorkerCallProofWindowSeconds of its own clock and whose worker is
// enrolled and not revoked. A proof names its method, so a proof for one
// method cannot be replayed against another; within the window it can be
// replayed against the same method (TLS prevents that on the wire).
//
// Thread-safe.
#ifndef GRIDBENCH_COMMON_WORKER_CALL_PROOF_H_
#define GRIDBENCH_COMMON_WORKER_CALL_PROOF_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "common/crypto.h"
#include "grpcpp/client_context.h"

namespace gridbench {

inline constexpr char kWorkerIdHeader[] = "x-gridbench-worker-id";
inline constexpr char kWorkerTimeHeader[] = "x-gridbench-worker-time";
inline constexpr char kWorkerSignatureHeader[] = "x-gridbench-worker-signature";
inline constexpr int64_t kWorkerCallProofWindowSeconds = 300;

// The bytes a worker signs: a fixed context string, then the fields
// separated by newlines (none of them can contain one).
std::string WorkerCallProofBytes(std::string_view worker_id, std::string_view method,
                                 int64_t unix_seconds);

// Adds a proof for `method` (e.g. "GetArtifact") made now to `context`.
void AddWorkerCallProof(grpc::ClientContext& context, const std::string& worker_id,
                        const SigningKey& key, std::string_view method);

}  // namespace gridbench

#endif  // GRIDBENCH_COMMON_WORKER_CALL_PROOF_H_
