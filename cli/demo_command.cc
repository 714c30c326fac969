// demo: starts a coordinator and a worker on this machine, uploads a small
// synthetic model, runs a job that quantizes it and benchmarks GEMM on every
// backend through them, then a job that runs the quantized models against
// the original, shows and verifies all results, and stops both.
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/child_process.h"
#include "cli/command.h"
#include "cli/connection.h"
#include "cli/format.h"
#include "cli/job_watch.h"
#include "cli/results.h"
#include "common/artifact_transfer.h"
#include "common/crypto.h"
#include "common/status_macros.h"
#include "kernels/model/synth_model.h"
#include "yaml-cpp/yaml.h"

namespace gridbench::cli {
namespace {

namespace fs = std::filesystem;

constexpr absl::Duration kStartTimeout = absl::Seconds(30);
constexpr absl::Duration kConnectTimeout = absl::Seconds(60);
constexpr absl::Duration kJobTimeout = absl::Minutes(5);
constexpr absl::Duration kStopGrace = absl::Seconds(20);
constexpr absl::Duration kPollInterval = absl::Milliseconds(50);
constexpr int kLogTailLines = 20;
constexpr char kWorkerName[] = "demo-worker";

// The demo model: a llama-architecture GGUF of about 3 MB, small enough that
// quantizing it takes well under a second on two cores.
kernels::model::LlamaSpec DemoModelSpec() {
  kernels::model::LlamaSpec spec;
  spec.dim = 256;
  spec.layers = 2;
  spec.heads = 4;
  spec.kv_heads = 2;
  spec.ff = 512;
  spec.vocab = 512;
  spec.seed = 1;
  spec.type = kernels::quant::QuantType::kF32;
  spec.name = "gridbench demo llama";
  return spec;
}

// Quantizes the demo model (artifact `model_id`) to Q8_0 and Q4_0 and runs
// GEMM on every backend the worker has; small enough to finish in seconds on
// two cores.
std::string DemoJobYaml(const std::string& model_id, bool with_vulkan) {
  std::string yaml = absl::StrCat(R"(name: demo
labels: {source: gridbench-demo}
tasks:
  - name: quantize-q8_0
    kind: quantize
    params: {input: ")",
                                  model_id, R"(", type: q8_0}
    timeout: 2m
  - name: quantize-q4_0
    kind: quantize
    params: {input: ")",
                                  model_id, R"(", type: q4_0}
    timeout: 2m
  - name: gemm-blas
    kind: gemm
    params: {m: 512, n: 512, k: 512, warmup: 1, repetitions: 5}
    requirements: {backend: blas, device: cpu}
    timeout: 2m
  - name: gemm-quant-q4_0
    kind: gemm
    params: {m: 512, n: 512, k: 512, weight_type: q4_0, warmup: 1, repetitions: 5}
    requirements: {backend: quant, device: cpu}
    timeout: 2m
)");
  if (with_vulkan) {
    absl::StrAppend(&yaml, R"(  - name: gemm-vulkan
    kind: gemm
    params: {m: 256, n: 256, k: 256, warmup: 1, repetitions: 5}
    requirements: {backend: vulkan}
    timeout: 2m
)");
  }
  return yaml;
}

// Runs the quantized models (artifacts by type) the way llama-bench does,
// each compared with the F32 original it came from; small enough to finish
// in seconds on two cores.
std::string DemoInferenceYaml(const std::string& original_id,
                              const std::map<std::string, std::string>& quantized_ids,
                              bool with_vulkan) {
  std::string yaml = R"(name: demo-inference
labels: {source: gridbench-demo}
tasks:
)";
  const auto add = [&](const std::string& type, const std::string& id, const std::string& backend) {
    absl::StrAppend(&yaml, "  - name: inference-", backend, "-", type, R"(
    kind: inference
    params: {model: ")",
                    id, R"(", reference: ")", original_id,
                    R"(", prompt_tokens: 64, gen_tokens: 16, repetitions: 3, fidelity_tokens: 64}
    requirements: {backend: )",
                    backend, R"(}
    timeout: 2m
)");
  };
  for (const auto& [type, id] : quantized_ids) add(type, id, "cpu");
  if (with_vulkan) {
    for (const auto& [type, id] : quantized_ids) add(type, id, "vulkan");
  }
  return yaml;
}

absl::Status WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path.string()));
  return absl::OkStatus();
}

