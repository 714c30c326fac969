#include "tests/integration/cluster_harness.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_channel.h"
#include "common/grpc_status.h"
#include "gtest/gtest.h"

extern char** environ;

namespace gridbench::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Starts `argv` in its own process group (so a kill reaches its children
// too) with stdout and stderr appended to `log`.
pid_t Spawn(const std::vector<std::string>& args, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  return pid;
}

void KillGroup(pid_t pid, int signal) {
  if (pid <= 0) return;
  kill(-pid, signal);
  waitpid(pid, nullptr, 0);
}

}  // namespace

std::string BinaryPath(const std::string& name) {
  return std::string(GRIDBENCH_BIN_DIR) + "/" + name;
}

ClusterHarness::ClusterHarness(const std::string& test_name, std::string coordinator_yaml)
    : coordinator_yaml_(std::move(coordinator_yaml)) {
  dir_ = std::filesystem::temp_directory_path() / absl::StrCat("gb-it-", test_name, "-", getpid());
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
}

ClusterHarness::~ClusterHarness() {
  for (auto& worker : workers_) KillGroup(worker.pid, SIGKILL);
  KillGroup(coordinator_pid_, SIGKILL);
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(dir_);
}

absl::Status ClusterHarness::StartCoordinator() {
  const std::string config = dir_ + "/coordinator.yaml";
  std::ofstream(config) << "listen: " << listen_ << "\ndata_dir: " << dir_
                        << "/coordinator\ninsecure: true\nheartbeat_interval_seconds: 0.5\n"
                        << "log: {level: debug}\n"
                        << coordinator_yaml_;
  const std::string addr_file = dir_ + "/coordinator/coordinator.addr";
  std::filesystem::remove(addr_file);
  coordinator_pid_ =
      Spawn({BinaryPath("gridbench-coordinator"), "--config", config}, dir_ + "/coordinator.log");
  if (coordinator_pid_ < 0) return absl::InternalError("cannot spawn gridbench-coordinator");
  const bool up = WaitUntil(
      [&] {
        if (waitpid(coordinator_pid_, nullptr, WNOHANG) == coordinator_pid_) return true;
        return !Trim(ReadFile(addr_file)).empty();
      },
      absl::Seconds(30));
  address_ = Trim(ReadFile(addr_file));
  if (!up || address_.empty()) {
    return absl::InternalError("coordinator did not start: " + LogTail("coordinator.log"));
  }
  listen_ = address_;  // A restart reuses the port, so workers find it again.
  admin_token_ = Trim(ReadFile(dir_ + "/coordinator/admin.token"));
  Connect();
  return absl::OkStatus();
}

void ClusterHarness::Connect() {
  TlsFiles plaintext;
  plaintext.insecure = true;
  auto channel = MakeChannel(address_, plaintext);
  api_ = gridbench::v1::Gridbench::NewStub(*channel);
  gateway_ = gridbench::v1::WorkerGateway::NewStub(*channel);
}

void ClusterHarness::KillCoordinator(int signal) {
  KillGroup(coordinator_pid_, signal);
  coordinator_pid_ = -1;
}

absl::StatusOr<int> ClusterHarness::StartWorker(const std::string& name,
                                                const std::map<std::string, std::string>& labels) {
  absl::StatusOr<std::string> join = CreateToken(gridbench::v1::ROLE_WORKER, 600, true);
  if (!join.ok()) return join.status();
  const int index = static_cast<int>(workers_.size());
  const std::string config = absl::StrCat(dir_, "/worker-", index, ".yaml");
  std::ofstream out(config);
  out << "coordinator: " << address_ << "\nname: " << name << "\nstate_dir: " << dir_ << "/worker-"
      << index << "\njoin_token: " << *join << "\ninsecure: true\n"
      << "log: {level: debug}\n";
  if (!labels.empty()) {
    out << "labels:\n";
    for (const auto& [k, v] : labels) out << "  " << k << ": " << v << "\n";
  }
  out.close();
  const pid_t pid = Spawn({BinaryPath("gridbench-worker"), "--config", config},
                          absl::StrCat(dir_, "/worker-", index, ".log"));
  if (pid < 0) return absl::InternalError("cannot spawn gridbench-worker");
  workers_.push_back({pid, name});
  return index;
}

void ClusterHarness::KillWorker(int index, int signal) {
  KillGroup(workers_.at(index).pid, signal);
  workers_.at(index).pid = -1;
}

