// TaskScheduler against a real store file, a manual clock and recording
// links in place of gRPC sessions (the sessions themselves are covered by
// the integration tests).
#include "coordinator/task_scheduler.h"

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <vector>

#include "common/crypto.h"
#include "gtest/gtest.h"

namespace gridbench::coordinator {
namespace {

using gridbench::v1::CoordinatorMessage;

class RecordingLink : public WorkerLink {
 public:
  void Send(CoordinatorMessage m) override { sent.push_back(std::move(m)); }
  void Close(absl::Status s) override { closed = s; }
  void Flush() override { flushed = sent.size(); }
  std::vector<gridbench::v1::Assignment> Assignments() const {
    std::vector<gridbench::v1::Assignment> out;
    for (const auto& m : sent) {
      if (m.has_assignment()) out.push_back(m.assignment());
    }
    return out;
  }
  std::vector<CoordinatorMessage> sent;
  size_t flushed = 0;  // How many of `sent` were queued before the last Flush.
  absl::Status closed;
};

// A link whose Flush checks that the scheduler's mutex is free: another
// thread must get through a scheduler call while Flush waits for it.
class LockProbeLink : public RecordingLink {
 public:
  explicit LockProbeLink(TaskScheduler* scheduler) : scheduler_(scheduler) {}
  void Flush() override {
    RecordingLink::Flush();
    probes.push_back(std::async(std::launch::async, [this] { scheduler_->ListWorkers(); }));
    if (probes.back().wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      ++flushes_under_lock;
    }
  }
  int flushes_under_lock = 0;
  // Kept until the test ends: a probe stuck on the mutex finishes only once
  // the caller of Flush releases it.
  std::vector<std::future<void>> probes;

 private:
  TaskScheduler* const scheduler_;
};

class TaskSchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    dir_ = ::testing::TempDir() + "/scheduler_test_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto store = CoordinatorStore::Open(dir_ + "/gridbench.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    config_ = DefaultCoordinatorConfig();
    config_.data_dir = dir_;
    config_.lease_timeout_seconds = 10;
    config_.unmatched_task_timeout_seconds = 30;
    scheduler_ = std::make_unique<TaskScheduler>(config_, store_.get(), &clock_);
  }

  std::string Enroll(const std::string& name, bool avx512 = false) {
    gridbench::v1::EnrollRequest req;
    req.set_name(name);
    req.set_public_key(GenerateSigningKey().public_key);
    req.mutable_hardware()->add_backends("blas");
    req.mutable_hardware()->set_memory_bytes(8ull << 30);
    if (avx512) req.mutable_hardware()->add_isa_features("avx512f");
    std::string id;
    scheduler_->EnrollWorker(req, "test", [&](absl::StatusOr<std::string> r) { id = *r; });
    EXPECT_TRUE(store_->Flush().ok());
    return id;
  }

  static gridbench::v1::Hello HelloFor(const std::string& id) {
    gridbench::v1::Hello hello;
    hello.set_worker_id(id);
    hello.mutable_hardware()->add_backends("blas");
    hello.mutable_hardware()->set_memory_bytes(8ull << 30);
    return hello;
  }

  void Attach(const std::string& id, const std::shared_ptr<RecordingLink>& link) {
    ASSERT_TRUE(scheduler_->AttachSession(HelloFor(id), link).ok());
  }

  std::string Submit(const std::string& yaml_like_name, int priority,
                     gridbench::v1::Placement placement = gridbench::v1::PLACEMENT_ANY,
                     const std::string& isa = "") {
    gridbench::v1::JobSpec spec;
    spec.set_name(yaml_like_name);
    spec.set_priority(priority);
    auto* task = spec.add_tasks();
    task->set_name(yaml_like_name + "-task");
    task->set_kind("gemm");
    task->set_placement(placement);
    task->mutable_retry()->set_max_attempts(2);
    if (!isa.empty()) task->mutable_requirements()->add_isa_features(isa);
    std::string job_id;
    scheduler_->SubmitJob(spec, "alice", [&](auto r) { job_id = r->job_id(); });
    EXPECT_TRUE(store_->Flush().ok());
    return job_id;
  }