// The file's text without surrounding blanks; "" while it does not exist.
std::string ReadTrimmed(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(text.str()));
}

absl::StatusOr<fs::path> MakeDemoDir(const std::string& requested) {
  std::error_code ec;
  if (!requested.empty()) {
    fs::create_directories(requested, ec);
    // Absolute, because the configs written there are read by other processes.
    const fs::path dir = ec ? fs::path() : fs::absolute(requested, ec);
    if (ec)
      return absl::InternalError(absl::StrCat("cannot create ", requested, ": ", ec.message()));
    return dir;
  }
  std::string pattern = (fs::temp_directory_path(ec) / "gridbench-demo-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", pattern, ": ", std::strerror(errno)));
  }
  return fs::path(pattern);
}

void LogSettings(YAML::Emitter& e) {
  e << YAML::Key << "log" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "level"
    << YAML::Value << "info" << YAML::Key << "format" << YAML::Value << "text" << YAML::EndMap;
}

class Demo {
 public:
  Demo(CommandContext& ctx, fs::path dir) : ctx_(ctx), dir_(std::move(dir)) {}

  absl::Status Run() {
    GB_RETURN_IF_ERROR(Step("start the coordinator", [&] { return StartCoordinator(); }));
    GB_RETURN_IF_ERROR(Step("start a worker", [&] { return StartWorker(); }));
    GB_RETURN_IF_ERROR(
        Step("synthesize a model and upload it", [&] { return SynthesizeAndUpload(); }));
    GB_RETURN_IF_ERROR(Step("run the demo job", [&] {
      return RunJob("demo-job.yaml", DemoJobYaml(model_id_, worker_has_vulkan_));
    }));
    GB_RETURN_IF_ERROR(Step("run the quantized models against the original", [&] {
      GB_ASSIGN_OR_RETURN(const auto quantized, QuantizedModels(job_ids_.front()));
      return RunJob("demo-inference.yaml",
                    DemoInferenceYaml(model_id_, quantized, worker_has_vulkan_));
    }));
    GB_RETURN_IF_ERROR(Step("verify the results", [&] { return Verify(); }));
    return absl::OkStatus();
  }

  // Blocks until SIGINT or SIGTERM (which the caller has blocked).
  void WaitWhileKept() {
    ctx_.out << "\nThe coordinator and worker keep running (--keep). In another terminal:\n"
             << "  export GRIDBENCH_COORDINATOR=" << address_
             << " GRIDBENCH_TOKEN_FILE=" << (dir_ / "coordinator" / "admin.token").string()
             << "\n  gridbench --insecure jobs\nPress Ctrl-C to stop them.\n";
    ctx_.out.flush();
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    int signal = 0;
    sigwait(&signals, &signal);
  }

  // Stops the worker, then the coordinator; OK when both exit cleanly.
  absl::Status StopAll() {
    absl::Status status;
    for (auto* child : {&worker_, &coordinator_}) {
      if (*child == nullptr) continue;
      const std::string name = child == &worker_ ? "worker" : "coordinator";
      if (absl::Status s = (*child)->Stop(kStopGrace); !s.ok()) {
        ctx_.err << "the " << name << " did not stop cleanly: " << s.message() << "\n";
        ShowLog((*child)->log_path());
        status.Update(absl::InternalError(absl::StrCat("stopping the ", name, ": ", s.message())));
      }
      child->reset();
    }
    return status;
  }

  void PrintWhereThingsAre() {
    ctx_.out << "\nEverything is kept in " << dir_.string() << ":\n";
    const std::pair<const char*, fs::path> files[] = {
        {"database", dir_ / "coordinator" / "gridbench.db"},
        {"coordinator log", dir_ / "coordinator.log"},
        {"worker log", dir_ / "worker.log"},
        {"job file", dir_ / "demo-job.yaml"},
        {"inference job", dir_ / "demo-inference.yaml"},
        {"model", dir_ / "model-f32.gguf"}};
    for (const auto& [what, path] : files) {
      std::error_code ec;
      if (fs::exists(path, ec))
        ctx_.out << "  " << std::left << std::setw(17) << what << path.string() << "\n";
    }
  }