std::unique_ptr<grpc::ClientContext> ClusterHarness::Context(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) context->AddMetadata(kAuthorizationHeader, kBearerPrefix + token);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return context;
}

ArtifactCallOptions ClusterHarness::ArtifactOptions(const std::string& token) {
  ArtifactCallOptions options;
  options.prepare = [token](grpc::ClientContext& context, const char*) {
    context.AddMetadata(kAuthorizationHeader, kBearerPrefix + token);
  };
  options.timeout = absl::Seconds(30);
  return options;
}

absl::StatusOr<std::string> ClusterHarness::CreateToken(gridbench::v1::Role role,
                                                        double ttl_seconds, bool one_time) {
  gridbench::v1::CreateTokenRequest request;
  request.set_role(role);
  request.set_ttl_seconds(ttl_seconds);
  request.set_one_time(one_time);
  gridbench::v1::CreateTokenResponse response;
  grpc::Status status = api_->CreateToken(Context(admin_token_).get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response.token();
}

absl::StatusOr<std::string> ClusterHarness::Submit(const std::string& job_yaml) {
  gridbench::v1::SubmitJobRequest request;
  request.set_job_yaml(job_yaml);
  request.set_job_file_name("job.yaml");
  gridbench::v1::SubmitJobResponse response;
  grpc::Status status = api_->SubmitJob(Context(admin_token_).get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return response.job_id();
}

absl::StatusOr<gridbench::v1::Job> ClusterHarness::GetJob(const std::string& job_id) {
  gridbench::v1::GetJobRequest request;
  request.set_job_id(job_id);
  gridbench::v1::Job job;
  grpc::Status status = api_->GetJob(Context(admin_token_).get(), request, &job);
  if (!status.ok()) return FromGrpcStatus(status);
  return job;
}

absl::StatusOr<std::vector<gridbench::v1::StoredResult>> ClusterHarness::Results(
    const std::string& job_id) {
  gridbench::v1::GetResultsRequest request;
  request.set_job_id(job_id);
  gridbench::v1::GetResultsResponse response;
  grpc::Status status = api_->GetResults(Context(admin_token_).get(), request, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return std::vector<gridbench::v1::StoredResult>(response.results().begin(),
                                                  response.results().end());
}

absl::StatusOr<std::vector<gridbench::v1::Worker>> ClusterHarness::Workers() {
  gridbench::v1::ListWorkersResponse response;
  grpc::Status status = api_->ListWorkers(Context(admin_token_).get(), {}, &response);
  if (!status.ok()) return FromGrpcStatus(status);
  return std::vector<gridbench::v1::Worker>(response.workers().begin(), response.workers().end());
}

bool ClusterHarness::WaitUntil(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(25));
  }
  return done();
}

bool ClusterHarness::WaitForConnectedWorkers(size_t n, absl::Duration timeout) {
  return WaitUntil(
      [&] {
        auto workers = Workers();
        if (!workers.ok()) return false;
        size_t connected = 0;
        for (const auto& w : *workers) {
          connected += w.state() == gridbench::v1::WORKER_STATE_CONNECTED;
        }
        return connected >= n;
      },
      timeout);
}

absl::StatusOr<gridbench::v1::Job> ClusterHarness::WaitForJob(const std::string& job_id,
                                                              absl::Duration timeout) {
  grpc::ClientContext context;
  context.AddMetadata(kAuthorizationHeader, kBearerPrefix + admin_token_);
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  gridbench::v1::WatchJobRequest request;
  request.set_job_id(job_id);
  auto reader = api_->WatchJob(&context, request);
  gridbench::v1::TaskEvent event;
  while (reader->Read(&event)) {
  }
  if (grpc::Status status = reader->Finish(); !status.ok()) return FromGrpcStatus(status);
  return GetJob(job_id);
}

int64_t ClusterHarness::AuditRows(const std::string& kind) {
  sqlite3* db = nullptr;
  int64_t rows = -1;
  if (sqlite3_open_v2(database_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM audit_log WHERE kind = ?", -1, &stmt, nullptr);
    sqlite3_bind_text(stmt, 1, kind.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(stmt) == SQLITE_ROW) rows = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return rows;
}

std::string ClusterHarness::LogTail(const std::string& file) const {
  const std::string text = ReadFile(dir_ + "/" + file);
  return text.size() > 3000 ? text.substr(text.size() - 3000) : text;
}

}  // namespace gridbench::testing
