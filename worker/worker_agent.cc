#include "worker/worker_agent.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/canonical_result.h"
#include "common/crypto.h"
#include "common/worker_call_proof.h"
#include "spdlog/spdlog.h"
#include "worker/peak_cache.h"
#include "worker/peak_fraction.h"
#include "worker/task_child.h"

namespace gridbench::worker {
namespace {

constexpr absl::Duration kHandshakeTimeout = absl::Seconds(30);
// Reconnect delays: full jitter over 0.5 s doubling up to 30 s.
constexpr double kInitialBackoffSeconds = 0.5;
constexpr double kMaxBackoffSeconds = 30;
// How long a drain waits for the coordinator to acknowledge the outbox.
constexpr absl::Duration kFlushTimeout = absl::Seconds(10);
constexpr absl::Duration kDefaultHeartbeat = absl::Seconds(5);

// The statuses after which reconnecting cannot help.
bool IsFinal(const absl::Status& s) {
  return absl::IsPermissionDenied(s) || absl::IsUnauthenticated(s) ||
         absl::IsFailedPrecondition(s) || absl::IsInvalidArgument(s);
}

}  // namespace

absl::StatusOr<std::unique_ptr<WorkerAgent>> WorkerAgent::Create(
    AgentOptions options, std::shared_ptr<grpc::ChannelInterface> channel) {
  absl::StatusOr<WorkerIdentity> identity = LoadIdentity(options.config.state_dir);
  if (!identity.ok()) return identity.status();
  absl::StatusOr<std::unique_ptr<Outbox>> outbox = Outbox::Open(options.config.state_dir);
  if (!outbox.ok()) return outbox.status();
  std::unique_ptr<WorkerAgent> agent(new WorkerAgent(std::move(options), std::move(channel),
                                                     std::move(*identity), std::move(*outbox)));
  if (absl::Status s = agent->OpenArtifacts(); !s.ok()) return s;
  return agent;
}

absl::Status WorkerAgent::OpenArtifacts() {
  const std::string& state_dir = options_.config.state_dir;
  absl::StatusOr<std::unique_ptr<ArtifactCache>> cache = ArtifactCache::Open(
      state_dir + "/artifacts", options_.config.artifact_cache_bytes,
      [this](const std::string& id, const std::string& dest) -> absl::Status {
        absl::StatusOr<DownloadStats> stats =
            DownloadArtifact(*artifact_stub_, ArtifactCalls(), id, dest);
        if (!stats.ok()) return stats.status();
        spdlog::info(
            "fetched artifact {} ({} bytes{})", id, stats->size_bytes,
            stats->resumed_from > 0 ? absl::StrCat(", resumed after ", stats->resumed_from) : "");
        return absl::OkStatus();
      });
  if (!cache.ok()) return cache.status();
  artifact_cache_ = *std::move(cache);
  absl::StatusOr<std::unique_ptr<TaskArtifacts>> task_artifacts = TaskArtifacts::Open(
      artifact_cache_.get(), artifact_stub_.get(), state_dir + "/work", ArtifactCalls());
  if (!task_artifacts.ok()) return task_artifacts.status();
  task_artifacts_ = *std::move(task_artifacts);
  return absl::OkStatus();
}

ArtifactCallOptions WorkerAgent::ArtifactCalls() {
  ArtifactCallOptions options;
  options.prepare = [this](grpc::ClientContext& context, const char* method) {
    AddWorkerCallProof(context, WorkerId(), key_, method);
  };
  return options;
}

WorkerAgent::WorkerAgent(AgentOptions options, std::shared_ptr<grpc::ChannelInterface> channel,
                         WorkerIdentity identity, std::unique_ptr<Outbox> outbox)
    : options_(std::move(options)),
      stub_(gridbench::v1::WorkerGateway::NewStub(channel)),
      artifact_stub_(gridbench::v1::Artifacts::NewStub(channel)),
      hardware_sha256_(Sha256Hex(options_.hardware.SerializeAsString())),
      outbox_(std::move(outbox)),
      key_(std::move(identity.key)),
      worker_id_(std::move(identity.worker_id)),
      jitter_(std::random_device{}()) {}

WorkerAgent::~WorkerAgent() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    if (running_ != nullptr) running_->Cancel("the worker agent is stopping", true);
    if (session_ != nullptr) session_->Cancel();
  }
  if (task_thread_.joinable()) task_thread_.join();
  if (drain_thread_.joinable()) drain_thread_.join();
}

std::string WorkerAgent::WorkerId() {
  absl::MutexLock lock(&mu_);
  return worker_id_;
}

