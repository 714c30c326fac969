#include "coordinator/gridbench_service.h"

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "common/job_file.h"
#include "common/task_params.h"
#include "coordinator/call_auth.h"
#include "coordinator/job_watch.h"

namespace gridbench::coordinator {

using gridbench::v1::Role;

namespace {

grpc::ServerUnaryReactor* FinishWith(grpc::CallbackServerContext* c, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = c->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// FAILED_PRECONDITION naming the first task and parameter whose artifact
// has not been uploaded: no worker could fetch it.
absl::Status RequireArtifacts(ArtifactStore& artifacts, const gridbench::v1::JobSpec& spec) {
  for (const gridbench::v1::TaskSpec& task : spec.tasks()) {
    for (const ArtifactParam& param : ArtifactParamsOf(task)) {
      if (artifacts.Find(param.artifact_id).ok()) continue;
      return absl::FailedPreconditionError(absl::StrCat(
          "task \"", task.name(), "\": params.", param.param, ": artifact ", param.artifact_id,
          " is not on this coordinator; upload it first with `gridbench artifact put`"));
    }
  }
  return absl::OkStatus();
}

absl::Status RequireId(const std::string& id, const char* what) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " is required"));
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* GridbenchService::Refuse(Ctx* c, Role role, const char* method,
                                                   std::string* principal_id) {
  absl::StatusOr<Principal> principal = AuthorizeCall(*tokens_, *scheduler_, c, role, method);
  if (!principal.ok()) return FinishWith(c, principal.status());
  if (principal_id != nullptr) *principal_id = principal->token_id;
  return nullptr;
}

grpc::ServerUnaryReactor* GridbenchService::SubmitJob(Ctx* c,
                                                      const gridbench::v1::SubmitJobRequest* req,
                                                      gridbench::v1::SubmitJobResponse* resp) {
  std::string submitter;
  if (auto* r = Refuse(c, gridbench::v1::ROLE_SUBMITTER, "SubmitJob", &submitter)) return r;
  gridbench::v1::JobSpec spec;
  if (!req->job_yaml().empty()) {
    const std::string file = req->job_file_name().empty() ? "job.yaml" : req->job_file_name();
    absl::StatusOr<gridbench::v1::JobSpec> parsed = ParseJobFile(req->job_yaml(), file);
    if (!parsed.ok()) return FinishWith(c, parsed.status());
    spec = *std::move(parsed);
  } else if (req->has_job()) {
    spec = req->job();
    if (absl::Status s = ValidateJobSpec(spec); !s.ok()) return FinishWith(c, s);
    ApplyJobDefaults(spec);
  } else {
    return FinishWith(c, absl::InvalidArgumentError("set either job or job_yaml"));
  }
  if (absl::Status s = RequireArtifacts(*artifacts_, spec); !s.ok()) return FinishWith(c, s);
  grpc::ServerUnaryReactor* reactor = c->DefaultReactor();
  scheduler_->SubmitJob(spec, submitter,
                        [reactor, resp](absl::StatusOr<gridbench::v1::SubmitJobResponse> result) {
                          if (result.ok()) *resp = *std::move(result);
                          reactor->Finish(ToGrpcStatus(result.status()));
                        });
  return reactor;
}

grpc::ServerUnaryReactor* GridbenchService::GetJob(Ctx* c, const gridbench::v1::GetJobRequest* req,
                                                   gridbench::v1::Job* resp) {
  if (auto* r = Refuse(c, gridbench::v1::ROLE_VIEWER, "GetJob")) return r;
  if (absl::Status s = RequireId(req->job_id(), "job_id"); !s.ok()) return FinishWith(c, s);
  absl::StatusOr<gridbench::v1::Job> job = scheduler_->GetJob(req->job_id());
  if (job.ok()) *resp = *std::move(job);
  return FinishWith(c, job.status());
}

grpc::ServerUnaryReactor* GridbenchService::ListJobs(Ctx* c,
                                                     const gridbench::v1::ListJobsRequest* req,
                                                     gridbench::v1::ListJobsResponse* resp) {
  if (auto* r = Refuse(c, gridbench::v1::ROLE_VIEWER, "ListJobs")) return r;
  const size_t limit = req->limit() == 0 ? 100 : req->limit();
  for (auto& job : scheduler_->ListJobs(limit)) *resp->add_jobs() = std::move(job);
  return FinishWith(c, absl::OkStatus());
}

grpc::ServerUnaryReactor* GridbenchService::CancelJob(Ctx* c,
                                                      const gridbench::v1::CancelJobRequest* req,
                                                      gridbench::v1::Job* resp) {
  if (auto* r = Refuse(c, gridbench::v1::ROLE_SUBMITTER, "CancelJob")) return r;
  if (absl::Status s = RequireId(req->job_id(), "job_id"); !s.ok()) return FinishWith(c, s);
  absl::StatusOr<gridbench::v1::Job> job = scheduler_->CancelJob(req->job_id());
  if (job.ok()) *resp = *std::move(job);
  return FinishWith(c, job.status());
}

grpc::ServerWriteReactor<gridbench::v1::TaskEvent>* GridbenchService::WatchJob(
    Ctx* c, const gridbench::v1::WatchJobRequest* req) {
  absl::StatusOr<Principal> principal =
      AuthorizeCall(*tokens_, *scheduler_, c, gridbench::v1::ROLE_VIEWER, "WatchJob");
  if (!principal.ok()) {
    class Refused : public grpc::ServerWriteReactor<gridbench::v1::TaskEvent> {
     public:
      explicit Refused(const absl::Status& s) { Finish(ToGrpcStatus(s)); }
      void OnDone() override { delete this; }
    };
    return new Refused(principal.status());
  }
  return new JobWatch(scheduler_, req->job_id());
}

grpc::ServerUnaryReactor* GridbenchService::ListWorkers(
    Ctx* c, const gridbench::v1::ListWorkersRequest* req,
    gridbench::v1::ListWorkersResponse* resp) {
  if (auto* r = Refuse(c, gridbench::v1::ROLE_VIEWER, "ListWorkers")) return r;
  for (auto& worker : scheduler_->ListWorkers()) *resp->add_workers() = std::move(worker);
  return FinishWith(c, absl::OkStatus());
}

grpc::ServerUnaryReactor* GridbenchService::GetResults(
    Ctx* c, const gridbench::v1::GetResultsRequest* req,
    gridbench::v1::GetResultsResponse* resp) {
  if (auto* r = Refuse(c, gridbench::v1::ROLE_VIEWER, "GetResults")) return r;
  if (absl::Status s = RequireId(req->job_id(), "job_id"); !s.ok()) return FinishWith(c, s);
  if (absl::StatusOr<gridbench::v1::Job> job = scheduler_->GetJob(req->job_id()); !job.ok()) {
    return FinishWith(c, job.status());
  }
  absl::StatusOr<std::vector<gridbench::v1::StoredResult>> results =
      store_->GetResults(req->job_id());
  if (results.ok()) {
    for (auto& result : *results) *resp->add_results() = std::move(result);
  }
  return FinishWith(c, results.status());
}

grpc::ServerUnaryReactor* GridbenchService::CreateToken(
    Ctx* c, const gridbench::v1::CreateTokenRequest* req,
    gridbench::v1::CreateTokenResponse* resp) {
  if (auto* r = Refuse(c, gridbench::v1::ROLE_ADMIN, "CreateToken")) return r;
  grpc::ServerUnaryReactor* reactor = c->DefaultReactor();
  tokens_->Create(req->role(), req->ttl_seconds(), req->one_time(), req->description(),
                  [reactor, resp](absl::StatusOr<CreatedToken> created) {
                    if (created.ok()) {
                      resp->set_token(created->token);
                      resp->set_token_id(created->record.token_id);
                      resp->set_expires_unix_nanos(created->record.expires_unix_nanos);
                    }
                    reactor->Finish(ToGrpcStatus(created.status()));
                  });
  return reactor;
}

grpc::ServerUnaryReactor* GridbenchService::RevokeToken(
    Ctx* c, const gridbench::v1::RevokeTokenRequest* req,
    gridbench::v1::RevokeTokenResponse* resp) {
  if (auto* r = Refuse(c, gridbench::v1::ROLE_ADMIN, "RevokeToken")) return r;
  if (absl::Status s = RequireId(req->token_id(), "token_id"); !s.ok()) return FinishWith(c, s);
  return FinishWith(c, tokens_->Revoke(req->token_id()));
}

grpc::ServerUnaryReactor* GridbenchService::RevokeWorker(Ctx* c,
                                                         const gridbench::v1::WorkerRequest* req,
                                                         gridbench::v1::Worker* resp) {
  if (auto* r = Refuse(c, gridbench::v1::ROLE_ADMIN, "RevokeWorker")) return r;
  absl::StatusOr<gridbench::v1::Worker> worker = scheduler_->RevokeWorker(req->worker_id());
  if (worker.ok()) *resp = *std::move(worker);
  return FinishWith(c, worker.status());
}

grpc::ServerUnaryReactor* GridbenchService::DrainWorker(Ctx* c,
                                                        const gridbench::v1::WorkerRequest* req,
                                                        gridbench::v1::Worker* resp) {
  if (auto* r = Refuse(c, gridbench::v1::ROLE_ADMIN, "DrainWorker")) return r;
  absl::StatusOr<gridbench::v1::Worker> worker = scheduler_->DrainWorker(req->worker_id());
  if (worker.ok()) *resp = *std::move(worker);
  return FinishWith(c, worker.status());
}

}  // namespace gridbench::coordinator
