// The worker agent: enrolls once, then keeps a Session with the coordinator
// open (reconnecting with jittered exponential backoff), runs the tasks it
// is assigned one at a time in child processes, and delivers their signed
// results through a durable outbox.
//
// Drain (SIGTERM or the coordinator's Drain): take no new work, let the
// running task finish (or, past drain_grace_seconds, cancel it and hand it
// back as a retryable AttemptFailure), wait briefly for the outbox to be
// acknowledged, then Run() returns OK.
#ifndef GRIDBENCH_WORKER_WORKER_AGENT_H_
#define GRIDBENCH_WORKER_WORKER_AGENT_H_

#include <memory>
#include <random>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "gridbench/v1/artifact.grpc.pb.h"
#include "gridbench/v1/worker.grpc.pb.h"
#include "worker/artifact_cache.h"
#include "worker/artifact_fetch.h"
#include "worker/coordinator_session.h"
#include "worker/enrollment.h"
#include "worker/outbox.h"
#include "worker/task_run.h"
#include "worker/worker_config.h"

namespace gridbench::worker {

struct AgentOptions {
  WorkerConfig config;
  std::string worker_executable;  // The gridbench-worker binary, for task children.
  gridbench::v1::HardwareProfile hardware;
  std::string agent_version;
};

// Thread-safety: Run() is called once, from one thread; Drain() from any.
class WorkerAgent {
 public:
  // Loads the identity and outbox from config.state_dir (creating them).
  static absl::StatusOr<std::unique_ptr<WorkerAgent>> Create(
      AgentOptions options, std::shared_ptr<grpc::ChannelInterface> channel);
  ~WorkerAgent();

  // Serves until drained (OK) or until the coordinator refuses this worker
  // for good: PERMISSION_DENIED (revoked), UNAUTHENTICATED (key or token
  // refused), NOT_FOUND / FAILED_PRECONDITION (unknown and no join token).
  absl::Status Run();

  // Starts a drain; idempotent.
  void Drain();

 private:
  WorkerAgent(AgentOptions options, std::shared_ptr<grpc::ChannelInterface> channel,
              WorkerIdentity identity, std::unique_ptr<Outbox> outbox);

  // Opens the artifact cache (<state_dir>/artifacts) and the attempts'
  // output directories (<state_dir>/work).
  absl::Status OpenArtifacts();
  absl::Status EnsureEnrolled();
  // One connection: handshake, then messages until it ends; its end status.
  absl::Status Serve(bool& accepted);
  void ResendOutbox(CoordinatorSession& session);
  void Handle(const gridbench::v1::CoordinatorMessage& message);
  void HandleAssignment(const gridbench::v1::Assignment& assignment);
  void HandleAck(const gridbench::v1::ResultAck& ack);
  void HeartbeatLoop(CoordinatorSession* session, absl::Duration interval);
  void RunTask(std::shared_ptr<TaskRun> run);
  // How artifact calls authenticate: a proof signed with this worker's key.
  ArtifactCallOptions ArtifactCalls();
  // Fetches the inputs, runs the child, uploads the outputs.
  TaskRun::Outcome RunWithArtifacts(TaskRun& run);
  // Signs the payload and stores it in the outbox; returns the result
  // message to send, or a failure message when it cannot be stored.
  gridbench::v1::WorkerMessage Seal(gridbench::v1::ResultPayload payload,
                                    const gridbench::v1::Assignment& a);
  void DrainLoop();
  // Sends on the current session if there is one; false if not sent.
  bool Send(const gridbench::v1::WorkerMessage& message);
  std::string WorkerId();
  bool Stopping();
  gridbench::v1::WorkerMessage HeartbeatMessage();
  gridbench::v1::WorkerMessage FailureMessage(const gridbench::v1::Assignment& a,
                                              std::string reason);
  gridbench::v1::Hello HelloMessage();
  // Waits out one reconnect delay; returns early when stopping.
  void Backoff(int failures);

  // Constant after construction.
  const AgentOptions options_;
  const std::unique_ptr<gridbench::v1::WorkerGateway::StubInterface> stub_;
  const std::unique_ptr<gridbench::v1::Artifacts::StubInterface> artifact_stub_;
  const std::string hardware_sha256_;
  const std::unique_ptr<Outbox> outbox_;
  const SigningKey key_;
  // Set by Create(), constant after.
  std::unique_ptr<ArtifactCache> artifact_cache_;
  std::unique_ptr<TaskArtifacts> task_artifacts_;

  absl::Mutex mu_;
  std::string worker_id_ ABSL_GUARDED_BY(mu_);  // Empty until enrolled.
  std::shared_ptr<CoordinatorSession> session_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<TaskRun> running_ ABSL_GUARDED_BY(mu_);
  int final_sends_ ABSL_GUARDED_BY(mu_) = 0;  // Task threads sending their last message.
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::mt19937_64 jitter_ ABSL_GUARDED_BY(mu_);

  // Owned by the Run() thread (task) and by Drain() (drain); joined in the
  // destructor.
  std::thread task_thread_;
  std::thread drain_thread_;
};

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_WORKER_AGENT_H_
