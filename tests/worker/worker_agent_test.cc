// The agent against an in-process WorkerGateway that plays the coordinator's
// side of the session protocol (the real coordinator is tested end to end by
// the integration tests). Every wait is on an event, never on time.
#include "worker/worker_agent.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "common/canonical_result.h"
#include "common/crypto.h"
#include "common/grpc_channel.h"
#include "grpcpp/grpcpp.h"
#include "worker/outbox.h"

namespace gridbench::worker {
namespace {

using gridbench::v1::CoordinatorMessage;
using gridbench::v1::WorkerMessage;

constexpr char kJoinToken[] = "gbt_test_join_token";

// Plays the coordinator: enrolls one worker, checks its session proof, then
// runs `script` over the stream.
class ScriptedGateway final : public gridbench::v1::WorkerGateway::Service {
 public:
  using Stream = grpc::ServerReaderWriter<CoordinatorMessage, WorkerMessage>;
  std::function<grpc::Status(Stream&, const gridbench::v1::Hello&)> script;
  std::string public_key;  // As enrolled.
  int enrollments = 0;

  // Blocks until `n` scripts have returned. What a script records after the
  // agent's last message may still be being written when Run() returns.
  void AwaitScriptsReturned(int n) {
    absl::MutexLock lock(&mu_);
    auto returned = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return returned_ >= n; };
    mu_.Await(absl::Condition(&returned));
  }

  grpc::Status Enroll(grpc::ServerContext* ctx, const gridbench::v1::EnrollRequest* req,
                      gridbench::v1::EnrollResponse* resp) override {
    auto auth = ctx->client_metadata().find(kAuthorizationHeader);
    if (auth == ctx->client_metadata().end() ||
        std::string(auth->second.data(), auth->second.size()) !=
            std::string(kBearerPrefix) + kJoinToken) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad join token");
    }
    ++enrollments;
    public_key = req->public_key();
    resp->set_worker_id("w-test");
    resp->set_key_id(KeyId(public_key));
    return grpc::Status::OK;
  }

  grpc::Status Session(grpc::ServerContext*, Stream* stream) override {
    WorkerMessage in;
    if (!stream->Read(&in) || !in.has_hello())
      return {grpc::StatusCode::INVALID_ARGUMENT, "no hello"};
    const gridbench::v1::Hello hello = in.hello();
    CoordinatorMessage out;
    out.mutable_challenge()->set_nonce("nonce-123");
    stream->Write(out);
    if (!stream->Read(&in) || !in.has_challenge_response()) return {grpc::StatusCode::ABORTED, ""};
    if (!VerifySignature(public_key, SessionProofBytes(hello.worker_id(), "nonce-123"),
                         in.challenge_response().signature())
             .ok()) {
      return {grpc::StatusCode::UNAUTHENTICATED, "bad session proof"};
    }
    out.Clear();
    out.mutable_accepted()->set_heartbeat_interval_seconds(60);
    stream->Write(out);
    const grpc::Status status = script(*stream, hello);
    absl::MutexLock lock(&mu_);
    ++returned_;
    return status;
  }

 private:
  absl::Mutex mu_;
  int returned_ ABSL_GUARDED_BY(mu_) = 0;
};

// Reads until a message of the wanted kind arrives (heartbeats and progress
// reports come in between).
bool ReadUntil(ScriptedGateway::Stream& stream, WorkerMessage::BodyCase want, WorkerMessage& out) {
  while (stream.Read(&out)) {
    if (out.body_case() == want) return true;
  }
  return false;
}

class WorkerAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    state_dir_ = ::testing::TempDir() + "/agent_test_" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
                 std::to_string(getpid());
    std::filesystem::remove_all(state_dir_);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&gateway_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    address_ = "127.0.0.1:" + std::to_string(port);
  }
  void TearDown() override {
    server_->Shutdown();
    std::filesystem::remove_all(state_dir_);
  }

  std::unique_ptr<WorkerAgent> MakeAgent(const std::string& join_token = kJoinToken) {
    AgentOptions options;
    options.config.coordinator = address_;
    options.config.name = "test-worker";
    options.config.state_dir = state_dir_;
    options.config.join_token = join_token;
    options.config.labels = {{"rack", "a1"}};
    options.config.tls.insecure = true;
    options.worker_executable = GRIDBENCH_WORKER_BINARY;
    options.hardware.set_hostname("test-host");
    options.agent_version = "test";
    auto channel = MakeChannel(address_, options.config.tls);
    EXPECT_TRUE(channel.ok());
    auto agent = WorkerAgent::Create(std::move(options), *channel);
    EXPECT_TRUE(agent.ok()) << agent.status();
    return agent.ok() ? std::move(*agent) : nullptr;
  }

  static CoordinatorMessage Assign(const std::string& attempt) {
    CoordinatorMessage m;
    gridbench::v1::Assignment& a = *m.mutable_assignment();
    a.set_job_id("j-1");
    a.set_task_id("t-1");
    a.set_attempt_id(attempt);
    a.set_lease_id("l-" + attempt);
    a.mutable_spec()->set_kind("gemm");
    auto& p = *a.mutable_spec()->mutable_params()->mutable_fields();
    for (const char* dim : {"m", "n", "k"}) p[dim].set_number_value(16);
    p["threads"].set_number_value(1);
    return m;
  }

  static CoordinatorMessage Ack(const gridbench::v1::SignedResult& r, bool accepted) {
    CoordinatorMessage m;
    m.mutable_ack()->set_task_id(r.task_id());
    m.mutable_ack()->set_attempt_id(r.attempt_id());
    m.mutable_ack()->set_sequence(r.sequence());
    m.mutable_ack()->set_accepted(accepted);
    if (!accepted) m.mutable_ack()->set_error("stale lease");
    return m;
  }

  ScriptedGateway gateway_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::string state_dir_;
};