absl::Status WorkerAgent::Run() {
  int failures = 0;
  while (!Stopping()) {
    absl::Status status = EnsureEnrolled();
    if (!status.ok() && !absl::IsUnavailable(status) && !absl::IsDeadlineExceeded(status)) {
      return status;  // E.g. a refused join token: retrying cannot help.
    }
    if (status.ok()) {
      bool accepted = false;
      status = Serve(accepted);
      if (accepted) failures = 0;
      if (Stopping()) break;
      if (absl::IsNotFound(status) && !options_.config.join_token.empty()) {
        spdlog::warn("the coordinator does not know worker {}: enrolling again", WorkerId());
        if (absl::Status s = ForgetWorkerId(options_.config.state_dir); !s.ok()) return s;
        absl::MutexLock lock(&mu_);
        worker_id_.clear();
        continue;
      }
      if (absl::IsNotFound(status) || IsFinal(status)) return status;
    }
    spdlog::warn("no session with {}: {}; reconnecting", options_.config.coordinator,
                 status.ToString());
    Backoff(++failures);
  }
  return absl::OkStatus();
}

bool WorkerAgent::Stopping() {
  absl::MutexLock lock(&mu_);
  return stop_;
}

absl::Status WorkerAgent::EnsureEnrolled() {
  if (!WorkerId().empty()) return absl::OkStatus();
  const EnrollInfo info{options_.config.name, options_.config.labels, options_.hardware};
  absl::StatusOr<std::string> id =
      Enroll(*stub_, options_.config.state_dir, options_.config.join_token, key_, info);
  if (!id.ok()) return id.status();
  spdlog::info("enrolled as worker {} (key {})", *id, KeyId(key_.public_key));
  absl::MutexLock lock(&mu_);
  worker_id_ = *id;
  return absl::OkStatus();
}

void WorkerAgent::Backoff(int failures) {
  absl::MutexLock lock(&mu_);
  const double cap = std::min(kMaxBackoffSeconds,
                              kInitialBackoffSeconds * std::ldexp(1.0, std::min(failures, 20) - 1));
  const double delay = std::uniform_real_distribution<double>(0, cap)(jitter_);
  const bool* stop = &stop_;
  mu_.AwaitWithTimeout(absl::Condition(stop), absl::Seconds(delay));
}

absl::Status WorkerAgent::Serve(bool& accepted) {
  auto session = std::make_shared<CoordinatorSession>(*stub_);
  absl::StatusOr<gridbench::v1::SessionAccepted> welcome =
      session->Open(HelloMessage(), key_, kHandshakeTimeout);
  if (!welcome.ok()) return welcome.status();
  accepted = true;
  {
    absl::MutexLock lock(&mu_);
    if (stop_) session->Cancel();
    session_ = session;
  }
  spdlog::info("session open with {} as worker {}", options_.config.coordinator, WorkerId());
  // After session_ is set, so a result stored concurrently is either listed
  // here or sent by its task thread (a duplicate send is harmless).
  ResendOutbox(*session);
  session->Write(HeartbeatMessage());
  const absl::Duration interval = welcome->heartbeat_interval_seconds() > 0
                                      ? absl::Seconds(welcome->heartbeat_interval_seconds())
                                      : kDefaultHeartbeat;
  std::thread heartbeat(&WorkerAgent::HeartbeatLoop, this, session.get(), interval);
  gridbench::v1::CoordinatorMessage message;
  while (session->Read(&message)) Handle(message);
  {
    absl::MutexLock lock(&mu_);
    session_.reset();
  }
  heartbeat.join();
  return session->Finish();
}

void WorkerAgent::ResendOutbox(CoordinatorSession& session) {
  absl::StatusOr<std::vector<gridbench::v1::SignedResult>> stored = outbox_->List();
  if (!stored.ok()) {
    spdlog::error("cannot read the outbox: {}", stored.status().ToString());
    return;
  }
  for (const gridbench::v1::SignedResult& result : *stored) {
    gridbench::v1::WorkerMessage m;
    *m.mutable_result() = result;
    if (!session.Write(m)) return;
  }
  if (!stored->empty()) spdlog::info("re-sent {} unacknowledged results", stored->size());
}

void WorkerAgent::HeartbeatLoop(CoordinatorSession* session, absl::Duration interval) {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto ended = [this, session]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stop_ || session_.get() != session;
      };
      if (mu_.AwaitWithTimeout(absl::Condition(&ended), interval)) return;
    }
    if (!session->Write(HeartbeatMessage())) return;
  }
}

