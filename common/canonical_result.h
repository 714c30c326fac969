// The byte strings that workers sign. Both sides build them with these
// functions, so a signature made by a worker verifies on the coordinator and
// in `gridbench verify` no matter how protobuf happens to serialize messages.
//
// Encoding: a domain tag, then each field as an 8-byte big-endian length
// followed by its bytes; integers as 8-byte big-endian. The domain tag keeps a
// session proof from ever being valid as a result signature and vice versa.
#ifndef GRIDBENCH_COMMON_CANONICAL_RESULT_H_
#define GRIDBENCH_COMMON_CANONICAL_RESULT_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "gridbench/v1/common.pb.h"

namespace gridbench {

// What a worker signs for a result: binds worker id, task id, attempt id,
// lease id, sequence number and the payload bytes.
std::string CanonicalResultBytes(const gridbench::v1::SignedResult& result);

// What a worker signs to prove it holds its key when a session opens.
std::string SessionProofBytes(std::string_view worker_id, std::string_view nonce);

// Checks `result.signature` against `public_key`; UNAUTHENTICATED when it
// does not verify.
absl::Status VerifyResultSignature(const gridbench::v1::SignedResult& result,
                                   std::string_view public_key);

}  // namespace gridbench

#endif  // GRIDBENCH_COMMON_CANONICAL_RESULT_H_