TEST_F(WorkerAgentTest, EnrollsRunsAnAssignmentSignsTheResultAndDrains) {
  gridbench::v1::Hello seen_hello;
  gridbench::v1::SignedResult seen_result;
  gridbench::v1::Heartbeat seen_drain_heartbeat;
  gateway_.script = [&](ScriptedGateway::Stream& stream, const gridbench::v1::Hello& hello) {
    seen_hello = hello;
    stream.Write(Assign("a-1"));
    WorkerMessage in;
    if (!ReadUntil(stream, WorkerMessage::kResult, in)) return grpc::Status::CANCELLED;
    seen_result = in.result();
    stream.Write(Ack(seen_result, true));
    CoordinatorMessage drain;
    drain.mutable_drain();
    stream.Write(drain);
    while (stream.Read(&in)) {
      if (in.has_heartbeat() && in.heartbeat().draining()) seen_drain_heartbeat = in.heartbeat();
    }
    return grpc::Status::OK;
  };
  std::unique_ptr<WorkerAgent> agent = MakeAgent();
  ASSERT_NE(agent, nullptr);
  EXPECT_TRUE(agent->Run().ok());
  gateway_.AwaitScriptsReturned(1);

  EXPECT_EQ(gateway_.enrollments, 1);
  EXPECT_EQ(seen_hello.worker_id(), "w-test");
  EXPECT_EQ(seen_hello.hardware().hostname(), "test-host");
  EXPECT_EQ(seen_hello.labels().at("rack"), "a1");
  EXPECT_EQ(seen_hello.agent_version(), "test");
  EXPECT_TRUE(seen_drain_heartbeat.draining());

  EXPECT_EQ(seen_result.worker_id(), "w-test");
  EXPECT_EQ(seen_result.attempt_id(), "a-1");
  EXPECT_EQ(seen_result.lease_id(), "l-a-1");
  EXPECT_EQ(seen_result.sequence(), 1u);
  EXPECT_EQ(seen_result.key_id(), KeyId(gateway_.public_key));
  EXPECT_TRUE(VerifyResultSignature(seen_result, gateway_.public_key).ok());
  gridbench::v1::ResultPayload payload;
  ASSERT_TRUE(payload.ParseFromString(seen_result.payload()));
  EXPECT_EQ(payload.kind(), "gemm");
  gridbench::v1::HardwareProfile hw;
  hw.set_hostname("test-host");
  EXPECT_EQ(payload.hardware_sha256(), Sha256Hex(hw.SerializeAsString()));

  // The acknowledged result is gone from the outbox; the id was kept.
  auto outbox = Outbox::Open(state_dir_);
  ASSERT_TRUE(outbox.ok());
  EXPECT_EQ((*outbox)->Size(), 0u);
  EXPECT_TRUE(std::filesystem::exists(state_dir_ + "/worker_id"));
}

TEST_F(WorkerAgentTest, ResendsTheOutboxAfterRestartAndDropsRefusedResults) {
  // A result left by a previous run of the agent, never acknowledged.
  {
    std::unique_ptr<WorkerAgent> agent = MakeAgent();  // Creates key and state.
  }
  gridbench::v1::SignedResult stored;
  {
    auto outbox = Outbox::Open(state_dir_);
    ASSERT_TRUE(outbox.ok());
    stored.set_worker_id("w-test");
    stored.set_attempt_id("a-old");
    stored.set_sequence(*(*outbox)->NextSequence());
    ASSERT_TRUE((*outbox)->Put(stored).ok());
  }
  std::vector<std::string> live;
  gateway_.script = [&](ScriptedGateway::Stream& stream, const gridbench::v1::Hello& hello) {
    live.assign(hello.live_attempt_ids().begin(), hello.live_attempt_ids().end());
    WorkerMessage in;
    if (!ReadUntil(stream, WorkerMessage::kResult, in)) return grpc::Status::CANCELLED;
    stream.Write(Ack(in.result(), false));  // Refused for good: must be dropped.
    CoordinatorMessage drain;
    drain.mutable_drain();
    stream.Write(drain);
    while (stream.Read(&in)) {
    }
    return grpc::Status::OK;
  };
  std::unique_ptr<WorkerAgent> agent = MakeAgent();
  ASSERT_NE(agent, nullptr);
  EXPECT_TRUE(agent->Run().ok());
  gateway_.AwaitScriptsReturned(1);
  EXPECT_THAT(live, ::testing::ElementsAre("a-old"));
  auto outbox = Outbox::Open(state_dir_);
  ASSERT_TRUE(outbox.ok());
  EXPECT_EQ((*outbox)->Size(), 0u);
  EXPECT_EQ(*(*outbox)->NextSequence(), 2u);
}

TEST_F(WorkerAgentTest, RevokedWorkerStops) {
  gateway_.script = [](ScriptedGateway::Stream&, const gridbench::v1::Hello&) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "worker revoked");
  };
  std::unique_ptr<WorkerAgent> agent = MakeAgent();
  ASSERT_NE(agent, nullptr);
  const absl::Status s = agent->Run();
  EXPECT_TRUE(absl::IsPermissionDenied(s)) << s;
}

TEST_F(WorkerAgentTest, BadJoinTokenStops) {
  std::unique_ptr<WorkerAgent> agent = MakeAgent("gbt_wrong");
  ASSERT_NE(agent, nullptr);
  const absl::Status s = agent->Run();
  EXPECT_TRUE(absl::IsUnauthenticated(s)) << s;
  EXPECT_EQ(gateway_.enrollments, 0);
}

}  // namespace
}  // namespace gridbench::worker
