// The whole path with real processes: a coordinator, real workers running
// real OpenBLAS GEMM in child processes, signed results in SQLite.
#include <signal.h>

#include <set>

#include "common/canonical_result.h"
#include "common/crypto.h"
#include "gtest/gtest.h"
#include "tests/integration/cluster_harness.h"

namespace gridbench::testing {
namespace {

constexpr absl::Duration kStartTimeout = absl::Seconds(60);
constexpr absl::Duration kJobTimeout = absl::Seconds(120);

// Short leases and backoff so failure handling shows within seconds.
constexpr char kFastFailureConfig[] =
    "lease_timeout_seconds: 2\nreconnect_grace_seconds: 20\n"
    "retry: {max_attempts: 3, initial_backoff_seconds: 0.1, max_backoff_seconds: 1, "
    "multiplier: 2}\n";

std::string GemmJob(const std::string& name, int tasks, double min_time_seconds) {
  std::string yaml = "name: " + name + "\ntasks:\n";
  for (int i = 0; i < tasks; ++i) {
    yaml += "  - name: gemm-" + std::to_string(i) +
            "\n    kind: gemm\n    params: {m: 96, n: 80, k: 64, repetitions: 5, warmup: 1, "
            "min_time_seconds: " +
            std::to_string(min_time_seconds) + ", seed: " + std::to_string(i + 1) + "}\n";
  }
  return yaml;
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitCrypto().ok()); }
};

TEST_F(ClusterTest, JobCompletesWithSignedMeasuredResults) {
  ClusterHarness cluster("complete");
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  ASSERT_TRUE(cluster.StartWorker("w0").ok());
  ASSERT_TRUE(cluster.WaitForConnectedWorkers(1, kStartTimeout)) << cluster.LogTail("worker-0.log");

  absl::StatusOr<std::string> job_id = cluster.Submit(GemmJob("complete", 2, 0));
  ASSERT_TRUE(job_id.ok()) << job_id.status();
  absl::StatusOr<gridbench::v1::Job> job = cluster.WaitForJob(*job_id, kJobTimeout);
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_EQ(job->state(), gridbench::v1::JOB_STATE_SUCCEEDED) << job->DebugString();

  auto results = cluster.Results(*job_id);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 2u);
  std::set<std::string> checksums;
  for (const auto& stored : *results) {
    EXPECT_TRUE(VerifyResultSignature(stored.signed_(), stored.worker_public_key()).ok());
    gridbench::v1::ResultPayload payload;
    ASSERT_TRUE(payload.ParseFromString(stored.signed_().payload()));
    EXPECT_EQ(payload.kind(), "gemm");
    EXPECT_EQ(payload.samples_seconds_size(), 5);
    EXPECT_EQ(payload.summary().count(), 5u);
    EXPECT_GT(payload.summary().median(), 0);
    EXPECT_FALSE(payload.environment().at("openblas_corename").empty());
    EXPECT_FALSE(payload.hardware_sha256().empty());
    checksums.insert(payload.checksum());
  }
  EXPECT_EQ(checksums.size(), 2u) << "different seeds must give different products";
}

