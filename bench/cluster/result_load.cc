// result_load: how many signed results per second the coordinator verifies
// and durably commits, driven by many real worker sessions over loopback.
//
//   result_load --workers 1000 --results 40000
//
// It starts a real gridbench-coordinator (synchronous=FULL SQLite in a fresh
// directory), enrolls --workers keys, submits --results one-task-each gemm
// tasks, then opens every session at once, each on its own connection
// unless --connections says fewer. Each session answers its
// assignment at once with a freshly signed result, so the rate measured is
// the coordinator's: signature checks, lease checks, group commit, acks and
// the next assignment. Both processes share this machine's cores; the CPU
// each used per result is printed beside the rate, with the ack latency and
// the verify-only ceiling (Ed25519 verifications/s on all cores, measured
// first in the same run).
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/cluster/coordinator_process.h"
#include "bench/cluster/load_session.h"
#include "bench/thread_cpu_time.h"
#include "common/canonical_result.h"
#include "common/grpc_channel.h"
#include "gridbench/v1/gridbench.grpc.pb.h"

ABSL_FLAG(int, workers, 1000, "concurrent worker sessions");
ABSL_FLAG(int, results, 40000, "results to commit in total");
ABSL_FLAG(int, connections, 0,
          "TCP connections the sessions share (default: one per session, as real workers)");
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

struct VerifyCost {
  double per_second = 0;  // On all threads, by the wall clock.
  double cpu_micros = 0;  // CPU time of one verification.
};

// Ed25519 verifications of a result like the load's on `threads` threads for
// about `seconds`. cores / cpu_micros is the ceiling for a coordinator that
// did nothing but check signatures; per_second is that ceiling as the
// machine delivers it now (lower while other work shares the cores).
VerifyCost MeasureVerify(const std::string& payload, int threads, double seconds) {
  gb::SigningKey key = gb::GenerateSigningKey();
  gridbench::v1::SignedResult result;
  result.set_worker_id("w-0123456789abcdef");
  result.set_task_id("t-0123456789abcdef");
  result.set_attempt_id("a-0123456789abcdef");
  result.set_lease_id("l-0123456789abcdef");
  result.set_payload(payload);
  result.set_signature(gb::Sign(key, gb::CanonicalResultBytes(result)));
  std::atomic<int64_t> verified{0};
  std::atomic<int64_t> cpu_nanos{0};
  const absl::Time start = absl::Now();
  const absl::Time end = start + absl::Seconds(seconds);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      const double cpu_start = gb::bench::CallingThreadCpuSeconds();
      while (absl::Now() < end && gb::VerifyResultSignature(result, key.public_key).ok()) {
        verified++;
      }
      cpu_nanos += static_cast<int64_t>((gb::bench::CallingThreadCpuSeconds() - cpu_start) * 1e9);
    });
  }
  for (auto& thread : pool) thread.join();
  const double n = std::max<int64_t>(verified, 1);
  return {verified / absl::ToDoubleSeconds(absl::Now() - start), cpu_nanos / 1e3 / n};
}

// The `q` quantile (0..1) of `values`, in milliseconds.
double QuantileMillis(std::vector<int64_t>& values, double q) {
  if (values.empty()) return 0;
  const size_t k = std::min(values.size() - 1, static_cast<size_t>(q * values.size()));
  std::nth_element(values.begin(), values.begin() + k, values.end());
  return values[k] / 1e6;
}

