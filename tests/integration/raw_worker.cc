#include "tests/integration/raw_worker.h"

#include "absl/strings/str_cat.h"
#include "common/canonical_result.h"
#include "common/grpc_channel.h"
#include "common/grpc_status.h"

namespace gridbench::testing {

absl::Status RawWorker::Enroll(const std::string& join_token, const std::string& name) {
  grpc::ClientContext context;
  context.AddMetadata(kAuthorizationHeader, kBearerPrefix + join_token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  gridbench::v1::EnrollRequest request;
  request.set_name(name);
  request.set_public_key(key_.public_key);
  request.mutable_hardware()->add_backends("blas");
  gridbench::v1::EnrollResponse response;
  grpc::Status status = stub_->Enroll(&context, request, &response);
  worker_id_ = response.worker_id();
  return FromGrpcStatus(status);
}

absl::Status RawWorker::Connect(const std::map<std::string, std::string>& labels) {
  context_ = std::make_unique<grpc::ClientContext>();
  context_->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  stream_ = stub_->Session(context_.get());
  gridbench::v1::WorkerMessage hello;
  hello.mutable_hello()->set_worker_id(worker_id_);
  hello.mutable_hello()->mutable_hardware()->add_backends("blas");
  for (const auto& [k, v] : labels) (*hello.mutable_hello()->mutable_labels())[k] = v;
  if (absl::Status s = Send(hello); !s.ok()) return s;
  absl::StatusOr<gridbench::v1::CoordinatorMessage> challenge = Read();
  if (!challenge.ok()) return challenge.status();
  if (!challenge->has_challenge()) return absl::InternalError("expected a challenge");
  gridbench::v1::WorkerMessage proof;
  proof.mutable_challenge_response()->set_signature(
      Sign(key_, SessionProofBytes(worker_id_, challenge->challenge().nonce())));
  if (absl::Status s = Send(proof); !s.ok()) return s;
  absl::StatusOr<gridbench::v1::CoordinatorMessage> accepted = Read();
  if (!accepted.ok()) return accepted.status();
  if (!accepted->has_accepted()) return absl::InternalError("expected SessionAccepted");
  return absl::OkStatus();
}

absl::StatusOr<gridbench::v1::CoordinatorMessage> RawWorker::Read() {
  gridbench::v1::CoordinatorMessage message;
  if (!stream_->Read(&message)) {
    const absl::Status ended = FromGrpcStatus(stream_->Finish());
    return ended.ok() ? absl::NotFoundError("stream ended") : ended;
  }
  return message;
}

absl::StatusOr<gridbench::v1::Assignment> RawWorker::NextAssignment() {
  while (true) {
    absl::StatusOr<gridbench::v1::CoordinatorMessage> m = Read();
    if (!m.ok()) return m.status();
    if (m->has_assignment()) return m->assignment();
  }
}

absl::StatusOr<gridbench::v1::ResultAck> RawWorker::NextAck() {
  while (true) {
    absl::StatusOr<gridbench::v1::CoordinatorMessage> m = Read();
    if (!m.ok()) return m.status();
    if (m->has_ack()) return m->ack();
  }
}

gridbench::v1::SignedResult RawWorker::SignedResultFor(const gridbench::v1::Assignment& a) {
  gridbench::v1::ResultPayload payload;
  payload.set_kind(a.spec().kind());
  payload.add_samples_seconds(0.001);
  payload.set_checksum("raw-worker");
  gridbench::v1::SignedResult r;
  r.set_worker_id(worker_id_);
  r.set_task_id(a.task_id());
  r.set_attempt_id(a.attempt_id());
  r.set_lease_id(a.lease_id());
  r.set_sequence(++sequence_);
  r.set_payload(payload.SerializeAsString());
  r.set_key_id(KeyId(key_.public_key));
  r.set_signature(Sign(key_, CanonicalResultBytes(r)));
  return r;
}

absl::Status RawWorker::Send(const gridbench::v1::WorkerMessage& message) {
  if (!stream_->Write(message)) return absl::UnavailableError("write failed: stream closed");
  return absl::OkStatus();
}

absl::Status RawWorker::SendResult(const gridbench::v1::SignedResult& result) {
  gridbench::v1::WorkerMessage message;
  *message.mutable_result() = result;
  return Send(message);
}

absl::Status RawWorker::Finish() {
  stream_->WritesDone();
  // Reading to the end of the stream is what lets Finish return.
  gridbench::v1::CoordinatorMessage ignored;
  while (stream_->Read(&ignored)) {
  }
  return FromGrpcStatus(stream_->Finish());
}

}  // namespace gridbench::testing