  gridbench::v1::SignedResult ResultFor(const std::string& worker_id,
                                        const gridbench::v1::Assignment& a) {
    gridbench::v1::SignedResult r;
    r.set_worker_id(worker_id);
    r.set_task_id(a.task_id());
    r.set_attempt_id(a.attempt_id());
    r.set_lease_id(a.lease_id());
    r.set_sequence(1);
    r.set_payload("payload");
    return r;
  }

  static CoordinatorMessage AckOf(const gridbench::v1::SignedResult& r) {
    CoordinatorMessage ack;
    ack.mutable_ack()->set_task_id(r.task_id());
    ack.mutable_ack()->set_accepted(true);
    return ack;
  }

  // CheckResult as the session calls it, with `r` in the StoredResult.
  ResultVerdict Check(const std::string& worker_id, const gridbench::v1::SignedResult& r) {
    gridbench::v1::StoredResult stored;
    *stored.mutable_signed_() = r;
    return scheduler_->CheckResult(worker_id, &stored);
  }

  std::string dir_;
  ManualClock clock_;
  CoordinatorConfig config_;
  std::unique_ptr<CoordinatorStore> store_;
  std::unique_ptr<TaskScheduler> scheduler_;
};

TEST_F(TaskSchedulerTest, HigherPriorityJobIsAssignedFirst) {
  const std::string w = Enroll("w1");
  Submit("low", 0);
  const std::string high = Submit("high", 10);
  auto link = std::make_shared<RecordingLink>();
  Attach(w, link);
  ASSERT_EQ(link->Assignments().size(), 1u) << "one timing task at a time per worker";
  EXPECT_EQ(link->Assignments()[0].job_id(), high);
}

TEST_F(TaskSchedulerTest, MessagesToWorkersAreWrittenAfterTheSchedulerIsUnlocked) {
  const std::string w = Enroll("w1");
  auto link = std::make_shared<LockProbeLink>(scheduler_.get());
  Attach(w, link);
  Submit("first", 0);
  Submit("second", 0);
  ASSERT_EQ(link->Assignments().size(), 1u);
  const auto result = ResultFor(w, link->Assignments()[0]);
  ASSERT_EQ(Check(w, result), ResultVerdict::kStore);
  scheduler_->OnResultStored(w, result, absl::OkStatus(), AckOf(result));
  ASSERT_TRUE(scheduler_->DrainWorker(w).ok());

  ASSERT_EQ(link->sent.size(), 4u) << "an assignment, the ack, the next, the drain";
  EXPECT_TRUE(link->sent[1].has_ack()) << "the ack goes before the next task";
  EXPECT_TRUE(link->sent[2].has_assignment());
  EXPECT_EQ(link->flushed, link->sent.size()) << "each call flushed what it queued";
  EXPECT_EQ(link->flushes_under_lock, 0);
}

// A coordinator that crashed after sending an assignment but before storing
// it comes back not knowing the attempt the worker still runs.
TEST_F(TaskSchedulerTest, WorkerBusyWithAnAttemptLostInACrashGetsWorkOnlyWhenItEnds) {
  const std::string w = Enroll("w1");
  const std::string job = Submit("after-crash", 0);
  auto link = std::make_shared<RecordingLink>();
  gridbench::v1::Hello hello = HelloFor(w);
  hello.add_live_attempt_ids("a-lost");
  ASSERT_TRUE(scheduler_->AttachSession(hello, link).ok());
  EXPECT_TRUE(link->Assignments().empty()) << "the worker would refuse it: it is busy";

  gridbench::v1::Heartbeat busy;
  busy.set_running_tasks(1);
  scheduler_->OnHeartbeat(w, busy);
  EXPECT_TRUE(link->Assignments().empty());

  gridbench::v1::SignedResult lost;
  lost.set_worker_id(w);
  lost.set_task_id(scheduler_->GetJob(job)->tasks(0).task_id());
  lost.set_attempt_id("a-lost");
  lost.set_lease_id("l-lost");
  EXPECT_EQ(Check(w, lost), ResultVerdict::kStale);
  EXPECT_EQ(link->Assignments().size(), 1u) << "its result ended the unknown attempt";
}

