// The worker-facing gRPC service: Enroll and the Session stream.
#ifndef GRIDBENCH_COORDINATOR_WORKER_GATEWAY_SERVICE_H_
#define GRIDBENCH_COORDINATOR_WORKER_GATEWAY_SERVICE_H_

#include "coordinator/task_scheduler.h"
#include "coordinator/token_authority.h"
#include "gridbench/v1/worker.grpc.pb.h"

namespace gridbench::coordinator {

class WorkerGatewayService final : public gridbench::v1::WorkerGateway::CallbackService {
 public:
  WorkerGatewayService(TaskScheduler* scheduler, TokenAuthority* tokens, CoordinatorStore* store,
                       const CoordinatorConfig* config)
      : scheduler_(scheduler), tokens_(tokens), store_(store), config_(config) {}

  grpc::ServerUnaryReactor* Enroll(grpc::CallbackServerContext* context,
                                   const gridbench::v1::EnrollRequest* request,
                                   gridbench::v1::EnrollResponse* response) override;
  grpc::ServerBidiReactor<gridbench::v1::WorkerMessage, gridbench::v1::CoordinatorMessage>*
  Session(grpc::CallbackServerContext* context) override;

 private:
  TaskScheduler* const scheduler_;
  TokenAuthority* const tokens_;
  CoordinatorStore* const store_;
  const CoordinatorConfig* const config_;
};

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_WORKER_GATEWAY_SERVICE_H_
