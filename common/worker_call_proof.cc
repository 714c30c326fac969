#include "common/worker_call_proof.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace gridbench {

std::string WorkerCallProofBytes(std::string_view worker_id, std::string_view method,
                                 int64_t unix_seconds) {
  return absl::StrCat("gridbench worker call proof v1\n", std::string(worker_id), "\n",
                      std::string(method), "\n", unix_seconds);
}

void AddWorkerCallProof(grpc::ClientContext& context, const std::string& worker_id,
                        const SigningKey& key, std::string_view method) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  context.AddMetadata(kWorkerIdHeader, worker_id);
  context.AddMetadata(kWorkerTimeHeader, absl::StrCat(now));
  context.AddMetadata(kWorkerSignatureHeader,
                      ToHex(Sign(key, WorkerCallProofBytes(worker_id, method, now))));
}

}  // namespace gridbench
