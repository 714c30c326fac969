#include "common/canonical_result.h"

#include <cstdint>

#include "common/crypto.h"

namespace gridbench {
namespace {

void AppendU64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void AppendField(std::string& out, std::string_view field) {
  AppendU64(out, field.size());
  out.append(field);
}

}  // namespace

std::string CanonicalResultBytes(const gridbench::v1::SignedResult& result) {
  std::string out;
  AppendField(out, "gridbench-result-v1");
  AppendField(out, result.worker_id());
  AppendField(out, result.task_id());
  AppendField(out, result.attempt_id());
  AppendField(out, result.lease_id());
  AppendU64(out, result.sequence());
  AppendField(out, result.payload());
  return out;
}

std::string SessionProofBytes(std::string_view worker_id, std::string_view nonce) {
  std::string out;
  AppendField(out, "gridbench-session-v1");
  AppendField(out, worker_id);
  AppendField(out, nonce);
  return out;
}

absl::Status VerifyResultSignature(const gridbench::v1::SignedResult& result,
                                   std::string_view public_key) {
  return VerifySignature(public_key, CanonicalResultBytes(result), result.signature());
}

}  // namespace gridbench