 private:
  // Runs one step; on failure names it and shows the end of the log of the
  // process the step was about.
  absl::Status Step(const std::string& what, const std::function<absl::Status()>& fn) {
    ctx_.out << "==> " << what << "\n";
    ctx_.out.flush();
    absl::Status status = fn();
    if (status.ok()) return status;
    ctx_.err << "demo step '" << what << "' failed\n";
    ShowLog((dir_ / (log_of_step_ + ".log")).string());
    return absl::Status(status.code(), absl::StrCat(what, ": ", status.message()));
  }

  // Shows the end of a log once, if it has anything in it.
  void ShowLog(const std::string& path) {
    const std::string tail = TailOfFile(path, kLogTailLines);
    if (tail.empty() || !shown_logs_.insert(path).second) return;
    ctx_.err << "--- last lines of " << path << "\n" << tail << "---\n";
  }

  // Calls `ready` every kPollInterval until it returns true, an error, or
  // `timeout` passes; fails early when `child` ends.
  absl::Status PollUntil(absl::Duration timeout, ChildProcess& child, const std::string& what,
                         const std::function<absl::StatusOr<bool>()>& ready) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      GB_ASSIGN_OR_RETURN(bool done, ready());
      if (done) return absl::OkStatus();
      if (auto ended = child.Ended()) {
        return absl::InternalError(absl::StrCat(fs::path(child.log_path()).stem().string(), " ",
                                                *ended, " while waiting for ", what));
      }
      if (absl::Now() > deadline) {
        return absl::DeadlineExceededError(
            absl::StrCat("gave up after ", absl::FormatDuration(timeout), " waiting for ", what));
      }
      absl::SleepFor(kPollInterval);
    }
  }

  absl::StatusOr<std::unique_ptr<ChildProcess>> Launch(const std::string& program,
                                                       const fs::path& config) {
    const fs::path binary = fs::path(ctx_.self_executable).parent_path() / program;
    if (::access(binary.c_str(), X_OK) != 0) {
      return absl::FailedPreconditionError(absl::StrCat(program,
                                                        " not found beside gridbench (looked for ",
                                                        binary.string(), "); build it first"));
    }
    return ChildProcess::Start(binary.string(), {"--config", config.string()},
                               (dir_ / (log_of_step_ + ".log")).string());
  }

  absl::Status StartCoordinator() {
    log_of_step_ = "coordinator";
    const fs::path data = dir_ / "coordinator";
    std::error_code ec;
    fs::create_directories(data, ec);
    fs::remove(data / "coordinator.addr", ec);  // Left by an earlier demo in the same --dir.
    YAML::Emitter e;
    e << YAML::BeginMap << YAML::Key << "listen" << YAML::Value << "127.0.0.1:0" << YAML::Key
      << "data_dir" << YAML::Value << data.string() << YAML::Key << "insecure" << YAML::Value
      << true << YAML::Key << "heartbeat_interval_seconds" << YAML::Value << 1 << YAML::Key
      << "lease_timeout_seconds" << YAML::Value << 10 << YAML::Key << "reconnect_grace_seconds"
      << YAML::Value << 10;
    LogSettings(e);
    e << YAML::EndMap;
    GB_RETURN_IF_ERROR(WriteFile(dir_ / "coordinator.yaml", std::string(e.c_str()) + "\n"));
    GB_ASSIGN_OR_RETURN(coordinator_, Launch("gridbench-coordinator", dir_ / "coordinator.yaml"));
    std::string token;
    GB_RETURN_IF_ERROR(PollUntil(kStartTimeout, *coordinator_, "coordinator.addr and admin.token",
                                 [&]() -> absl::StatusOr<bool> {
                                   address_ = ReadTrimmed(data / "coordinator.addr");
                                   token = ReadTrimmed(data / "admin.token");
                                   return !address_.empty() && !token.empty();
                                 }));
    ctx_.out << "    listening on " << address_ << " (pid " << coordinator_->pid() << ")\n";
    GlobalOptions global;
    global.coordinator = address_;
    global.token = token;
    global.insecure = true;
    GB_ASSIGN_OR_RETURN(Connection conn, Connection::Open(global));
    conn_ = std::make_unique<Connection>(std::move(conn));
    return absl::OkStatus();
  }

  absl::Status StartWorker() {
    log_of_step_ = "worker";
    gridbench::v1::CreateTokenRequest request;
    request.set_role(gridbench::v1::ROLE_WORKER);
    request.set_one_time(true);
    request.set_ttl_seconds(absl::ToDoubleSeconds(kConnectTimeout) * 10);
    request.set_description("gridbench demo worker");
    GB_ASSIGN_OR_RETURN(auto join, conn_->Call(&Connection::Stub::CreateToken, request));
    YAML::Emitter e;
    e << YAML::BeginMap << YAML::Key << "coordinator" << YAML::Value << address_ << YAML::Key
      << "name" << YAML::Value << kWorkerName << YAML::Key << "state_dir" << YAML::Value
      << (dir_ / "worker").string() << YAML::Key << "join_token" << YAML::Value << join.token()
      << YAML::Key << "insecure" << YAML::Value << true;
    LogSettings(e);
    e << YAML::EndMap;
    GB_RETURN_IF_ERROR(WriteFile(dir_ / "worker.yaml", std::string(e.c_str()) + "\n"));
    GB_ASSIGN_OR_RETURN(worker_, Launch("gridbench-worker", dir_ / "worker.yaml"));
    GB_RETURN_IF_ERROR(PollUntil(kConnectTimeout, *worker_, "the worker to connect",
                                 [&]() -> absl::StatusOr<bool> { return WorkerConnected(); }));
    ctx_.out << "    " << kWorkerName << " connected (pid " << worker_->pid() << ")\n";
    return absl::OkStatus();
  }

  absl::StatusOr<bool> WorkerConnected() {
    GB_ASSIGN_OR_RETURN(auto reply, conn_->Call(&Connection::Stub::ListWorkers,
                                                gridbench::v1::ListWorkersRequest()));
    for (const auto& w : reply.workers()) {
      if (w.name() == kWorkerName && w.state() == gridbench::v1::WORKER_STATE_CONNECTED) {
        const auto& backends = w.hardware().backends();
        worker_has_vulkan_ =
            std::find(backends.begin(), backends.end(), "vulkan") != backends.end();
        return true;
      }
    }
    return false;
  }

  absl::Status SynthesizeAndUpload() {
    log_of_step_ = "coordinator";
    const fs::path model = dir_ / "model-f32.gguf";
    GB_RETURN_IF_ERROR(kernels::model::WriteSyntheticLlama(DemoModelSpec(), model.string()));
    auto stub = gridbench::v1::Artifacts::NewStub(conn_->channel());
    GB_ASSIGN_OR_RETURN(
        gridbench::v1::ArtifactInfo info,
        UploadArtifactFile(*stub, conn_->TransferOptions(), model.string(), "demo-llama-f32"));
    model_id_ = info.artifact_id();
    ctx_.out << "    " << model.filename().string() << " (" << info.size_bytes() << " bytes) is "
             << model_id_ << "\n";
    if (!worker_has_vulkan_) {
      ctx_.out << "    the worker found no Vulkan device: the job leaves out gemm-vulkan\n";
    }
    return absl::OkStatus();
  }

  // Writes `job` to dir_/file_name, submits it and follows it to the end.
  absl::Status RunJob(const std::string& file_name, const std::string& job) {
    GB_RETURN_IF_ERROR(WriteFile(dir_ / file_name, job));
    gridbench::v1::SubmitJobRequest request;
    request.set_job_yaml(job);
    request.set_job_file_name(file_name);
    GB_ASSIGN_OR_RETURN(auto submitted, conn_->Call(&Connection::Stub::SubmitJob, request));
    const std::string& job_id = submitted.job_id();
    job_ids_.push_back(job_id);
    ctx_.out << "    job " << job_id << "\n";
    GB_ASSIGN_OR_RETURN(gridbench::v1::JobState state,
                        FollowJob(*conn_, job_id, ctx_.out, ctx_.out_is_terminal, kJobTimeout));
    if (state != gridbench::v1::JOB_STATE_SUCCEEDED) {
      return absl::AbortedError(absl::StrCat("job ", job_id, " ended ", StateName(state),
                                             "; see 'gridbench job ", job_id, "'"));
    }
    return absl::OkStatus();
  }

  // The output artifact of each quantize task of `job_id`, by type.
  absl::StatusOr<std::map<std::string, std::string>> QuantizedModels(const std::string& job_id) {
    GB_ASSIGN_OR_RETURN(JobResults results, FetchJobResults(*conn_, job_id));
    std::map<std::string, std::string> ids;
    for (const gridbench::v1::StoredResult& r : results.results) {
      gridbench::v1::ResultPayload payload;
      if (!payload.ParseFromString(r.signed_().payload()) || payload.kind() != "quantize") continue;
      for (const gridbench::v1::ArtifactUse& a : payload.artifacts()) {
        if (a.role() == "output") ids[payload.environment().at("quantize_type")] = a.artifact_id();
      }
    }
    if (ids.empty()) return absl::NotFoundError(absl::StrCat("job ", job_id, " made no model"));
    return ids;
  }

  absl::Status Verify() {
    JobResults results;
    for (const std::string& job_id : job_ids_) {
      GB_ASSIGN_OR_RETURN(JobResults one, FetchJobResults(*conn_, job_id));
      // One table: the first job, with every job's tasks, so each row finds
      // its task's parameters.
      if (results.results.empty()) {
        results.job = one.job;
      } else {
        for (const auto& task : one.job.tasks()) *results.job.add_tasks() = task;
      }
      for (auto& r : one.results) results.results.push_back(std::move(r));
    }
    ctx_.out << "\n";
    PrintResults(results, ResultFormat::kTable, ctx_.out);
    const VerifyReport report = VerifyResults(results, ctx_.err);
    if (report.checked == 0 || report.failed > 0) {
      return absl::DataLossError(
          absl::StrCat(report.failed, " of ", report.checked, " result signatures did not verify"));
    }
    ctx_.out << "\nall " << report.checked << " result signatures verify\n";
    return absl::OkStatus();
  }

  CommandContext& ctx_;
  const fs::path dir_;
  std::string log_of_step_ = "coordinator";  // "coordinator" or "worker".
  std::string address_;
  std::vector<std::string> job_ids_;  // In the order they ran.
  std::string model_id_;
  bool worker_has_vulkan_ = false;
  std::set<std::string> shown_logs_;
  std::unique_ptr<Connection> conn_;
  // Declared last: destroyed first, so the children are stopped on every path.
  std::unique_ptr<ChildProcess> coordinator_;
  std::unique_ptr<ChildProcess> worker_;
};

