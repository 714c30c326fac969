// Every change type, written through the store and read back with LoadState
// after the file has been closed and reopened.
#include <google/protobuf/util/message_differencer.h>

#include <memory>
#include <string>

#include "coordinator/store/coordinator_store.h"
#include "gtest/gtest.h"
#include "tests/coordinator/store_testing.h"

namespace gridbench::coordinator {
namespace {

using google::protobuf::util::MessageDifferencer;
using testing::DoneLog;
using testing::MakeAttempt;
using testing::MakeJob;
using testing::MakeTask;
using testing::MakeWorker;
using testing::ScratchDir;

std::unique_ptr<CoordinatorStore> OpenStore(const std::string& path) {
  auto store = CoordinatorStore::Open(path);
  EXPECT_TRUE(store.ok()) << store.status();
  return *std::move(store);
}

TokenRecord MakeToken(const std::string& id) {
  return TokenRecord{.token_id = id,
                     .hash_hex = "hash-" + id,
                     .role = gridbench::v1::ROLE_WORKER,
                     .created_unix_nanos = 10,
                     .expires_unix_nanos = 20,
                     .one_time = true,
                     .description = "join token " + id};
}

void ExpectSameToken(const TokenRecord& got, const TokenRecord& want) {
  EXPECT_EQ(got.token_id, want.token_id);
  EXPECT_EQ(got.hash_hex, want.hash_hex);
  EXPECT_EQ(got.role, want.role);
  EXPECT_EQ(got.created_unix_nanos, want.created_unix_nanos);
  EXPECT_EQ(got.expires_unix_nanos, want.expires_unix_nanos);
  EXPECT_EQ(got.one_time, want.one_time);
  EXPECT_EQ(got.used, want.used);
  EXPECT_EQ(got.revoked, want.revoked);
  EXPECT_EQ(got.description, want.description);
}

TEST(StoreRoundTripTest, EveryChangeSurvivesReopen) {
  ScratchDir dir;
  gridbench::v1::Worker worker = MakeWorker("w1");
  gridbench::v1::Job job = MakeJob("j1");
  TaskRecord first = MakeTask("j1", "t1", 1);
  TaskRecord second = MakeTask("j1", "t2", 2);
  gridbench::v1::Attempt attempt = MakeAttempt("a1", "w1", 100);
  gridbench::v1::Attempt later = MakeAttempt("a2", "w1", 200);
  TokenRecord token = MakeToken("tok1");
  {
    auto store = OpenStore(dir.File("g.db"));
    store->UpsertWorker(worker);
    worker.set_state(gridbench::v1::WORKER_STATE_DRAINING);  // Upsert replaces.
    worker.set_last_seen_unix_nanos(5678);
    store->UpsertWorker(worker);
    store->InsertJob(job, {second, first});
    store->UpdateJobState("j1", gridbench::v1::JOB_STATE_RUNNING);
    job.set_state(gridbench::v1::JOB_STATE_RUNNING);
    first.task.set_state(gridbench::v1::TASK_STATE_RUNNING);
    first.task.set_attempts_made(3);
    first.next_eligible_unix_nanos = 1000;
    store->UpdateTask(TaskUpdate::Of(first));
    store->UpsertAttempt("t1", later);
    store->UpsertAttempt("t1", attempt);
    attempt.set_state(gridbench::v1::ATTEMPT_STATE_FAILED);
    attempt.set_failure_reason("lost");
    attempt.set_finished_unix_nanos(150);
    store->UpsertAttempt("t1", attempt);
    store->InsertToken(token);
    token.used = true;
    token.revoked = true;
    store->UpdateToken(token);
    ASSERT_TRUE(store->Flush().ok());
  }
  auto store = OpenStore(dir.File("g.db"));
  auto state = store->LoadState();
  ASSERT_TRUE(state.ok()) << state.status();

  ASSERT_EQ(state->workers.size(), 1u);
  EXPECT_TRUE(MessageDifferencer::Equals(state->workers[0], worker))
      << state->workers[0].DebugString();
  ASSERT_EQ(state->jobs.size(), 1u);
  EXPECT_TRUE(MessageDifferencer::Equals(state->jobs[0], job)) << state->jobs[0].DebugString();

  ASSERT_EQ(state->tasks.size(), 2u);    // In seq order, whatever the insert order.
  *first.task.add_attempts() = attempt;  // Attempts come back in start order.
  *first.task.add_attempts() = later;
  const TaskRecord* want[] = {&first, &second};
  for (int i = 0; i < 2; ++i) {
    const TaskRecord& got = state->tasks[i];
    EXPECT_TRUE(MessageDifferencer::Equals(got.task, want[i]->task)) << got.task.DebugString();
    EXPECT_EQ(got.seq, want[i]->seq);
    EXPECT_EQ(got.next_eligible_unix_nanos, want[i]->next_eligible_unix_nanos);
    EXPECT_EQ(got.avoid_worker_id, want[i]->avoid_worker_id);
    EXPECT_EQ(got.created_unix_nanos, want[i]->created_unix_nanos);
  }
  ASSERT_EQ(state->tokens.size(), 1u);
  ExpectSameToken(state->tokens[0], token);
}

TEST(StoreRoundTripTest, UpdatesOfMissingRowsAreNotFound) {
  ScratchDir dir;
  auto store = OpenStore(dir.File("g.db"));
  DoneLog log;
  store->UpdateJobState("nope", gridbench::v1::JOB_STATE_FAILED, log.Callback(1));
  store->UpdateToken(MakeToken("nope"), log.Callback(2));
  store->UpdateTask(TaskUpdate::Of(MakeTask("j1", "nope", 1)), log.Callback(3));
  ASSERT_TRUE(store->Flush().ok());
  for (const auto& [id, status] : log.entries()) {
    EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << id << ": " << status;
    EXPECT_NE(status.message().find("nope"), absl::string_view::npos) << status;
  }
  EXPECT_EQ(log.entries().size(), 3u);
}

// The scheduler's path: a task inserted with its job, then updated with each
// attempt. The spec and the other fixed columns keep their inserted values.
TEST(StoreRoundTripTest, TaskUpdatesWriteTheLatestAttemptAndKeepTheSpec) {
  ScratchDir dir;
  TaskRecord task = MakeTask("j1", "t1", 1);
  task.task.mutable_spec()->mutable_requirements()->set_backend("blas");
  {
    auto store = OpenStore(dir.File("g.db"));
    store->InsertJob(MakeJob("j1"), {task});
    gridbench::v1::Attempt* attempt = task.task.add_attempts();
    *attempt = MakeAttempt("a1", "w1", 100);
    task.task.set_state(gridbench::v1::TASK_STATE_RUNNING);
    task.task.set_attempts_made(3);
    store->UpdateTask(TaskUpdate::Of(task));
    attempt->set_state(gridbench::v1::ATTEMPT_STATE_SUCCEEDED);
    attempt->set_finished_unix_nanos(150);
    task.task.set_state(gridbench::v1::TASK_STATE_SUCCEEDED);
    task.task.set_progress(1);
    task.task.set_failure_reason("");
    task.next_eligible_unix_nanos = 0;
    task.avoid_worker_id = "";
    TaskUpdate update = TaskUpdate::Of(task);
    // Fixed columns are not part of an update: changing them has no effect.
    task.task.mutable_spec()->set_name("renamed");
    store->UpdateTask(std::move(update));
    ASSERT_TRUE(store->Flush().ok());
  }
  task.task.mutable_spec()->set_name("task t1");
  auto store = OpenStore(dir.File("g.db"));
  auto state = store->LoadState();
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_EQ(state->tasks.size(), 1u);
  const TaskRecord& got = state->tasks[0];
  EXPECT_TRUE(MessageDifferencer::Equals(got.task, task.task)) << got.task.DebugString();
  EXPECT_EQ(got.seq, 1);
  EXPECT_EQ(got.next_eligible_unix_nanos, 0);
  EXPECT_EQ(got.avoid_worker_id, "");
  EXPECT_EQ(got.created_unix_nanos, task.created_unix_nanos);
}

TEST(StoreRoundTripTest, BadJobLeavesNothingBehind) {
  ScratchDir dir;
  auto store = OpenStore(dir.File("g.db"));
  DoneLog log;
  // The second task names another job: the whole change fails, job row too.
  store->InsertJob(MakeJob("j1"), {MakeTask("j1", "t1", 1), MakeTask("j2", "t2", 2)},
                   log.Callback(1));
  store->InsertJob(MakeJob("j3"), {MakeTask("j3", "t3", 3)}, log.Callback(2));
  store->InsertJob(MakeJob("j3"), {}, log.Callback(3));
  store->InsertJob(MakeJob(""), {}, log.Callback(4));
  ASSERT_TRUE(store->Flush().ok());
  const auto entries = log.entries();
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].second.code(), absl::StatusCode::kInvalidArgument) << entries[0].second;
  EXPECT_TRUE(entries[1].second.ok()) << entries[1].second;
  EXPECT_EQ(entries[2].second.code(), absl::StatusCode::kAlreadyExists) << entries[2].second;
  EXPECT_EQ(entries[3].second.code(), absl::StatusCode::kInvalidArgument) << entries[3].second;
  auto state = store->LoadState();
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_EQ(state->jobs.size(), 1u);
  EXPECT_EQ(state->jobs[0].job_id(), "j3");
  ASSERT_EQ(state->tasks.size(), 1u);
  EXPECT_EQ(state->tasks[0].task.task_id(), "t3");
}

