// The worker's end of one Session stream (proto/gridbench/v1/worker.proto):
// the handshake (Hello -> Challenge -> signed ChallengeResponse ->
// SessionAccepted), then messages both ways until the stream ends. A new
// object is made for every connection.
//
// Thread-safety: Write() and Cancel() may be called from any thread; Open(),
// Read() and Finish() from one thread (the reader), in that order.
#ifndef GRIDBENCH_WORKER_COORDINATOR_SESSION_H_
#define GRIDBENCH_WORKER_COORDINATOR_SESSION_H_

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/crypto.h"
#include "gridbench/v1/worker.grpc.pb.h"

namespace gridbench::worker {

class CoordinatorSession {
 public:
  explicit CoordinatorSession(gridbench::v1::WorkerGateway::StubInterface& stub);
  ~CoordinatorSession();

  // Opens the stream and runs the handshake, proving that this worker holds
  // `key`. On failure returns the stream's final status: UNAUTHENTICATED
  // (bad proof), PERMISSION_DENIED (revoked), NOT_FOUND (unknown worker id),
  // UNAVAILABLE (no coordinator), or DEADLINE_EXCEEDED when the coordinator
  // does not finish the handshake within `timeout`.
  absl::StatusOr<gridbench::v1::SessionAccepted> Open(const gridbench::v1::Hello& hello,
                                                      const SigningKey& key,
                                                      absl::Duration timeout);

  // Sends one message; false once the stream is broken or cancelled (the
  // reader then sees Read() fail).
  bool Write(const gridbench::v1::WorkerMessage& message);

  // Blocks for the next message; false when the stream has ended.
  bool Read(gridbench::v1::CoordinatorMessage* message);

  // Ends the stream from this side; a blocked Read() returns false.
  void Cancel();

  // The stream's final status, once Read() has returned false.
  absl::Status Finish();

 private:
  absl::Status Handshake(const gridbench::v1::Hello& hello, const SigningKey& key,
                         gridbench::v1::SessionAccepted& accepted);

  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReaderWriterInterface<gridbench::v1::WorkerMessage,
                                                    gridbench::v1::CoordinatorMessage>>
      stream_;             // Set by Open() before any other thread can see this object.
  bool finished_ = false;  // Reader thread only.

  absl::Mutex write_mu_;  // Serialises writes: gRPC allows one at a time.
  bool write_failed_ ABSL_GUARDED_BY(write_mu_) = false;
};

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_COORDINATOR_SESSION_H_
