#include "bench/cluster/load_session.h"

#include <iostream>

#include "absl/time/clock.h"
#include "common/canonical_result.h"
#include "common/grpc_status.h"

namespace gridbench::bench {

using gridbench::v1::CoordinatorMessage;
using gridbench::v1::WorkerMessage;

LoadSession::LoadSession(gridbench::v1::WorkerGateway::Stub* stub, std::string worker_id,
                         SigningKey key, std::string payload, LoadCounters* counters)
    : worker_id_(std::move(worker_id)),
      key_(std::move(key)),
      payload_(std::move(payload)),
      counters_(counters) {
  stub->async()->Session(&context_, this);
}

void LoadSession::Start() {
  WorkerMessage hello;
  hello.mutable_hello()->set_worker_id(worker_id_);
  hello.mutable_hello()->mutable_hardware()->add_backends("blas");
  hello.mutable_hello()->set_agent_version("result_load");
  Send(std::move(hello));
  StartRead(&incoming_);
  StartCall();
}

void LoadSession::Send(WorkerMessage message) {
  absl::MutexLock lock(&mu_);
  if (writes_done_) return;
  outbox_.push_back(std::move(message));
  if (!writing_) {
    writing_ = true;
    StartWrite(&outbox_.front());
  }
}

void LoadSession::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  outbox_.pop_front();
  writing_ = false;
  if (!ok) return;
  if (!outbox_.empty()) {
    writing_ = true;
    StartWrite(&outbox_.front());
  } else if (writes_done_) {
    StartWritesDone();
  }
}

void LoadSession::OnReadDone(bool ok) {
  if (!ok) return;
  Handle(incoming_);
  StartRead(&incoming_);
}

void LoadSession::Handle(const CoordinatorMessage& message) {
  if (message.has_challenge()) {
    WorkerMessage proof;
    proof.mutable_challenge_response()->set_signature(
        Sign(key_, SessionProofBytes(worker_id_, message.challenge().nonce())));
    Send(std::move(proof));
  } else if (message.has_accepted()) {
    accepted_ = true;
  } else if (message.has_assignment()) {
    const auto& a = message.assignment();
    WorkerMessage out;
    auto* r = out.mutable_result();
    r->set_worker_id(worker_id_);
    r->set_task_id(a.task_id());
    r->set_attempt_id(a.attempt_id());
    r->set_lease_id(a.lease_id());
    r->set_sequence(++sequence_);
    r->set_payload(payload_);
    r->set_key_id(KeyId(key_.public_key));
    r->set_signature(Sign(key_, CanonicalResultBytes(*r)));
    const int64_t now = absl::GetCurrentTimeNanos();
    sent_nanos_[sequence_] = now;
    int64_t zero = 0;
    counters_->first_send_nanos.compare_exchange_strong(zero, now);
    counters_->results_sent++;
    Send(std::move(out));
  } else if (message.has_ack()) {
    if (!message.ack().accepted() && counters_->results_refused++ == 0) {
      std::cerr << "result_load: first refusal: " << message.ack().error() << "\n";
    }
    const int64_t now = absl::GetCurrentTimeNanos();
    auto sent = sent_nanos_.find(message.ack().sequence());
    if (message.ack().accepted()) {
      counters_->results_accepted++;
      if (sent != sent_nanos_.end()) ack_latency_nanos_.push_back(now - sent->second);
    }
    if (sent != sent_nanos_.end()) sent_nanos_.erase(sent);
    counters_->last_ack_nanos = now;
  }
}

void LoadSession::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!writes_done_) {
      writes_done_ = true;
      if (!writing_) StartWritesDone();
    }
  }
  context_.TryCancel();
  done_.WaitForNotification();
}

void LoadSession::OnDone(const grpc::Status& status) {
  {
    absl::MutexLock lock(&mu_);
    final_status_ = status;
  }
  done_.Notify();
}

absl::Status LoadSession::status() {
  absl::MutexLock lock(&mu_);
  return FromGrpcStatus(final_status_);
}

}  // namespace gridbench::bench