void WorkerAgent::Handle(const gridbench::v1::CoordinatorMessage& message) {
  switch (message.body_case()) {
    case gridbench::v1::CoordinatorMessage::kAssignment:
      return HandleAssignment(message.assignment());
    case gridbench::v1::CoordinatorMessage::kCancel: {
      absl::MutexLock lock(&mu_);
      if (running_ != nullptr &&
          running_->assignment().attempt_id() == message.cancel().attempt_id()) {
        running_->Cancel(message.cancel().reason(), false);
      }
      return;
    }
    case gridbench::v1::CoordinatorMessage::kDrain:
      spdlog::info("the coordinator asked this worker to drain");
      return Drain();
    case gridbench::v1::CoordinatorMessage::kAck:
      return HandleAck(message.ack());
    default:
      spdlog::warn("ignoring an unexpected message from the coordinator (case {})",
                   static_cast<int>(message.body_case()));
  }
}

void WorkerAgent::HandleAssignment(const gridbench::v1::Assignment& assignment) {
  std::shared_ptr<TaskRun> run;
  std::string refusal;
  {
    absl::MutexLock lock(&mu_);
    if (draining_) {
      refusal = "worker is draining";
    } else if (running_ != nullptr) {
      refusal =
          absl::StrCat("worker is already running attempt ", running_->assignment().attempt_id());
    } else {
      run = std::make_shared<TaskRun>(TaskChildCommand(options_.worker_executable, kRunTaskFlag),
                                      assignment);
      running_ = run;
    }
  }
  if (run == nullptr) {
    Send(FailureMessage(assignment, refusal));
    return;
  }
  spdlog::info("running task {} attempt {} ({})", assignment.task_id(), assignment.attempt_id(),
               assignment.spec().kind());
  // The previous task thread has cleared running_; at most its last write
  // is still in progress.
  if (task_thread_.joinable()) task_thread_.join();
  task_thread_ = std::thread(&WorkerAgent::RunTask, this, std::move(run));
}

void WorkerAgent::HandleAck(const gridbench::v1::ResultAck& ack) {
  if (!ack.accepted()) {
    spdlog::error("the coordinator refused result {} of attempt {} for good: {}", ack.sequence(),
                  ack.attempt_id(), ack.error());
  }
  if (absl::Status s = outbox_->Remove(ack.sequence()); !s.ok()) {
    spdlog::error("cannot remove acknowledged result {}: {}", ack.sequence(), s.ToString());
  }
  // Wakes a drain waiting for the outbox to empty (conditions are checked
  // when mu_ is released).
  absl::MutexLock lock(&mu_);
}

TaskRun::Outcome WorkerAgent::RunWithArtifacts(TaskRun& run) {
  const gridbench::v1::Assignment& a = run.assignment();
  auto failure = [this, &a](const absl::Status& status, bool retryable) {
    gridbench::v1::AttemptFailure f = FailureMessage(a, std::string(status.message())).failure();
    f.set_retryable(retryable);
    return f;
  };
  absl::StatusOr<std::unique_ptr<AttemptArtifacts>> artifacts = task_artifacts_->Prepare(a);
  // An artifact the coordinator does not have will not appear by retrying.
  if (!artifacts.ok()) return failure(artifacts.status(), !absl::IsNotFound(artifacts.status()));
  TaskRun::Outcome outcome =
      run.Run((*artifacts)->inputs(), [this](const gridbench::v1::Progress& p) {
        gridbench::v1::WorkerMessage m;
        *m.mutable_progress() = p;
        Send(m);
      });
  if (auto* payload = std::get_if<gridbench::v1::ResultPayload>(&outcome)) {
    if (absl::Status s = task_artifacts_->Deliver(**artifacts, *payload); !s.ok()) {
      return failure(s, true);
    }
  }
  return outcome;
}

void WorkerAgent::RunTask(std::shared_ptr<TaskRun> run) {
  TaskRun::Outcome outcome = RunWithArtifacts(*run);
  const gridbench::v1::Assignment& a = run->assignment();
  gridbench::v1::WorkerMessage final_message;
  if (auto* payload = std::get_if<gridbench::v1::ResultPayload>(&outcome)) {
    final_message = Seal(std::move(*payload), a);
  } else {
    *final_message.mutable_failure() = std::get<gridbench::v1::AttemptFailure>(outcome);
  }
  if (final_message.has_failure()) {
    spdlog::warn("attempt {} failed: {}", a.attempt_id(), final_message.failure().reason());
  }
  // The coordinator may assign the next task as soon as it reads this
  // message, so this worker must already count as free when it is sent.
  std::shared_ptr<CoordinatorSession> session;
  {
    absl::MutexLock lock(&mu_);
    running_.reset();
    ++final_sends_;
    session = session_;
  }
  if (session == nullptr || !session->Write(final_message)) {
    spdlog::warn("not connected: attempt {} {}", a.attempt_id(),
                 final_message.has_result() ? "stays in the outbox until reconnected"
                                            : "will be timed out by the coordinator");
  }
  absl::MutexLock lock(&mu_);
  --final_sends_;
}