TEST_F(TaskSchedulerTest, WorkerBusyWithAnUnknownAttemptGetsWorkOnceItReportsIdle) {
  const std::string w = Enroll("w1");
  Submit("after-crash", 0);
  auto link = std::make_shared<RecordingLink>();
  gridbench::v1::Hello hello = HelloFor(w);
  hello.add_live_attempt_ids("a-lost");
  ASSERT_TRUE(scheduler_->AttachSession(hello, link).ok());
  EXPECT_TRUE(link->Assignments().empty());
  scheduler_->OnHeartbeat(w, gridbench::v1::Heartbeat());
  EXPECT_EQ(link->Assignments().size(), 1u);
}

TEST_F(TaskSchedulerTest, EachPlacementFansOutToEveryMatchingWorker) {
  const std::string w1 = Enroll("w1", true), w2 = Enroll("w2", true), w3 = Enroll("w3", false);
  const std::string job = Submit("matrix", 0, gridbench::v1::PLACEMENT_EACH, "avx512f");
  auto view = scheduler_->GetJob(job);
  ASSERT_TRUE(view.ok());
  ASSERT_EQ(view->tasks_size(), 2) << "w3 lacks avx512f";
  std::set<std::string> pinned;
  for (const auto& t : view->tasks()) pinned.insert(t.pinned_worker_id());
  EXPECT_EQ(pinned, (std::set<std::string>{w1, w2}));
}

TEST_F(TaskSchedulerTest, ResultIsStoredOnceAndStaleOrReplayedCopiesAreRefused) {
  const std::string w = Enroll("w1");
  const std::string job = Submit("one", 0);
  auto link = std::make_shared<RecordingLink>();
  Attach(w, link);
  ASSERT_EQ(link->Assignments().size(), 1u);
  const auto assignment = link->Assignments()[0];
  auto result = ResultFor(w, assignment);

  auto stale = result;
  stale.set_lease_id("l-not-the-lease");
  EXPECT_EQ(Check(w, stale), ResultVerdict::kStale);
  EXPECT_EQ(Check("w-other", result), ResultVerdict::kStale);

  ASSERT_EQ(Check(w, result), ResultVerdict::kStore);
  EXPECT_EQ(Check(w, result), ResultVerdict::kAlreadyStored)
      << "a copy arriving while the first is committing";
  scheduler_->OnResultStored(w, result, absl::OkStatus(), AckOf(result));
  EXPECT_EQ(Check(w, result), ResultVerdict::kAlreadyStored);
  auto view = scheduler_->GetJob(job);
  EXPECT_EQ(view->state(), gridbench::v1::JOB_STATE_SUCCEEDED);
}

TEST_F(TaskSchedulerTest, SilentWorkerIsLostAndTaskRetriesOnAnotherWorker) {
  const std::string w1 = Enroll("w1"), w2 = Enroll("w2");
  auto link1 = std::make_shared<RecordingLink>();
  auto link2 = std::make_shared<RecordingLink>();
  Attach(w1, link1);
  const std::string job = Submit("one", 0);
  ASSERT_EQ(link1->Assignments().size(), 1u);
  Attach(w2, link2);
  EXPECT_TRUE(link2->Assignments().empty());

  clock_.Advance(5);
  scheduler_->OnHeartbeat(w2, {});
  clock_.Advance(6);  // w1 silent for 11s > lease 10s; w2 heard 6s ago.
  scheduler_->Tick();
  EXPECT_EQ(link1->closed.code(), absl::StatusCode::kUnavailable);
  clock_.Advance(2);  // Past the first retry's backoff (at most 1s).
  scheduler_->Tick();
  ASSERT_EQ(link2->Assignments().size(), 1u);
  const auto retry = link2->Assignments()[0];
  EXPECT_NE(retry.lease_id(), link1->Assignments()[0].lease_id());
  // The lost worker's late result is stale now.
  EXPECT_EQ(Check(w1, ResultFor(w1, link1->Assignments()[0])), ResultVerdict::kStale);
  auto view = scheduler_->GetJob(job);
  EXPECT_EQ(view->tasks(0).attempts_size(), 2);
  EXPECT_EQ(view->tasks(0).attempts(0).state(), gridbench::v1::ATTEMPT_STATE_FAILED);
}