// A process's threads that used the most CPU between two snapshots,
// grouped by name, each group with its busiest thread's share of one core
// over `seconds`: near 100% marks the stage that more cores cannot speed up.
std::string BusiestThreads(const std::map<pid_t, gb::bench::ThreadCpu>& before,
                           const std::map<pid_t, gb::bench::ThreadCpu>& after, double seconds) {
  struct Group {
    int threads = 0;
    double total = 0, busiest = 0;
  };
  std::map<std::string, Group> groups;
  for (const auto& [tid, thread] : after) {
    auto it = before.find(tid);
    const double used = thread.seconds - (it == before.end() ? 0 : it->second.seconds);
    Group& group = groups[thread.name];
    ++group.threads;
    group.total += used;
    group.busiest = std::max(group.busiest, used);
  }
  std::vector<std::pair<std::string, Group>> sorted(groups.begin(), groups.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.second.total > b.second.total; });
  std::string out;
  for (size_t i = 0; i < std::min<size_t>(sorted.size(), 6); ++i) {
    const auto& [name, group] = sorted[i];
    absl::StrAppendFormat(&out, "  %-16s x%-4d %7.2f CPU s, busiest %3.0f%% of a core\n", name,
                          group.threads, group.total, 100 * group.busiest / seconds);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (!gb::InitCrypto().ok()) return Fail("libsodium failed");
  const int workers = absl::GetFlag(FLAGS_workers), results = absl::GetFlag(FLAGS_results);
  const std::string payload = Payload();
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  const VerifyCost verify = MeasureVerify(payload, cores, 2.0);
  std::string binary = absl::GetFlag(FLAGS_coordinator);
  if (binary.empty()) {
    binary =
        (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "gridbench-coordinator")
            .string();
  }
  const std::string dir =
      std::filesystem::temp_directory_path() / absl::StrCat("gridbench-load-", getpid());
  std::filesystem::create_directories(dir);
  auto coordinator = gb::bench::StartCoordinator(
      binary, dir, "heartbeat_interval_seconds: 10\nlease_timeout_seconds: 120\n");
  if (!coordinator.ok()) return Fail(coordinator.status().ToString());
  gb::TlsFiles plaintext;
  plaintext.insecure = true;
  auto channel = *gb::MakeChannel(coordinator->address, plaintext);
  auto api = gridbench::v1::Gridbench::NewStub(channel);
  auto gateway = gridbench::v1::WorkerGateway::NewStub(channel);

  gridbench::v1::CreateTokenRequest token_req;
  token_req.set_role(gridbench::v1::ROLE_WORKER);
  gridbench::v1::CreateTokenResponse join;
  grpc::Status s = CallWithToken(
      coordinator->admin_token, [&](auto* ctx) { return api->CreateToken(ctx, token_req, &join); });
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

  const int connections = absl::GetFlag(FLAGS_connections) > 0
                              ? std::min(absl::GetFlag(FLAGS_connections), workers)
                              : workers;
  std::vector<std::unique_ptr<gridbench::v1::WorkerGateway::Stub>> session_stubs;
  for (int i = 0; i < connections; ++i) {
    session_stubs.push_back(gridbench::v1::WorkerGateway::NewStub(
        *gb::MakeChannel(coordinator->address, plaintext, /*own_connection=*/true)));
  }
  gb::bench::LoadCounters counters;
  std::vector<std::unique_ptr<gb::bench::LoadSession>> sessions;
  const double cpu_before = gb::bench::ProcessCpuSeconds(coordinator->pid);
  const auto threads_before = gb::bench::ThreadCpuSeconds(coordinator->pid);
  const auto own_threads_before = gb::bench::ThreadCpuSeconds(getpid());
  const absl::Time window_start = absl::Now();
  const double own_cpu_before = gb::bench::ProcessCpuSeconds(getpid());
  for (auto& [id, key] : enrolled) {
    auto* stub = session_stubs[sessions.size() % session_stubs.size()].get();
    sessions.push_back(std::make_unique<gb::bench::LoadSession>(stub, id, key, payload, &counters));
    sessions.back()->Start();
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_timeout));
  while (counters.results_accepted + counters.results_refused < results && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  const double coordinator_cpu = gb::bench::ProcessCpuSeconds(coordinator->pid) - cpu_before;
  const double window = absl::ToDoubleSeconds(absl::Now() - window_start);
  const std::string busiest =
      BusiestThreads(threads_before, gb::bench::ThreadCpuSeconds(coordinator->pid), window);
  const std::string own_busiest =
      BusiestThreads(own_threads_before, gb::bench::ThreadCpuSeconds(getpid()), window);
  const double own_cpu = gb::bench::ProcessCpuSeconds(getpid()) - own_cpu_before;
  std::vector<int64_t> latencies;
  for (auto& session : sessions) {
    session->Stop();
    const auto& own = session->ack_latency_nanos();
    latencies.insert(latencies.end(), own.begin(), own.end());
  }

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
  const double accepted = std::max<int64_t>(counters.results_accepted, 1);
  const double rate = counters.results_accepted / seconds;
  std::cout << "workers (concurrent sessions)       " << workers << "\n"
            << "TCP connections                     " << connections << "\n"
            << "results sent                        " << counters.results_sent << "\n"
            << "results acknowledged (stored)       " << counters.results_accepted << "\n"
            << "results refused                     " << counters.results_refused << "\n"
            << "results found in the store          " << stored << "\n"
            << "seconds, first send..last ack       " << seconds << "\n"
            << "committed results per second        " << rate << "\n"
            << "ack latency p50 / p99, ms           " << QuantileMillis(latencies, 0.5) << " / "
            << QuantileMillis(latencies, 0.99) << "\n"
            << "coordinator CPU seconds             " << coordinator_cpu << "\n"
            << "coordinator CPU us per result       " << coordinator_cpu * 1e6 / accepted << "\n"
            << "load generator CPU us per result    " << own_cpu * 1e6 / accepted << "\n"
            << "verify CPU us each                  " << verify.cpu_micros << "\n"
            << "verify-only ceiling, " << cores << " cores, /s   "
            << cores * 1e6 / verify.cpu_micros << " (as run: " << verify.per_second << ")\n"
            << "rate / verify-only ceiling          " << rate * verify.cpu_micros / (cores * 1e6)
            << "\n"
            << "coordinator exit status             " << exit_status << "\n"
            << "coordinator threads, busiest first:\n"
            << busiest << "load generator threads, busiest first:\n"
            << own_busiest;
  std::filesystem::remove_all(dir);
  const bool ok = counters.results_accepted == results && stored == results;
  if (!ok) std::cerr << "result_load: not every result was acknowledged and stored\n";
  return ok ? 0 : 1;
}
