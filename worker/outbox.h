// The worker's durable store of signed results that the coordinator has not
// acknowledged yet, and the per-worker result sequence counter.
//
// Layout under `dir`: "sequence" holds the last sequence number handed out
// (decimal); "outbox/<sequence>.result" holds one serialized SignedResult.
// A result is written (and fsynced) before it is sent and removed only once
// the coordinator acknowledges it, so a crash or restart never loses one;
// after a restart everything still listed is sent again. Sequence numbers
// start at 1 and never repeat, even across restarts.
//
// Thread-safe.
#ifndef GRIDBENCH_WORKER_OUTBOX_H_
#define GRIDBENCH_WORKER_OUTBOX_H_

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "gridbench/v1/common.pb.h"

namespace gridbench::worker {

class Outbox {
 public:
  // Opens (creating if needed) the outbox under `dir`. INTERNAL when the
  // directory cannot be created; DATA_LOSS when the counter file is corrupt.
  static absl::StatusOr<std::unique_ptr<Outbox>> Open(const std::string& dir);

  // Reserves the next sequence number and persists it before returning, so
  // it is never handed out again.
  absl::StatusOr<uint64_t> NextSequence();

  // Durably stores `result` under its sequence number (which must come from
  // NextSequence()).
  absl::Status Put(const gridbench::v1::SignedResult& result);

  // Forgets the result with this sequence number; unknown numbers are not an
  // error (an ack may arrive twice).
  absl::Status Remove(uint64_t sequence);

  // How many results are stored (from memory; no disk access).
  size_t Size() const;

  // Every stored result, in sequence order. A file that does not parse is
  // DATA_LOSS naming it.
  absl::StatusOr<std::vector<gridbench::v1::SignedResult>> List() const;

 private:
  Outbox(std::string dir, uint64_t last_sequence);
  std::string ResultPath(uint64_t sequence) const;

  // Constant after construction.
  const std::string dir_;
  const std::string results_dir_;

  mutable absl::Mutex mu_;
  uint64_t last_sequence_ ABSL_GUARDED_BY(mu_);
  std::set<uint64_t> stored_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_OUTBOX_H_
