// CoordinatorServer: wires the store, scheduler, token authority and gRPC
// services together and runs them. Used by gridbench-coordinator's main and
// by tests that want a real coordinator in-process.
#ifndef GRIDBENCH_COORDINATOR_COORDINATOR_SERVER_H_
#define GRIDBENCH_COORDINATOR_COORDINATOR_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "coordinator/artifact_service.h"
#include "coordinator/artifact_store.h"
#include "coordinator/clock.h"
#include "coordinator/coordinator_config.h"
#include "coordinator/gridbench_service.h"
#include "coordinator/link_flusher.h"
#include "coordinator/store/coordinator_store.h"
#include "coordinator/task_scheduler.h"
#include "coordinator/token_authority.h"
#include "coordinator/worker_gateway_service.h"
#include "grpcpp/server.h"

namespace gridbench::coordinator {

class CoordinatorServer {
 public:
  // Opens the store, resumes from it, creates the first admin token if there
  // is none, and starts listening. Every failure names what was being set up.
  static absl::StatusOr<std::unique_ptr<CoordinatorServer>> Start(const CoordinatorConfig& config,
                                                                  Clock* clock = nullptr);
  ~CoordinatorServer();

  // The address the server is bound to, "host:port".
  const std::string& address() const { return address_; }
  TaskScheduler& scheduler() { return *scheduler_; }
  CoordinatorStore& store() { return *store_; }
  ArtifactStore& artifacts() { return *artifacts_; }

  // Stops accepting calls, ends open streams, commits what is queued.
  void Shutdown();

 private:
  explicit CoordinatorServer(const CoordinatorConfig& config, Clock* clock);
  absl::Status Init();
  void TickLoop();

  CoordinatorConfig config_;
  RealClock real_clock_;
  Clock* clock_;
  std::unique_ptr<CoordinatorStore> store_;
  std::unique_ptr<LinkFlusher> flusher_;  // Outlives the scheduler that uses it.
  std::unique_ptr<TaskScheduler> scheduler_;
  std::unique_ptr<TokenAuthority> tokens_;
  std::unique_ptr<GridbenchService> gridbench_service_;
  std::unique_ptr<WorkerGatewayService> worker_service_;
  std::unique_ptr<ArtifactStore> artifacts_;
  std::unique_ptr<ArtifactService> artifact_service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  absl::Notification stop_ticking_;
  std::thread ticker_;
  bool shut_down_ = false;
};

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_COORDINATOR_SERVER_H_
