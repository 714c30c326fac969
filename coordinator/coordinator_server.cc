#include "coordinator/coordinator_server.h"

#include <pthread.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto.h"
#include "common/grpc_channel.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/server_builder.h"
#include "spdlog/spdlog.h"

namespace gridbench::coordinator {
namespace {

// Writing a result's acknowledgement and next assignment costs a few µs of
// system calls; two threads keep well ahead of the store's one writer.
constexpr int kLinkFlusherThreads = 2;

absl::Status Wrap(const absl::Status& status, const std::string& what) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(what, ": ", status.message()));
}

// "host:0" -> "host:<bound port>".
std::string BoundAddress(const std::string& listen, int port) {
  const size_t colon = listen.rfind(':');
  return absl::StrCat(colon == std::string::npos ? listen : listen.substr(0, colon), ":", port);
}

absl::Status WriteAddressFile(const std::string& path, const std::string& address) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << address << "\n";
    if (!out.flush()) return absl::InternalError(absl::StrCat("writing ", tmp));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::InternalError(absl::StrCat("renaming ", tmp, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace

CoordinatorServer::CoordinatorServer(const CoordinatorConfig& config, Clock* clock)
    : config_(config), clock_(clock != nullptr ? clock : &real_clock_) {}

absl::StatusOr<std::unique_ptr<CoordinatorServer>> CoordinatorServer::Start(
    const CoordinatorConfig& config, Clock* clock) {
  std::unique_ptr<CoordinatorServer> server(new CoordinatorServer(config, clock));
  if (absl::Status s = server->Init(); !s.ok()) return s;
  return server;
}

absl::Status CoordinatorServer::Init() {
  if (absl::Status s = InitCrypto(); !s.ok()) return s;
  std::error_code ec;
  std::filesystem::create_directories(config_.data_dir, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat("creating data_dir ", config_.data_dir, ": ", ec.message()));
  }
  ::chmod(config_.data_dir.c_str(), 0700);

  auto store = CoordinatorStore::Open(config_.DatabasePath());
  if (!store.ok()) return Wrap(store.status(), "opening the store");
  store_ = *std::move(store);
  auto state = store_->LoadState();
  if (!state.ok()) return Wrap(state.status(), "loading state from the store");
  flusher_ = std::make_unique<LinkFlusher>(kLinkFlusherThreads);
  scheduler_ = std::make_unique<TaskScheduler>(config_, store_.get(), clock_, flusher_.get());
  scheduler_->Restore(*state);
  tokens_ = std::make_unique<TokenAuthority>(store_.get(), clock_);
  tokens_->Load(state->tokens);
  auto wrote = tokens_->EnsureAdminToken(config_.AdminTokenPath());
  if (!wrote.ok()) return Wrap(wrote.status(), "creating the first admin token");
  if (*wrote) spdlog::info("wrote a new admin token to {} (mode 0600)", config_.AdminTokenPath());

  auto artifacts =
      ArtifactStore::Open(config_.ArtifactDir(), config_.max_artifact_bytes, store_.get(), clock_);
  if (!artifacts.ok()) return Wrap(artifacts.status(), "opening the artifact store");
  artifacts_ = *std::move(artifacts);

  auto creds = MakeServerCredentials(config_.tls);
  if (!creds.ok()) return Wrap(creds.status(), "setting up TLS");
  gridbench_service_ = std::make_unique<GridbenchService>(scheduler_.get(), tokens_.get(),
                                                          store_.get(), artifacts_.get());
  worker_service_ = std::make_unique<WorkerGatewayService>(scheduler_.get(), tokens_.get(),
                                                           store_.get(), &config_);
  artifact_service_ =
      std::make_unique<ArtifactService>(artifacts_.get(), tokens_.get(), scheduler_.get(), clock_);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config_.listen, *creds, &port);
  ApplyServerOptions(builder);
  builder.RegisterService(gridbench_service_.get());
  builder.RegisterService(worker_service_.get());
  builder.RegisterService(artifact_service_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config_.listen));
  }
  address_ = BoundAddress(config_.listen, port);
  if (absl::Status s = WriteAddressFile(config_.AddressFilePath(), address_); !s.ok()) return s;
  ticker_ = std::thread([this] { TickLoop(); });
  spdlog::info("coordinator listening on {} (database {})", address_, config_.DatabasePath());
  return absl::OkStatus();
}

void CoordinatorServer::TickLoop() {
  pthread_setname_np(pthread_self(), "sched-ticker");
  // Often enough that lease expiry and retries are timely; cheap when idle.
  const absl::Duration period =
      absl::Seconds(std::min(0.25, config_.heartbeat_interval_seconds / 4));
  while (!stop_ticking_.WaitForNotificationWithTimeout(period)) scheduler_->Tick();
}

void CoordinatorServer::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  if (ticker_.joinable()) {
    stop_ticking_.Notify();
    ticker_.join();
  }
  if (server_ != nullptr)
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  if (store_ != nullptr) {
    if (absl::Status s = store_->Flush(); !s.ok())
      spdlog::error("final commit failed: {}", s.ToString());
  }
}

CoordinatorServer::~CoordinatorServer() { Shutdown(); }

}  // namespace gridbench::coordinator
