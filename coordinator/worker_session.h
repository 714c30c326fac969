// WorkerSession: the coordinator's end of one worker's Session stream.
//
// A gRPC callback-API reactor: it reads one message at a time and keeps at
// most one write in flight, queueing the rest. States: waiting for Hello ->
// waiting for the signed challenge -> attached to the TaskScheduler. It
// never blocks in a reaction: signatures are checked inline (about 50 µs)
// and storing a result is handed to the CoordinatorStore, whose commit
// callback sends the acknowledgement through the scheduler. Shared: it is
// freed once OnDone has detached it from the scheduler and no flush the
// scheduler queued holds it any more.
#ifndef GRIDBENCH_COORDINATOR_WORKER_SESSION_H_
#define GRIDBENCH_COORDINATOR_WORKER_SESSION_H_

#include <deque>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "common/annotated_mutex.h"
#include "coordinator/task_scheduler.h"
#include "coordinator/worker_link.h"
#include "gridbench/v1/worker.pb.h"
#include "grpcpp/support/server_callback.h"

namespace gridbench::coordinator {

class WorkerSession final : public grpc::ServerBidiReactor<gridbench::v1::WorkerMessage,
                                                           gridbench::v1::CoordinatorMessage>,
                            public WorkerLink,
                            public std::enable_shared_from_this<WorkerSession> {
 public:
  // A new session, owned by itself until OnDone; the reactor to hand gRPC.
  static WorkerSession* Start(TaskScheduler* scheduler, CoordinatorStore* store,
                              const CoordinatorConfig* config, std::string peer);
  // Use Start.
  WorkerSession(TaskScheduler* scheduler, CoordinatorStore* store, const CoordinatorConfig* config,
                std::string peer);

  // WorkerLink.
  void Send(gridbench::v1::CoordinatorMessage message) override;
  void Close(absl::Status status) override;
  void Flush() override;

  // grpc::ServerBidiReactor.
  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnDone() override;

 private:
  enum class Phase { kAwaitHello, kAwaitProof, kAttached, kClosed };

  // Each returns a non-OK status to end the session with.
  absl::Status HandleHello(const gridbench::v1::Hello& hello);
  absl::Status HandleProof(const gridbench::v1::ChallengeResponse& proof);
  absl::Status HandleAttached(gridbench::v1::WorkerMessage& message);
  // Moves a result it accepts out of `signed_result` (the read buffer's)
  // into the store, rather than copying it.
  void HandleResult(gridbench::v1::SignedResult* signed_result);
  void Refuse(const gridbench::v1::SignedResult& result, const std::string& audit_kind,
              const std::string& why);
  void StartNextWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  TaskScheduler* const scheduler_;
  CoordinatorStore* const store_;
  const CoordinatorConfig* const config_;
  const std::string peer_;

  // Only touched by the read side (one read in flight at a time).
  gridbench::v1::WorkerMessage incoming_;
  Phase phase_ = Phase::kAwaitHello;
  gridbench::v1::Hello hello_;
  std::string nonce_;
  std::string public_key_;
  bool attached_ = false;
  std::shared_ptr<WorkerSession> self_;  // Set by Start, dropped in OnDone.

  StdMutex mu_;
  std::deque<gridbench::v1::CoordinatorMessage> outbox_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finish_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;  // OnDone has run.
  absl::Status finish_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_WORKER_SESSION_H_