absl::StatusOr<ExitCode> RunDemo(CommandContext& ctx) {
  const bool keep = ctx.args.Has("keep");
  if (keep) {
    // Blocked before any gRPC thread starts, so every thread inherits the
    // mask and WaitWhileKept's sigwait is the one place they arrive.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  }
  GB_RETURN_IF_ERROR(InitCrypto());
  GB_ASSIGN_OR_RETURN(fs::path dir, MakeDemoDir(ctx.args.Value("dir")));
  ctx.out << "demo directory " << dir.string() << "\n";
  Demo demo(ctx, dir);
  absl::Status status = demo.Run();
  if (status.ok() && keep) demo.WaitWhileKept();
  ctx.out << "==> stop the worker and the coordinator\n";
  status.Update(demo.StopAll());
  demo.PrintWhereThingsAre();
  if (!status.ok()) return status;
  return ExitCode::kOk;
}

}  // namespace

std::vector<Command> DemoCommands() {
  return {{"demo",
           "",
           "Run a coordinator and a worker here and put a small job through them",
           "Starts gridbench-coordinator and gridbench-worker from the directory gridbench\n"
           "is in, synthesizes a small llama model and uploads it, submits a job that\n"
           "quantizes it to Q8_0 and Q4_0 and runs GEMM on blas, quant and (when the\n"
           "worker has a Vulkan device, software ones included) vulkan, then a job that\n"
           "runs each quantized model (pp64, tg16) with its fidelity against the F32\n"
           "original measured on the same tokens, follows both, prints and verifies\n"
           "their results, then stops both processes and prints where the database,\n"
           "logs and model are.",
           {{"dir", "DIR", "Work in DIR (default: a new /tmp/gridbench-demo-XXXXXX)", {}},
            {"keep", "", "Keep the coordinator and worker running until Ctrl-C", {}}},
           0,
           0,
           RunDemo}};
}

}  // namespace gridbench::cli
