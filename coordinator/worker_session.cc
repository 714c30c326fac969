#include "coordinator/worker_session.h"

#include "absl/strings/str_cat.h"
#include "common/canonical_result.h"
#include "common/crypto.h"
#include "common/grpc_status.h"
#include "spdlog/spdlog.h"

namespace gridbench::coordinator {

using gridbench::v1::CoordinatorMessage;

namespace {

// The acknowledgement of `result`; `error` says why when it is not accepted.
CoordinatorMessage AckFor(const gridbench::v1::SignedResult& result, bool accepted,
                          const std::string& error) {
  CoordinatorMessage ack;
  auto* a = ack.mutable_ack();
  a->set_task_id(result.task_id());
  a->set_attempt_id(result.attempt_id());
  a->set_sequence(result.sequence());
  a->set_accepted(accepted);
  if (!accepted) a->set_error(error);
  return ack;
}

}  // namespace

WorkerSession* WorkerSession::Start(TaskScheduler* scheduler, CoordinatorStore* store,
                                    const CoordinatorConfig* config, std::string peer) {
  auto session = std::make_shared<WorkerSession>(scheduler, store, config, std::move(peer));
  session->self_ = session;
  return session.get();
}

WorkerSession::WorkerSession(TaskScheduler* scheduler, CoordinatorStore* store,
                             const CoordinatorConfig* config, std::string peer)
    : scheduler_(scheduler), store_(store), config_(config), peer_(std::move(peer)) {
  StartRead(&incoming_);
}

void WorkerSession::Send(CoordinatorMessage message) {
  StdMutexLock lock(mu_);
  if (finish_requested_) return;
  outbox_.push_back(std::move(message));
}

void WorkerSession::Flush() {
  StdMutexLock lock(mu_);
  if (!writing_ && !done_) StartNextWriteLocked();
}

void WorkerSession::StartNextWriteLocked() {
  if (outbox_.empty()) {
    if (finish_requested_ && !finished_) {
      finished_ = true;
      Finish(ToGrpcStatus(finish_status_));
    }
    return;
  }
  writing_ = true;
  // With more queued behind it (an acknowledgement and the next assignment),
  // gRPC may hold this message back and send both in one write.
  grpc::WriteOptions options;
  if (outbox_.size() > 1) options.set_buffer_hint();
  StartWrite(&outbox_.front(), options);
}

void WorkerSession::OnWriteDone(bool ok) {
  StdMutexLock lock(mu_);
  writing_ = false;
  outbox_.pop_front();
  if (!ok) {
    // The stream is broken; nothing more can be written.
    outbox_.clear();
    finish_requested_ = true;
    finish_status_ = absl::UnavailableError("write to worker failed");
  }
  StartNextWriteLocked();
}

void WorkerSession::Close(absl::Status status) {
  StdMutexLock lock(mu_);
  if (finish_requested_) return;
  finish_requested_ = true;
  finish_status_ = std::move(status);
}

void WorkerSession::OnReadDone(bool ok) {
  if (!ok) {
    Close(absl::OkStatus());
    Flush();
    return;
  }
  absl::Status status;
  switch (phase_) {
    case Phase::kAwaitHello:
      status = incoming_.has_hello()
                   ? HandleHello(incoming_.hello())
                   : absl::FailedPreconditionError("the first message must be a Hello");
      break;
    case Phase::kAwaitProof:
      status = incoming_.has_challenge_response()
                   ? HandleProof(incoming_.challenge_response())
                   : absl::FailedPreconditionError("expected the signed challenge");
      break;
    case Phase::kAttached:
      status = HandleAttached(incoming_);
      break;
    case Phase::kClosed:
      return;
  }
  if (!status.ok()) {
    phase_ = Phase::kClosed;
    Close(status);
  }
  // What the handlers queued themselves: a challenge, an acceptance, a refusal.
  Flush();
  if (status.ok()) StartRead(&incoming_);
}

absl::Status WorkerSession::HandleHello(const gridbench::v1::Hello& hello) {
  absl::StatusOr<gridbench::v1::Worker> worker = scheduler_->WorkerForSession(hello.worker_id());
  if (!worker.ok()) {
    scheduler_->Audit("auth_failure", hello.worker_id(),
                      absl::StrCat("session refused: ", worker.status().message()), peer_);
    return worker.status();
  }
  hello_ = hello;
  public_key_ = worker->public_key();
  nonce_ = RandomBytes(32);
  phase_ = Phase::kAwaitProof;
  CoordinatorMessage challenge;
  challenge.mutable_challenge()->set_nonce(nonce_);
  Send(challenge);
  return absl::OkStatus();
}

absl::Status WorkerSession::HandleProof(const gridbench::v1::ChallengeResponse& proof) {
  const absl::Status verified = VerifySignature(
      public_key_, SessionProofBytes(hello_.worker_id(), nonce_), proof.signature());
  if (!verified.ok()) {
    scheduler_->Audit("auth_failure", hello_.worker_id(),
                      absl::StrCat("challenge signature refused: ", verified.message()), peer_);
    return absl::UnauthenticatedError("challenge signature does not verify");
  }
  CoordinatorMessage accepted;
  accepted.mutable_accepted()->set_heartbeat_interval_seconds(config_->heartbeat_interval_seconds);
  accepted.mutable_accepted()->set_lease_timeout_seconds(config_->lease_timeout_seconds);
  Send(accepted);
  phase_ = Phase::kAttached;
  attached_ = true;
  return scheduler_->AttachSession(hello_, shared_from_this());
}

absl::Status WorkerSession::HandleAttached(gridbench::v1::WorkerMessage& message) {
  const std::string& worker_id = hello_.worker_id();
  switch (message.body_case()) {
    case gridbench::v1::WorkerMessage::kHeartbeat:
      scheduler_->OnHeartbeat(worker_id, message.heartbeat());
      return absl::OkStatus();
    case gridbench::v1::WorkerMessage::kProgress:
      scheduler_->OnProgress(worker_id, message.progress());
      return absl::OkStatus();
    case gridbench::v1::WorkerMessage::kFailure:
      scheduler_->OnFailure(worker_id, message.failure());
      return absl::OkStatus();
    case gridbench::v1::WorkerMessage::kResult:
      HandleResult(message.mutable_result());
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected message (field ", message.body_case(), ") in an open session"));
  }
}

void WorkerSession::Refuse(const gridbench::v1::SignedResult& result, const std::string& audit_kind,
                           const std::string& why) {
  scheduler_->Audit(
      audit_kind, result.task_id(),
      absl::StrCat("worker ", hello_.worker_id(), " attempt ", result.attempt_id(), ": ", why),
      peer_);
  Send(AckFor(result, false, why));
}

void WorkerSession::HandleResult(gridbench::v1::SignedResult* signed_result) {
  const std::string& worker_id = hello_.worker_id();
  if (signed_result->worker_id() != worker_id) {
    return Refuse(*signed_result, "signature_refused", "result names another worker");
  }
  if (absl::Status s = VerifyResultSignature(*signed_result, public_key_); !s.ok()) {
    return Refuse(*signed_result, "signature_refused", std::string(s.message()));
  }
  gridbench::v1::StoredResult stored;
  stored.mutable_signed_()->Swap(signed_result);
  const gridbench::v1::SignedResult& result = stored.signed_();
  switch (scheduler_->CheckResult(worker_id, &stored)) {
    case ResultVerdict::kStale:
      return Refuse(result, "stale_result",
                    "stale lease: the attempt was given up or is not this worker's");
    case ResultVerdict::kAlreadyStored:
      return Refuse(result, "replayed_result",
                    "a result for this attempt is already stored; not stored again");
    case ResultVerdict::kStore:
      break;
  }
  // What the scheduler and the acknowledgement need, without the payload.
  gridbench::v1::SignedResult ids;
  ids.set_task_id(result.task_id());
  ids.set_attempt_id(result.attempt_id());
  ids.set_sequence(result.sequence());
  TaskScheduler* scheduler = scheduler_;
  store_->InsertResult(std::move(stored), [scheduler, worker_id, ids](absl::Status status) {
    // A copy that was already committed counts as stored: the worker may drop it.
    const bool stored_ok = status.ok() || absl::IsAlreadyExists(status);
    scheduler->OnResultStored(worker_id, ids, status,
                              AckFor(ids, stored_ok, std::string(status.message())));
  });
}

void WorkerSession::OnDone() {
  {
    // gRPC forbids writes from here on; a flush queued before may come later.
    StdMutexLock lock(mu_);
    done_ = true;
  }
  if (attached_) scheduler_->DetachSession(hello_.worker_id(), this);
  // May free this session: nothing below may touch it.
  std::shared_ptr<WorkerSession> self = std::move(self_);
}

}  // namespace gridbench::coordinator
