#include "worker/coordinator_session.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/canonical_result.h"
#include "common/grpc_status.h"

namespace gridbench::worker {

CoordinatorSession::CoordinatorSession(gridbench::v1::WorkerGateway::StubInterface& stub)
    : stream_(stub.Session(&ctx_)) {}

CoordinatorSession::~CoordinatorSession() {
  if (!finished_) {
    ctx_.TryCancel();
    (void)Finish();
  }
}

absl::StatusOr<gridbench::v1::SessionAccepted> CoordinatorSession::Open(
    const gridbench::v1::Hello& hello, const SigningKey& key, absl::Duration timeout) {
  // The stream itself has no deadline (it lives as long as the worker), so
  // a watchdog bounds the handshake alone.
  absl::Notification done;
  bool timed_out = false;
  std::thread watchdog([&] {
    if (!done.WaitForNotificationWithTimeout(timeout)) {
      timed_out = true;
      ctx_.TryCancel();
    }
  });
  gridbench::v1::SessionAccepted accepted;
  absl::Status status = Handshake(hello, key, accepted);
  done.Notify();
  watchdog.join();
  if (timed_out) {
    (void)Finish();
    return absl::DeadlineExceededError(
        absl::StrCat("the coordinator did not complete the session handshake within ",
                     absl::FormatDuration(timeout)));
  }
  if (!status.ok()) return status;
  return accepted;
}

absl::Status CoordinatorSession::Handshake(const gridbench::v1::Hello& hello, const SigningKey& key,
                                           gridbench::v1::SessionAccepted& accepted) {
  auto fail = [this](absl::string_view during) -> absl::Status {
    absl::Status s = Finish();
    if (!s.ok()) return s;
    return absl::UnavailableError(absl::StrCat("the coordinator ended the session ", during));
  };
  gridbench::v1::WorkerMessage out;
  *out.mutable_hello() = hello;
  if (!Write(out)) return fail("before Hello was sent");
  gridbench::v1::CoordinatorMessage in;
  if (!Read(&in)) return fail("instead of sending a challenge");
  if (!in.has_challenge()) {
    ctx_.TryCancel();
    (void)Finish();
    return absl::InternalError(
        "the coordinator answered Hello with something other than a Challenge");
  }
  out.Clear();
  out.mutable_challenge_response()->set_signature(
      Sign(key, SessionProofBytes(hello.worker_id(), in.challenge().nonce())));
  if (!Write(out)) return fail("before the challenge response was sent");
  if (!Read(&in)) return fail("instead of accepting the challenge response");
  if (!in.has_accepted()) {
    ctx_.TryCancel();
    (void)Finish();
    return absl::InternalError(
        "the coordinator answered the challenge with something other than SessionAccepted");
  }
  accepted = in.accepted();
  return absl::OkStatus();
}

bool CoordinatorSession::Write(const gridbench::v1::WorkerMessage& message) {
  absl::MutexLock lock(&write_mu_);
  if (write_failed_) return false;
  if (!stream_->Write(message)) write_failed_ = true;
  return !write_failed_;
}

bool CoordinatorSession::Read(gridbench::v1::CoordinatorMessage* message) {
  return stream_->Read(message);
}

void CoordinatorSession::Cancel() { ctx_.TryCancel(); }

absl::Status CoordinatorSession::Finish() {
  if (finished_) return absl::FailedPreconditionError("session already finished");
  finished_ = true;
  // No write may overlap or follow the stream's Finish: task and heartbeat
  // threads can still hold this session.
  absl::MutexLock lock(&write_mu_);
  write_failed_ = true;
  // Drain what is left so Finish() does not wait on unread messages.
  gridbench::v1::CoordinatorMessage ignored;
  while (stream_->Read(&ignored)) {
  }
  return FromGrpcStatus(stream_->Finish());
}

}  // namespace gridbench::worker