TEST(StoreRoundTripTest, TokenHashesAreUnique) {
  ScratchDir dir;
  auto store = OpenStore(dir.File("g.db"));
  DoneLog log;
  TokenRecord copy = MakeToken("tok2");
  copy.hash_hex = MakeToken("tok1").hash_hex;
  store->InsertToken(MakeToken("tok1"), log.Callback(1));
  store->InsertToken(copy, log.Callback(2));
  ASSERT_TRUE(store->Flush().ok());
  ASSERT_EQ(log.entries().size(), 2u);
  EXPECT_TRUE(log.entries()[0].second.ok());
  EXPECT_EQ(log.entries()[1].second.code(), absl::StatusCode::kAlreadyExists);
}

TEST(StoreRoundTripTest, AuditIsNewestFirstAndFilteredByKind) {
  ScratchDir dir;
  auto store = OpenStore(dir.File("g.db"));
  for (int i = 0; i < 5; ++i) {
    store->AppendAudit({.unix_nanos = i,
                        .kind = i % 2 == 0 ? "enroll" : "auth_failure",
                        .subject = "s" + std::to_string(i),
                        .detail = "d",
                        .peer = "ipv4:127.0.0.1:1"});
  }
  ASSERT_TRUE(store->Flush().ok());
  auto all = store->ListAudit("", 3);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].subject, "s4");
  EXPECT_EQ((*all)[2].subject, "s2");
  EXPECT_EQ((*all)[0].peer, "ipv4:127.0.0.1:1");
  auto failures = store->ListAudit("auth_failure", 10);
  ASSERT_TRUE(failures.ok()) << failures.status();
  ASSERT_EQ(failures->size(), 2u);
  EXPECT_EQ((*failures)[0].subject, "s3");
  EXPECT_EQ((*failures)[1].subject, "s1");
  EXPECT_EQ(store->ListAudit("", 0).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gridbench::coordinator