gridbench::v1::WorkerMessage WorkerAgent::Seal(gridbench::v1::ResultPayload payload,
                                               const gridbench::v1::Assignment& a) {
  AddFractionOfPeak(options_.hardware, payload);
  if (absl::Status s = CachePeaksFromResult(options_.hardware, payload, options_.config.state_dir);
      !s.ok()) {
    spdlog::warn("peaks of attempt {} not cached: {}", a.attempt_id(), s.ToString());
  }
  payload.set_hardware_sha256(hardware_sha256_);
  absl::StatusOr<uint64_t> sequence = outbox_->NextSequence();
  if (!sequence.ok()) {
    return FailureMessage(a,
                          absl::StrCat("cannot store the result: ", sequence.status().message()));
  }
  gridbench::v1::WorkerMessage m;
  gridbench::v1::SignedResult& r = *m.mutable_result();
  r.set_worker_id(WorkerId());
  r.set_task_id(a.task_id());
  r.set_attempt_id(a.attempt_id());
  r.set_lease_id(a.lease_id());
  r.set_sequence(*sequence);
  r.set_payload(payload.SerializeAsString());
  r.set_key_id(KeyId(key_.public_key));
  r.set_signature(Sign(key_, CanonicalResultBytes(r)));
  if (absl::Status s = outbox_->Put(r); !s.ok()) {
    return FailureMessage(a, absl::StrCat("cannot store the result: ", s.message()));
  }
  spdlog::info("attempt {} done: result {} stored", a.attempt_id(), r.sequence());
  return m;
}

void WorkerAgent::Drain() {
  absl::MutexLock lock(&mu_);
  if (draining_) return;
  draining_ = true;
  drain_thread_ = std::thread(&WorkerAgent::DrainLoop, this);
}

void WorkerAgent::DrainLoop() {
  Send(HeartbeatMessage());  // Tells the coordinator to stop assigning work.
  const absl::Duration grace = absl::Seconds(options_.config.drain_grace_seconds);
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return running_ == nullptr && final_sends_ == 0;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&idle), grace)) {
    spdlog::warn("drain: the running task did not finish within {}; handing it back",
                 absl::FormatDuration(grace));
    running_->Cancel("the worker is shutting down", true);
    mu_.Await(absl::Condition(&idle));
  }
  auto flushed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return session_ == nullptr || outbox_->Size() == 0;
  };
  if (!mu_.AwaitWithTimeout(absl::Condition(&flushed), kFlushTimeout)) {
    spdlog::warn("drain: results still unacknowledged after {}; they stay on disk",
                 absl::FormatDuration(kFlushTimeout));
  }
  stop_ = true;
  if (session_ != nullptr) session_->Cancel();
}

bool WorkerAgent::Send(const gridbench::v1::WorkerMessage& message) {
  std::shared_ptr<CoordinatorSession> session;
  {
    absl::MutexLock lock(&mu_);
    session = session_;
  }
  return session != nullptr && session->Write(message);
}

gridbench::v1::WorkerMessage WorkerAgent::HeartbeatMessage() {
  gridbench::v1::WorkerMessage m;
  double load[1] = {0};
  if (getloadavg(load, 1) == 1) m.mutable_heartbeat()->set_load_average(load[0]);
  absl::MutexLock lock(&mu_);
  m.mutable_heartbeat()->set_running_tasks(running_ != nullptr ? 1 : 0);
  m.mutable_heartbeat()->set_draining(draining_);
  return m;
}

gridbench::v1::WorkerMessage WorkerAgent::FailureMessage(const gridbench::v1::Assignment& a,
                                                         std::string reason) {
  gridbench::v1::WorkerMessage m;
  gridbench::v1::AttemptFailure& f = *m.mutable_failure();
  f.set_task_id(a.task_id());
  f.set_attempt_id(a.attempt_id());
  f.set_lease_id(a.lease_id());
  f.set_reason(std::move(reason));
  f.set_exit_status(-1);
  f.set_retryable(true);
  return m;
}

gridbench::v1::Hello WorkerAgent::HelloMessage() {
  gridbench::v1::Hello hello;
  hello.set_worker_id(WorkerId());
  *hello.mutable_hardware() = options_.hardware;
  hello.mutable_labels()->insert(options_.config.labels.begin(), options_.config.labels.end());
  hello.set_agent_version(options_.agent_version);
  absl::StatusOr<std::vector<gridbench::v1::SignedResult>> stored = outbox_->List();
  if (stored.ok()) {
    for (const auto& r : *stored) hello.add_live_attempt_ids(r.attempt_id());
  }
  absl::MutexLock lock(&mu_);
  if (running_ != nullptr) hello.add_live_attempt_ids(running_->assignment().attempt_id());
  return hello;
}

}  // namespace gridbench::worker
