// The submitter-facing gRPC service (proto/gridbench/v1/gridbench.proto):
// jobs, workers, results and the admin calls. Every call is authorized by
// its bearer token's role before anything else happens.
#ifndef GRIDBENCH_COORDINATOR_GRIDBENCH_SERVICE_H_
#define GRIDBENCH_COORDINATOR_GRIDBENCH_SERVICE_H_

#include "coordinator/artifact_store.h"
#include "coordinator/task_scheduler.h"
#include "coordinator/token_authority.h"
#include "gridbench/v1/gridbench.grpc.pb.h"

namespace gridbench::coordinator {

class GridbenchService final : public gridbench::v1::Gridbench::CallbackService {
 public:
  // SubmitJob refuses a job naming an artifact that `artifacts` lacks.
  GridbenchService(TaskScheduler* scheduler, TokenAuthority* tokens, CoordinatorStore* store,
                   ArtifactStore* artifacts)
      : scheduler_(scheduler), tokens_(tokens), store_(store), artifacts_(artifacts) {}

  using Ctx = grpc::CallbackServerContext;
  grpc::ServerUnaryReactor* SubmitJob(Ctx* c, const gridbench::v1::SubmitJobRequest* req,
                                      gridbench::v1::SubmitJobResponse* resp) override;
  grpc::ServerUnaryReactor* GetJob(Ctx* c, const gridbench::v1::GetJobRequest* req,
                                   gridbench::v1::Job* resp) override;
  grpc::ServerUnaryReactor* ListJobs(Ctx* c, const gridbench::v1::ListJobsRequest* req,
                                     gridbench::v1::ListJobsResponse* resp) override;
  grpc::ServerUnaryReactor* CancelJob(Ctx* c, const gridbench::v1::CancelJobRequest* req,
                                      gridbench::v1::Job* resp) override;
  grpc::ServerWriteReactor<gridbench::v1::TaskEvent>* WatchJob(
      Ctx* c, const gridbench::v1::WatchJobRequest* req) override;
  grpc::ServerUnaryReactor* ListWorkers(Ctx* c, const gridbench::v1::ListWorkersRequest* req,
                                        gridbench::v1::ListWorkersResponse* resp) override;
  grpc::ServerUnaryReactor* GetResults(Ctx* c, const gridbench::v1::GetResultsRequest* req,
                                       gridbench::v1::GetResultsResponse* resp) override;
  grpc::ServerUnaryReactor* CreateToken(Ctx* c, const gridbench::v1::CreateTokenRequest* req,
                                        gridbench::v1::CreateTokenResponse* resp) override;
  grpc::ServerUnaryReactor* RevokeToken(Ctx* c, const gridbench::v1::RevokeTokenRequest* req,
                                        gridbench::v1::RevokeTokenResponse* resp) override;
  grpc::ServerUnaryReactor* RevokeWorker(Ctx* c, const gridbench::v1::WorkerRequest* req,
                                         gridbench::v1::Worker* resp) override;
  grpc::ServerUnaryReactor* DrainWorker(Ctx* c, const gridbench::v1::WorkerRequest* req,
                                        gridbench::v1::Worker* resp) override;

 private:
  // Finishes the call and returns null when the caller lacks `role`.
  grpc::ServerUnaryReactor* Refuse(Ctx* c, gridbench::v1::Role role, const char* method,
                                   std::string* principal_id = nullptr);

  TaskScheduler* const scheduler_;
  TokenAuthority* const tokens_;
  CoordinatorStore* const store_;
  ArtifactStore* const artifacts_;
};

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_GRIDBENCH_SERVICE_H_
