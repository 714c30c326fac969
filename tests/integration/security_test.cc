// Every refusal the trust model promises, against a real coordinator: each
// is refused with the right status and leaves a row in the audit log.
#include <signal.h>

#include "common/crypto.h"
#include "common/grpc_status.h"
#include "gtest/gtest.h"
#include "tests/integration/cluster_harness.h"
#include "tests/integration/raw_worker.h"

namespace gridbench::testing {
namespace {

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    cluster_ = std::make_unique<ClusterHarness>(
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(cluster_->StartCoordinator().ok());
  }

  // A raw worker, enrolled and connected, holding the assignment of a
  // one-task job pinned to it by label.
  std::unique_ptr<RawWorker> ConnectedWorkerWithAssignment(gridbench::v1::Assignment* out) {
    auto worker = std::make_unique<RawWorker>(&cluster_->gateway());
    auto join = cluster_->CreateToken(gridbench::v1::ROLE_WORKER);
    EXPECT_TRUE(join.ok());
    EXPECT_TRUE(worker->Enroll(*join, "raw").ok());
    EXPECT_TRUE(worker->Connect({{"raw", "yes"}}).ok());
    auto job = cluster_->Submit(
        "name: pinned\ntasks:\n  - name: t\n    kind: gemm\n    params: {m: 8, n: 8, k: 8}\n"
        "    requirements: {labels: {raw: 'yes'}}\n");
    EXPECT_TRUE(job.ok()) << job.status();
    job_id_ = *job;
    auto assignment = worker->NextAssignment();
    EXPECT_TRUE(assignment.ok()) << assignment.status();
    *out = *assignment;
    return worker;
  }

  // Audit rows are committed in the background; wait for them to land.
  bool AuditRowsReach(const std::string& kind, int64_t n) {
    return cluster_->WaitUntil([&] { return cluster_->AuditRows(kind) >= n; }, absl::Seconds(10));
  }

  std::unique_ptr<ClusterHarness> cluster_;
  std::string job_id_;
};

TEST_F(SecurityTest, BadJoinTokenIsRefused) {
  RawWorker worker(&cluster_->gateway());
  EXPECT_EQ(worker.Enroll("gbt_not_a_real_token", "intruder").code(),
            absl::StatusCode::kUnauthenticated);
  auto viewer = cluster_->CreateToken(gridbench::v1::ROLE_VIEWER);
  EXPECT_EQ(worker.Enroll(*viewer, "intruder").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(AuditRowsReach("auth_failure", 2));
}

TEST_F(SecurityTest, OneTimeJoinTokenWorksOnce) {
  auto join = cluster_->CreateToken(gridbench::v1::ROLE_WORKER, 0, true);
  RawWorker first(&cluster_->gateway()), second(&cluster_->gateway());
  EXPECT_TRUE(first.Enroll(*join, "first").ok());
  EXPECT_EQ(second.Enroll(*join, "second").code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(AuditRowsReach("auth_failure", 1));
}

TEST_F(SecurityTest, ExpiredTokenIsRefused) {
  auto token = cluster_->CreateToken(gridbench::v1::ROLE_VIEWER, 0.05);
  ASSERT_TRUE(token.ok());
  grpc::Status status;
  // Valid for 50 ms, then refused for good.
  EXPECT_TRUE(cluster_->WaitUntil(
      [&] {
        gridbench::v1::ListWorkersResponse response;
        status = cluster_->api().ListWorkers(ClusterHarness::Context(*token).get(), {}, &response);
        return status.error_code() == grpc::StatusCode::UNAUTHENTICATED;
      },
      absl::Seconds(10)));
  EXPECT_NE(status.error_message().find("expired"), std::string::npos);
  EXPECT_TRUE(AuditRowsReach("auth_failure", 1));
}

TEST_F(SecurityTest, MissingTokenAndViewerSubmittingAreRefused) {
  gridbench::v1::ListJobsResponse jobs;
  EXPECT_EQ(cluster_->api().ListJobs(ClusterHarness::Context("").get(), {}, &jobs).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto viewer = cluster_->CreateToken(gridbench::v1::ROLE_VIEWER);
  gridbench::v1::SubmitJobRequest request;
  request.set_job_yaml("name: x\ntasks:\n  - {name: t, kind: gemm, params: {m: 8, n: 8, k: 8}}\n");
  gridbench::v1::SubmitJobResponse response;
  grpc::Status status =
      cluster_->api().SubmitJob(ClusterHarness::Context(*viewer).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(AuditRowsReach("auth_failure", 2));
}

TEST_F(SecurityTest, RevokedWorkerIsDisconnectedAndRefused) {
  gridbench::v1::Assignment assignment;
  auto worker = ConnectedWorkerWithAssignment(&assignment);
  gridbench::v1::WorkerRequest request;
  request.set_worker_id(worker->worker_id());
  gridbench::v1::Worker revoked;
  ASSERT_TRUE(cluster_->api()
                  .RevokeWorker(ClusterHarness::Context(cluster_->admin_token()).get(), request,
                                &revoked)
                  .ok());
  EXPECT_EQ(revoked.state(), gridbench::v1::WORKER_STATE_REVOKED);
  EXPECT_EQ(worker->Finish().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(worker->Connect().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(AuditRowsReach("worker_revoked", 1));
  EXPECT_TRUE(AuditRowsReach("auth_failure", 1));
}

TEST_F(SecurityTest, ForgedSignatureIsRefused) {
  gridbench::v1::Assignment assignment;
  auto worker = ConnectedWorkerWithAssignment(&assignment);
  gridbench::v1::SignedResult result = worker->SignedResultFor(assignment);
  std::string forged = result.signature();
  forged[0] ^= 0x01;
  result.set_signature(forged);
  ASSERT_TRUE(worker->SendResult(result).ok());
  auto ack = worker->NextAck();
  ASSERT_TRUE(ack.ok());
  EXPECT_FALSE(ack->accepted());
  EXPECT_TRUE(AuditRowsReach("signature_refused", 1));
  EXPECT_EQ(cluster_->Results(job_id_)->size(), 0u);
}

TEST_F(SecurityTest, StaleLeaseAndReplayedResultAreRefusedAndStoredOnce) {
  gridbench::v1::Assignment assignment;
  auto worker = ConnectedWorkerWithAssignment(&assignment);
  gridbench::v1::Assignment stale = assignment;
  stale.set_lease_id("l-from-an-earlier-attempt");
  ASSERT_TRUE(worker->SendResult(worker->SignedResultFor(stale)).ok());
  auto ack = worker->NextAck();
  ASSERT_TRUE(ack.ok());
  EXPECT_FALSE(ack->accepted());
  EXPECT_NE(ack->error().find("stale"), std::string::npos) << ack->error();
  EXPECT_TRUE(AuditRowsReach("stale_result", 1));

  const gridbench::v1::SignedResult good = worker->SignedResultFor(assignment);
  ASSERT_TRUE(worker->SendResult(good).ok());
  ack = worker->NextAck();
  ASSERT_TRUE(ack.ok());
  EXPECT_TRUE(ack->accepted()) << ack->error();
  ASSERT_TRUE(worker->SendResult(good).ok());
  ack = worker->NextAck();
  ASSERT_TRUE(ack.ok());
  EXPECT_FALSE(ack->accepted());
  EXPECT_TRUE(AuditRowsReach("replayed_result", 1));
  EXPECT_EQ(cluster_->Results(job_id_)->size(), 1u);
}

}  // namespace
}  // namespace gridbench::testing