TEST_F(ClusterTest, KilledWorkersTaskIsFinishedByAnotherWorkerExactlyOnce) {
  ClusterHarness cluster("worker_kill", kFastFailureConfig);
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  // Both connected before the job, so that the kill comes while the task
  // runs however long a worker takes to start (its peak probes, a busy
  // machine); whichever worker takes the task is the one killed.
  ASSERT_TRUE(cluster.StartWorker("w0").ok());
  ASSERT_TRUE(cluster.StartWorker("w1").ok());
  ASSERT_TRUE(cluster.WaitForConnectedWorkers(2, kStartTimeout)) << cluster.LogTail("worker-1.log");
  absl::StatusOr<std::string> job_id = cluster.Submit(GemmJob("worker-kill", 1, 3.0));
  ASSERT_TRUE(job_id.ok()) << job_id.status();
  std::string running_on;
  ASSERT_TRUE(cluster.WaitUntil(
      [&] {
        auto job = cluster.GetJob(*job_id);
        if (!job.ok() || job->tasks(0).state() != gridbench::v1::TASK_STATE_RUNNING) return false;
        running_on = job->tasks(0).attempts(0).worker_id();
        return true;
      },
      kStartTimeout));
  auto workers = cluster.Workers();
  ASSERT_TRUE(workers.ok()) << workers.status();
  int doomed = -1;
  for (const auto& w : *workers) {
    if (w.worker_id() == running_on) doomed = w.name() == "w0" ? 0 : 1;
  }
  ASSERT_NE(doomed, -1) << running_on;
  cluster.KillWorker(doomed, SIGKILL);

  absl::StatusOr<gridbench::v1::Job> job = cluster.WaitForJob(*job_id, kJobTimeout);
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_EQ(job->state(), gridbench::v1::JOB_STATE_SUCCEEDED) << job->DebugString();
  const auto& attempts = job->tasks(0).attempts();
  ASSERT_EQ(attempts.size(), 2);
  EXPECT_EQ(attempts[0].state(), gridbench::v1::ATTEMPT_STATE_FAILED);
  EXPECT_NE(attempts[0].failure_reason().find("lost"), std::string::npos)
      << attempts[0].failure_reason();
  EXPECT_NE(attempts[1].worker_id(), attempts[0].worker_id());
  auto results = cluster.Results(*job_id);
  ASSERT_TRUE(results.ok());
  ASSERT_EQ(results->size(), 1u);
  EXPECT_EQ(results->at(0).signed_().attempt_id(), attempts[1].attempt_id());
}

TEST_F(ClusterTest, AcknowledgedResultsSurviveACoordinatorCrash) {
  ClusterHarness cluster("coordinator_kill", kFastFailureConfig);
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  ASSERT_TRUE(cluster.StartWorker("w0").ok());
  ASSERT_TRUE(cluster.WaitForConnectedWorkers(1, kStartTimeout)) << cluster.LogTail("worker-0.log");
  absl::StatusOr<std::string> job_id = cluster.Submit(GemmJob("coordinator-kill", 4, 0.5));
  ASSERT_TRUE(job_id.ok()) << job_id.status();
  std::vector<gridbench::v1::StoredResult> before;
  ASSERT_TRUE(cluster.WaitUntil(
      [&] {
        auto results = cluster.Results(*job_id);
        if (results.ok()) before = *results;
        return !before.empty();
      },
      kJobTimeout));

  cluster.KillCoordinator(SIGKILL);
  ASSERT_TRUE(cluster.StartCoordinator().ok()) << cluster.LogTail("coordinator.log");
  absl::StatusOr<gridbench::v1::Job> job = cluster.WaitForJob(*job_id, kJobTimeout);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->state(), gridbench::v1::JOB_STATE_SUCCEEDED) << cluster.LogTail("worker-0.log");

  auto after = cluster.Results(*job_id);
  ASSERT_TRUE(after.ok());
  std::set<std::string> attempts_after, tasks_after;
  for (const auto& r : *after) {
    attempts_after.insert(r.signed_().attempt_id());
    tasks_after.insert(r.signed_().task_id());
  }
  for (const auto& r : before) {
    EXPECT_TRUE(attempts_after.contains(r.signed_().attempt_id()))
        << "acknowledged result of " << r.task_name() << " lost in the crash";
  }
  EXPECT_EQ(after->size(), 4u);
  EXPECT_EQ(tasks_after.size(), 4u) << "one result per task";
}

TEST_F(ClusterTest, JobFileWithSeveralErrorsIsRejectedNamingEach) {
  ClusterHarness cluster("bad_job");
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  const std::string yaml =
      "name: broken\n"
      "priority: high\n"
      "tasks:\n"
      "  - name: a\n"
      "    kind: gemm\n"
      "    params: {m: -3, n: 8, k: 8}\n"
      "  - name: b\n"
      "    kind: matmul\n"
      "    placment: each\n";
  absl::StatusOr<std::string> job_id = cluster.Submit(yaml);
  ASSERT_EQ(job_id.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(job_id.status().message());
  EXPECT_NE(message.find("job.yaml:2:"), std::string::npos) << message;  // priority
  EXPECT_NE(message.find("params.m"), std::string::npos) << message;
  EXPECT_NE(message.find("matmul"), std::string::npos) << message;
  EXPECT_NE(message.find("placment"), std::string::npos) << message;
}

}  // namespace
}  // namespace gridbench::testing