TEST_F(TaskSchedulerTest, WorkerDrainingOnItsOwnGetsNoNewWork) {
  const std::string w = Enroll("w1");
  auto link = std::make_shared<RecordingLink>();
  Attach(w, link);
  gridbench::v1::Heartbeat heartbeat;
  heartbeat.set_draining(true);
  scheduler_->OnHeartbeat(w, heartbeat);
  Submit("after-drain", 0);
  EXPECT_TRUE(link->Assignments().empty());
  EXPECT_EQ(scheduler_->ListWorkers().at(0).state(), gridbench::v1::WORKER_STATE_DRAINING);
}

TEST_F(TaskSchedulerTest, InvalidParametersFailWithoutRetry) {
  const std::string w = Enroll("w1");
  auto link = std::make_shared<RecordingLink>();
  Attach(w, link);
  const std::string job = Submit("bad", 0);
  const auto a = link->Assignments().at(0);
  gridbench::v1::AttemptFailure failure;
  failure.set_task_id(a.task_id());
  failure.set_attempt_id(a.attempt_id());
  failure.set_lease_id(a.lease_id());
  failure.set_reason("params.m: must be positive");
  failure.set_retryable(false);
  scheduler_->OnFailure(w, failure);
  auto view = scheduler_->GetJob(job);
  EXPECT_EQ(view->state(), gridbench::v1::JOB_STATE_FAILED);
  EXPECT_EQ(view->tasks(0).attempts_made(), 1u);
}

TEST_F(TaskSchedulerTest, RetriesStopAtMaxAttempts) {
  const std::string w = Enroll("w1");
  auto link = std::make_shared<RecordingLink>();
  Attach(w, link);
  const std::string job = Submit("flaky", 0);  // max_attempts 2.
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(link->Assignments().size(), static_cast<size_t>(i + 1));
    const auto a = link->Assignments().back();
    gridbench::v1::AttemptFailure failure;
    failure.set_task_id(a.task_id());
    failure.set_attempt_id(a.attempt_id());
    failure.set_lease_id(a.lease_id());
    failure.set_reason("child killed by SIGSEGV");
    failure.set_retryable(true);
    scheduler_->OnFailure(w, failure);
    clock_.Advance(5);
    scheduler_->Tick();
  }
  auto view = scheduler_->GetJob(job);
  EXPECT_EQ(view->state(), gridbench::v1::JOB_STATE_FAILED);
  EXPECT_NE(view->tasks(0).failure_reason().find("gave up after 2 attempts"), std::string::npos);
}

TEST_F(TaskSchedulerTest, TaskNoWorkerCanMatchFailsWithTheReasonAfterTheWait) {
  Enroll("w1", false);
  const std::string job = Submit("needs-avx512", 0, gridbench::v1::PLACEMENT_ANY, "avx512f");
  scheduler_->Tick();
  EXPECT_EQ(scheduler_->GetJob(job)->state(), gridbench::v1::JOB_STATE_QUEUED);
  clock_.Advance(31);
  scheduler_->Tick();
  auto view = scheduler_->GetJob(job);
  EXPECT_EQ(view->state(), gridbench::v1::JOB_STATE_FAILED);
  EXPECT_EQ(view->tasks(0).failure_reason(), "no worker matches: needs avx512f");
}

TEST_F(TaskSchedulerTest, StateSurvivesRestoreFromTheStore) {
  const std::string w = Enroll("w1");
  const std::string job = Submit("persisted", 3);
  ASSERT_TRUE(store_->Flush().ok());
  auto state = store_->LoadState();
  ASSERT_TRUE(state.ok()) << state.status();
  TaskScheduler restored(config_, store_.get(), &clock_);
  restored.Restore(*state);
  auto view = restored.GetJob(job);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->tasks(0).state(), gridbench::v1::TASK_STATE_PENDING);
  auto link = std::make_shared<RecordingLink>();
  gridbench::v1::Hello hello;
  hello.set_worker_id(w);
  hello.mutable_hardware()->add_backends("blas");
  ASSERT_TRUE(restored.AttachSession(hello, link).ok());
  EXPECT_EQ(link->Assignments().size(), 1u) << "queued tasks stay queued after a restart";
}

