// result_load: how many signed results per second the coordinator verifies
// and durably commits, driven by many real worker sessions over loopback.
//
//   result_load --workers 1000 --results 40000
//
// It starts a real gridbench-coordinator (synchronous=FULL SQLite in a fresh
// directory), enrolls --workers keys, submits --results one-task-each gemm
// tasks, then opens every session at once. Each session answers its
// assignment at once with a freshly signed result, so the rate measured is
// the coordinator's: signature checks, lease checks, group commit, acks and
// the next assignment. Both processes share this machine's cores; the CPU
// each used is printed beside the rate.
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/cluster/coordinator_process.h"
#include "bench/cluster/load_session.h"
#include "common/grpc_channel.h"
#include "gridbench/v1/gridbench.grpc.pb.h"

ABSL_FLAG(int, workers, 1000, "concurrent worker sessions");
ABSL_FLAG(int, results, 40000, "results to commit in total");
ABSL_FLAG(int, tasks_per_job, 5000, "tasks per submitted job");
ABSL_FLAG(std::string, coordinator, "", "gridbench-coordinator binary (default: beside this one)");
ABSL_FLAG(double, timeout, 300, "give up after this many seconds");

namespace gb = gridbench;
namespace {

std::string Payload() {
  gridbench::v1::ResultPayload payload;
  payload.set_kind("gemm");
  payload.mutable_environment()->insert({"generator", "bench/cluster/result_load (synthetic)"});
  for (int i = 0; i < 10; ++i) payload.add_samples_seconds(1e-3);
  return payload.SerializeAsString();
}

grpc::Status CallWithToken(const std::string& token, auto call) {
  grpc::ClientContext ctx;
  ctx.AddMetadata(gb::kAuthorizationHeader, std::string(gb::kBearerPrefix) + token);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return call(&ctx);
}

int Fail(const std::string& what) {
  std::cerr << "result_load: " << what << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (!gb::InitCrypto().ok()) return Fail("libsodium failed");
  const int workers = absl::GetFlag(FLAGS_workers), results = absl::GetFlag(FLAGS_results);
  std::string binary = absl::GetFlag(FLAGS_coordinator);
  if (binary.empty()) {
    binary = (std::filesystem::read_symlink("/proc/self/exe").parent_path() /
              "gridbench-coordinator").string();
  }
  const std::string dir = std::filesystem::temp_directory_path() /
                          absl::StrCat("gridbench-load-", getpid());
  std::filesystem::create_directories(dir);
  auto coordinator = gb::bench::StartCoordinator(
      binary, dir, "heartbeat_interval_seconds: 10\nlease_timeout_seconds: 120\n");
  if (!coordinator.ok()) return Fail(coordinator.status().ToString());
  auto channel = *gb::MakeChannel(coordinator->address, gb::TlsFiles{.insecure = true});
  auto api = gridbench::v1::Gridbench::NewStub(channel);
  auto gateway = gridbench::v1::WorkerGateway::NewStub(channel);

  gridbench::v1::CreateTokenRequest token_req;
  token_req.set_role(gridbench::v1::ROLE_WORKER);
  gridbench::v1::CreateTokenResponse join;
  grpc::Status s = CallWithToken(coordinator->admin_token, [&](auto* ctx) {
    return api->CreateToken(ctx, token_req, &join);
  });
  if (!s.ok()) return Fail("CreateToken: " + s.error_message());

  std::vector<std::pair<std::string, gb::SigningKey>> enrolled;
  for (int i = 0; i < workers; ++i) {
    gb::SigningKey key = gb::GenerateSigningKey();
    gridbench::v1::EnrollRequest req;
    req.set_name(absl::StrCat("load-", i));
    req.set_public_key(key.public_key);
    req.mutable_hardware()->add_backends("blas");
    gridbench::v1::EnrollResponse resp;
    s = CallWithToken(join.token(), [&](auto* ctx) { return gateway->Enroll(ctx, req, &resp); });
    if (!s.ok()) return Fail("Enroll: " + s.error_message());
    enrolled.emplace_back(resp.worker_id(), std::move(key));
  }

  const int per_job = absl::GetFlag(FLAGS_tasks_per_job);
  std::vector<std::string> job_ids;
  for (int submitted = 0; submitted < results;) {
    gridbench::v1::SubmitJobRequest req;
    auto* job = req.mutable_job();
    job->set_name(absl::StrCat("load-", job_ids.size()));
    for (int i = 0; i < per_job && submitted < results; ++i, ++submitted) {
      auto* task = job->add_tasks();
      task->set_name(absl::StrCat("t", i));
      task->set_kind("gemm");
      auto& fields = *task->mutable_params()->mutable_fields();
      for (const char* dim : {"m", "n", "k"}) fields[dim].set_number_value(1);
    }
    gridbench::v1::SubmitJobResponse resp;
    s = CallWithToken(coordinator->admin_token,
                      [&](auto* ctx) { return api->SubmitJob(ctx, req, &resp); });
    if (!s.ok()) return Fail("SubmitJob: " + s.error_message());
    job_ids.push_back(resp.job_id());
  }

  gb::bench::LoadCounters counters;
  const std::string payload = Payload();
  std::vector<std::unique_ptr<gb::bench::LoadSession>> sessions;
  const double cpu_before = gb::bench::ProcessCpuSeconds(coordinator->pid);
  const double own_cpu_before = gb::bench::ProcessCpuSeconds(getpid());
  for (auto& [id, key] : enrolled) {
    sessions.push_back(
        std::make_unique<gb::bench::LoadSession>(gateway.get(), id, key, payload, &counters));
    sessions.back()->Start();
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_timeout));
  while (counters.results_accepted + counters.results_refused < results && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  const double coordinator_cpu = gb::bench::ProcessCpuSeconds(coordinator->pid) - cpu_before;
  const double own_cpu = gb::bench::ProcessCpuSeconds(getpid()) - own_cpu_before;
  for (auto& session : sessions) session->Stop();

  int64_t stored = 0;
  for (const std::string& job_id : job_ids) {
    gridbench::v1::GetResultsRequest req;
    req.set_job_id(job_id);
    gridbench::v1::GetResultsResponse resp;
    s = CallWithToken(coordinator->admin_token,
                      [&](auto* ctx) { return api->GetResults(ctx, req, &resp); });
    if (!s.ok()) return Fail("GetResults: " + s.error_message());
    stored += resp.results_size();
  }
  const int exit_status = gb::bench::StopCoordinator(*coordinator);
  const double seconds = (counters.last_ack_nanos - counters.first_send_nanos) / 1e9;
  std::cout << "workers (concurrent sessions)  " << workers << "\n"
            << "results sent                   " << counters.results_sent << "\n"
            << "results acknowledged (stored)  " << counters.results_accepted << "\n"
            << "results refused                " << counters.results_refused << "\n"
            << "results found in the store     " << stored << "\n"
            << "seconds, first send..last ack  " << seconds << "\n"
            << "committed results per second   " << counters.results_accepted / seconds << "\n"
            << "coordinator CPU seconds        " << coordinator_cpu << "\n"
            << "load generator CPU seconds     " << own_cpu << "\n"
            << "coordinator exit status        " << exit_status << "\n";
  std::filesystem::remove_all(dir);
  const bool ok = counters.results_accepted == results && stored == results;
  if (!ok) std::cerr << "result_load: not every result was acknowledged and stored\n";
  return ok ? 0 : 1;
}
