// RawWorker: the test's own worker, speaking the Session protocol message by
// message over a real stream, so tests can send what a correct worker never
// would: forged signatures, stale leases, replays.
#ifndef GRIDBENCH_TESTS_INTEGRATION_RAW_WORKER_H_
#define GRIDBENCH_TESTS_INTEGRATION_RAW_WORKER_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/crypto.h"
#include "grpcpp/client_context.h"
#include "gridbench/v1/worker.grpc.pb.h"

namespace gridbench::testing {

class RawWorker {
 public:
  explicit RawWorker(gridbench::v1::WorkerGateway::Stub* stub) : stub_(stub) {}

  absl::Status Enroll(const std::string& join_token, const std::string& name);
  // Opens a session and answers the challenge; OK once SessionAccepted came.
  absl::Status Connect(const std::map<std::string, std::string>& labels = {});
  // The next message from the coordinator; when the stream has ended, the
  // status the coordinator ended it with (NOT_FOUND if that was OK). After
  // that, the stream is finished: do not call Finish().
  absl::StatusOr<gridbench::v1::CoordinatorMessage> Read();
  // Reads until an assignment arrives.
  absl::StatusOr<gridbench::v1::Assignment> NextAssignment();
  // A correctly signed result for `assignment`.
  gridbench::v1::SignedResult SignedResultFor(const gridbench::v1::Assignment& assignment);
  absl::Status Send(const gridbench::v1::WorkerMessage& message);
  absl::Status SendResult(const gridbench::v1::SignedResult& result);
  // Reads until an ack arrives.
  absl::StatusOr<gridbench::v1::ResultAck> NextAck();
  // Closes the stream and returns the status the coordinator ended it with.
  absl::Status Finish();

  const std::string& worker_id() const { return worker_id_; }
  const SigningKey& key() const { return key_; }

 private:
  gridbench::v1::WorkerGateway::Stub* const stub_;
  SigningKey key_ = GenerateSigningKey();
  std::string worker_id_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReaderWriter<gridbench::v1::WorkerMessage,
                                           gridbench::v1::CoordinatorMessage>>
      stream_;
  uint64_t sequence_ = 0;
};

}  // namespace gridbench::testing

#endif  // GRIDBENCH_TESTS_INTEGRATION_RAW_WORKER_H_