// A worker's Hello with the backends it really has: "vulkan" and a device
// only when `vulkan_device` is not empty.
gridbench::v1::Hello HelloWithBackends(const std::string& id, const std::string& vulkan_device) {
  gridbench::v1::Hello hello;
  hello.set_worker_id(id);
  hello.mutable_hardware()->add_backends("blas");
  hello.mutable_hardware()->add_backends("quant");
  hello.mutable_hardware()->set_memory_bytes(8ull << 30);
  if (!vulkan_device.empty()) {
    hello.mutable_hardware()->add_backends("vulkan");
    auto* device = hello.mutable_hardware()->add_vulkan_devices();
    device->set_name(vulkan_device);
    device->set_software(true);
  }
  return hello;
}

TEST_F(TaskSchedulerTest, VulkanTaskIsNeverPlacedOnAWorkerWithoutVulkan) {
  const std::string cpu_only = Enroll("cpu-only"), lavapipe = Enroll("lavapipe");
  gridbench::v1::JobSpec spec;
  spec.set_name("vulkan-gemm");
  auto* task = spec.add_tasks();
  task->set_name("gemm-vulkan");
  task->set_kind("gemm");
  task->mutable_requirements()->set_backend("vulkan");
  task->mutable_retry()->set_max_attempts(3);
  std::string job;
  scheduler_->SubmitJob(spec, "alice", [&](auto r) { job = r->job_id(); });
  ASSERT_TRUE(store_->Flush().ok());

  auto cpu_link = std::make_shared<RecordingLink>();
  ASSERT_TRUE(scheduler_->AttachSession(HelloWithBackends(cpu_only, ""), cpu_link).ok());
  scheduler_->Tick();
  EXPECT_TRUE(cpu_link->Assignments().empty()) << "the CPU-only worker has no Vulkan device";

  auto vulkan_link = std::make_shared<RecordingLink>();
  ASSERT_TRUE(
      scheduler_->AttachSession(HelloWithBackends(lavapipe, "llvmpipe (LLVM 15)"), vulkan_link)
          .ok());
  ASSERT_EQ(vulkan_link->Assignments().size(), 1u) << "a software Vulkan device counts as vulkan";
  EXPECT_EQ(vulkan_link->Assignments()[0].job_id(), job);
  EXPECT_TRUE(cpu_link->Assignments().empty());
}

TEST_F(TaskSchedulerTest, GpuTaskWaitsForAHardwareGpu) {
  const std::string lavapipe = Enroll("lavapipe");
  gridbench::v1::JobSpec spec;
  spec.set_name("gpu-gemm");
  auto* task = spec.add_tasks();
  task->set_name("gemm-gpu");
  task->set_kind("gemm");
  task->mutable_requirements()->set_backend("vulkan");
  task->mutable_requirements()->set_device_type(gridbench::v1::DEVICE_TYPE_GPU);
  std::string job;
  scheduler_->SubmitJob(spec, "alice", [&](auto r) { job = r->job_id(); });
  ASSERT_TRUE(store_->Flush().ok());
  auto link = std::make_shared<RecordingLink>();
  ASSERT_TRUE(scheduler_->AttachSession(HelloWithBackends(lavapipe, "llvmpipe"), link).ok());
  scheduler_->Tick();
  EXPECT_TRUE(link->Assignments().empty()) << "lavapipe is software: not a GPU";
  clock_.Advance(31);
  scheduler_->Tick();
  auto view = scheduler_->GetJob(job);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->tasks(0).failure_reason(),
            "no worker matches: needs a GPU (software Vulkan devices do not count)");
}

}  // namespace
}  // namespace gridbench::coordinator
