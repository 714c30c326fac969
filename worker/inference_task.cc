#include "worker/inference_task.h"

#include <sys/resource.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/blob_file.h"
#include "common/sample_summary.h"
#include "common/status_macros.h"
#include "kernels/llama/eval_args.h"
#include "kernels/llama/fidelity.h"
#include "kernels/llama/inference_run.h"
#include "kernels/llama/llama_cpu.h"
#include "kernels/llama/llama_vulkan.h"
#include "kernels/llama/model_footprint.h"
#include "kernels/parallel/thread_pool.h"
#include "worker/hardware_probe.h"
#include "worker/kernel_result.h"
#include "worker/peak_fraction.h"
#include "worker/quant_weights.h"
#include "worker/vulkan_task_device.h"

namespace gridbench::worker {
namespace {

namespace llama = kernels::llama;
using google::protobuf::Value;

// The model refused at Open can never run here or elsewhere: not retryable.
absl::StatusOr<llama::LlamaModel> OpenModel(const std::string& path, const char* role) {
  absl::StatusOr<llama::LlamaModel> model = llama::LlamaModel::Open(path);
  if (!model.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(role, " model: ", std::string(model.status().message())));
  }
  return model;
}

void AddBytes(const llama::WeightView& w, std::map<std::string, uint64_t>& bytes) {
  bytes[std::string(kernels::quant::QuantTypeName(w.type))] += w.rows * w.row_bytes();
}

// Bytes per weight type over every tensor the model holds.
std::map<std::string, uint64_t> BytesByType(const llama::LlamaModel& m) {
  std::map<std::string, uint64_t> bytes;
  AddBytes(m.token_embd(), bytes);
  for (const llama::LlamaLayer& l : m.layers()) {
    AddBytes(l.attn_norm, bytes);
    AddBytes(l.ffn_norm, bytes);
    for (const llama::LlamaLayer::Matrix& matrix : l.matrices()) AddBytes(*matrix.view, bytes);
  }
  AddBytes(m.output_norm(), bytes);
  if (m.output().data != m.token_embd().data) AddBytes(m.output(), bytes);
  return bytes;
}

// The type of most of the block matrices' bytes: what the model "is".
std::string BlockWeightType(const llama::LlamaModel& m) {
  std::map<std::string, uint64_t> bytes;
  for (const llama::LlamaLayer& l : m.layers()) {
    for (const llama::LlamaLayer::Matrix& matrix : l.matrices()) AddBytes(*matrix.view, bytes);
  }
  return std::max_element(bytes.begin(), bytes.end(),
                          [](const auto& a, const auto& b) { return a.second < b.second; })
      ->first;
}

uint64_t PeakRssBytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<uint64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB.
}

Value TokenList(const std::vector<int32_t>& tokens) {
  Value v;
  for (int32_t t : tokens) v.mutable_list_value()->add_values()->set_number_value(t);
  return v;
}

void SetRate(google::protobuf::Map<std::string, double>& metrics, const std::string& name,
             const std::vector<double>& seconds, int tokens) {
  if (seconds.empty() || tokens == 0) return;
  std::vector<double> rates;
  for (double s : seconds) rates.push_back(tokens / s);
  const gridbench::v1::Summary summary = SummarizeSamples(rates);
  metrics[name] = summary.median();
  metrics[name + "_min"] = summary.min();
  metrics[name + "_max"] = summary.max();
  metrics[name + "_stddev"] = summary.stddev();
}

void SetLatencies(google::protobuf::Map<std::string, double>& metrics,
                  const llama::InferenceMeasurement& m) {
  if (!m.token_seconds.empty()) {
    const gridbench::v1::Summary latency = SummarizeSamples(m.token_seconds);
    metrics["token_latency_ms_p50"] = latency.median() * 1e3;
    metrics["token_latency_ms_p90"] = latency.p90() * 1e3;
    metrics["token_latency_ms_p99"] = latency.p99() * 1e3;
    metrics["token_latency_ms_max"] = latency.max() * 1e3;
  }
  if (!m.first_token_seconds.empty()) {
    metrics["ttft_ms_median"] = SummarizeSamples(m.first_token_seconds).median() * 1e3;
  }
}

void SetModelDetails(const llama::LlamaModel& model, gridbench::v1::ResultPayload& out) {
  const llama::LlamaHparams& h = model.hparams();
  for (const auto& [name, value] :
       std::map<std::string, double>{{"dim", h.dim},
                                     {"layers", h.layers},
                                     {"heads", h.heads},
                                     {"kv_heads", h.kv_heads},
                                     {"ff", h.ff},
                                     {"vocab", h.vocab},
                                     {"context_length", h.context},
                                     {"rope_freq_base", h.rope_freq_base}}) {
    SetDetail(out, "model_" + name, value);
  }
  Value& types = (*out.mutable_details()->mutable_fields())["bytes_by_weight_type"];
  for (const auto& [type, bytes] : BytesByType(model)) {
    (*types.mutable_struct_value()->mutable_fields())[type].set_number_value(
        static_cast<double>(bytes));
  }
}

// The models of a run, opened and checked before anything runs.
struct CheckedModels {
  std::optional<llama::LlamaModel> model;
  std::optional<llama::LlamaModel> reference;  // Empty without params.reference.
  uint64_t model_file_bytes = 0;
  int context = 0;  // Positions the measured session needs.
};

llama::InferenceRunOptions RunOptions(const InferenceParams& p) {
  return {.prompt_tokens = p.prompt_tokens,
          .gen_tokens = p.gen_tokens,
          .repetitions = p.repetitions,
          .warmup = p.warmup,
          .seed = p.seed};
}

// Opens the model and the reference, and refuses what cannot run: a model
// the loader refuses, a context past the model's, different vocabularies,
// more memory than this machine has available.
absl::StatusOr<CheckedModels> OpenAndCheck(const InferenceParams& p, const TaskInputs& inputs) {
  CheckedModels c;
  GB_ASSIGN_OR_RETURN(const std::string model_path, inputs.LocalPath(p.model));
  GB_ASSIGN_OR_RETURN(c.model, OpenModel(model_path, "model"));
  GB_ASSIGN_OR_RETURN(c.model_file_bytes, FileSize(model_path));
  const llama::LlamaHparams& h = c.model->hparams();
  const bool compare = !p.reference.empty();
  c.context = std::max(llama::InferenceContext(RunOptions(p)), compare ? p.fidelity_tokens : 0);
  if (absl::Status s = llama::SessionContext(h, c.context).status(); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the run needs ", c.context, " positions: ", std::string(s.message())));
  }
  const int batch = std::max(p.prompt_tokens, compare ? p.fidelity_tokens : 1);
  uint64_t needed = llama::SessionResidentBytes(*c.model, c.model_file_bytes, c.context, batch);
  uint64_t file_bytes = c.model_file_bytes;
  if (compare) {
    GB_ASSIGN_OR_RETURN(const std::string ref_path, inputs.LocalPath(p.reference));
    GB_ASSIGN_OR_RETURN(c.reference, OpenModel(ref_path, "reference"));
    GB_ASSIGN_OR_RETURN(const uint64_t ref_bytes, FileSize(ref_path));
    if (c.reference->hparams().vocab != h.vocab) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the reference model's vocabulary (", c.reference->hparams().vocab,
          " tokens) differs from the model's (", h.vocab, "): they cannot be compared"));
    }
    GB_RETURN_IF_ERROR(llama::SessionContext(c.reference->hparams(), p.fidelity_tokens).status());
    needed +=
        llama::SessionResidentBytes(*c.reference, ref_bytes, p.fidelity_tokens, p.fidelity_tokens);
    file_bytes += ref_bytes;
  }
  GB_ASSIGN_OR_RETURN(const uint64_t available, ReadMeminfoBytes("MemAvailable"));
  GB_RETURN_IF_ERROR(CheckInferenceFitsInMemory(needed, file_bytes, available));
  return c;
}

// The result of the measured runs, before the backend adds its facts.
gridbench::v1::ResultPayload MeasurementResult(const InferenceParams& p,
                                               const llama::LlamaModel& model,
                                               uint64_t model_file_bytes,
                                               const llama::InferenceMeasurement& m,
                                               uint64_t peak_rss) {
  gridbench::v1::ResultPayload out;
  out.set_kind("inference");
  // The greedy token after the prompt: the same on every run of this model
  // and backend, so a wrong or skipped pass shows.
  out.set_checksum(absl::StrCat("first_token=", m.first_token));
  const std::vector<double>& samples = m.token_seconds.empty() ? m.prompt_seconds : m.token_seconds;
  for (double s : samples) out.add_samples_seconds(s);
  *out.mutable_summary() = SummarizeSamples(samples);
  auto& metrics = *out.mutable_metrics();
  SetRate(metrics, "pp_tokens_per_s", m.prompt_seconds, p.prompt_tokens);
  SetRate(metrics, "tg_tokens_per_s", m.generation_seconds, p.gen_tokens);
  SetLatencies(metrics, m);
  metrics["peak_rss_bytes"] = static_cast<double>(peak_rss);
  metrics["model_bytes"] = static_cast<double>(model_file_bytes);
  metrics["weight_bytes"] = static_cast<double>(model.weight_bytes());
  if (p.gen_tokens > 0) {
    const double bytes_per_token = llama::MeanBytesReadPerToken(model, p.gen_tokens);
    metrics["bytes_per_token"] = bytes_per_token;
    metrics[kWorkingSetMetric] = bytes_per_token;
    metrics["gbps_median"] = metrics["tg_tokens_per_s"] * bytes_per_token / 1e9;
  }
  (*out.mutable_environment())["weight_type"] = BlockWeightType(model);
  SetModelDetails(model, out);
  SetDetail(out, "seed", static_cast<double>(p.seed));
  SetDetail(out, "repetitions", p.repetitions);
  SetDetail(out, "warmup", p.warmup);
  SetDetail(out, "first_token", m.first_token);
  auto& details = *out.mutable_details()->mutable_fields();
  details["prompt_tokens"] = TokenList(m.prompt);
  details["generation_tokens"] = TokenList(m.generation);
  return out;
}

// Compares `session` with `reference` on the seeded fidelity tokens.
absl::Status AddFidelity(const InferenceParams& p, llama::LlamaSession& reference,
                         llama::LlamaSession& session, int vocab,
                         gridbench::v1::ResultPayload& out) {
  const std::vector<int32_t> tokens = llama::SeededTokens(vocab, p.fidelity_tokens, p.seed + 2);
  GB_ASSIGN_OR_RETURN(const llama::FidelityReport f,
                      llama::CompareSessions(reference, session, vocab, tokens));
  auto& metrics = *out.mutable_metrics();
  metrics["top1_agreement"] = f.top1_agreement;
  metrics["kl_mean"] = f.kl_mean;
  metrics["kl_max"] = f.kl_max;
  metrics["max_abs_logit_diff"] = f.max_abs_logit_diff;
  metrics["fidelity_positions"] = static_cast<double>(f.positions);
  (*out.mutable_details()->mutable_fields())["fidelity_tokens"] = TokenList(tokens);
  return absl::OkStatus();
}

class CpuSessions final : public InferenceTask::SessionSource {
 public:
  explicit CpuSessions(int threads) : pool_(threads) {}

  absl::StatusOr<std::unique_ptr<llama::LlamaSession>> NewSession(const llama::LlamaModel& model,
                                                                  int context) override {
    GB_ASSIGN_OR_RETURN(llama::LlamaCpuSession session,
                        llama::LlamaCpuSession::Create(model, &pool_, context));
    return std::make_unique<llama::LlamaCpuSession>(std::move(session));
  }

  void Describe(gridbench::v1::ResultPayload& result) const override {
    (*result.mutable_metrics())["threads"] = pool_.num_threads();
    (*result.mutable_environment())["quant_isa"] =
        std::string(kernels::quant::IsaName(kernels::quant::BestIsa()));
    DeclarePeakBound(result, kCpuTriadPeak);
  }

 private:
  kernels::ThreadPool pool_;
};

class VulkanSessions final : public InferenceTask::SessionSource {
 public:
  explicit VulkanSessions(std::unique_ptr<kernels::vulkan::Context> ctx) : ctx_(std::move(ctx)) {}

  absl::StatusOr<std::unique_ptr<llama::LlamaSession>> NewSession(const llama::LlamaModel& model,
                                                                  int context) override {
    absl::StatusOr<std::unique_ptr<llama::LlamaVulkanSession>> session =
        llama::LlamaVulkanSession::Create(model, *ctx_, context);
    if (!session.ok()) return OverDeviceLimits(session.status());
    return std::unique_ptr<llama::LlamaSession>(std::move(*session));
  }

  void Describe(gridbench::v1::ResultPayload& result) const override {
    AddVulkanDeviceFacts(*ctx_, result);
    DeclarePeakBound(result, kVulkanCopyPeak, ctx_->info().name);
  }

 private:
  std::unique_ptr<kernels::vulkan::Context> ctx_;
};

}  // namespace

absl::Status CheckInferenceFitsInMemory(uint64_t needed, uint64_t file_bytes, uint64_t available) {
  if (needed <= available) return absl::OkStatus();
  return absl::ResourceExhaustedError(absl::StrCat(
      "the run needs ", needed >> 20, " MiB resident (model files ", file_bytes >> 20,
      " MiB, KV caches and scratch), this worker has ", available >> 20, " MiB available"));
}

absl::StatusOr<gridbench::v1::ResultPayload> InferenceTask::Run(const gridbench::v1::TaskSpec& spec,
                                                                const TaskInputs& inputs,
                                                                ProgressReporter& progress) const {
  const int64_t started = absl::GetCurrentTimeNanos();
  GB_ASSIGN_OR_RETURN(const InferenceParams p, ParseInferenceParams(spec));
  GB_ASSIGN_OR_RETURN(const CheckedModels models, OpenAndCheck(p, inputs));
  const llama::LlamaModel& model = *models.model;

  GB_ASSIGN_OR_RETURN(const std::unique_ptr<SessionSource> source, OpenBackend(p));
  GB_ASSIGN_OR_RETURN(const std::unique_ptr<llama::LlamaSession> session,
                      source->NewSession(model, models.context));
  const double bench_share = models.reference ? 0.9 : 1.0;
  GB_ASSIGN_OR_RETURN(const llama::InferenceMeasurement m,
                      llama::MeasureInference(*session, model.hparams().vocab, RunOptions(p),
                                              [&](double fraction, const std::string& what) {
                                                progress.Report(fraction * bench_share, what);
                                              }));
  gridbench::v1::ResultPayload out =
      MeasurementResult(p, model, models.model_file_bytes, m, PeakRssBytes());
  (*out.mutable_environment())["backend"] = std::string(Backend());
  source->Describe(out);
  if (p.gen_tokens == 0) out.mutable_environment()->erase("peak_bound");

  if (models.reference) {
    progress.Report(bench_share, "fidelity against the reference");
    GB_ASSIGN_OR_RETURN(const std::unique_ptr<llama::LlamaSession> ref_session,
                        source->NewSession(*models.reference, p.fidelity_tokens));
    GB_RETURN_IF_ERROR(AddFidelity(p, *ref_session, *session, model.hparams().vocab, out));
    progress.Report(1.0, "fidelity measured");
  }
  out.set_started_unix_nanos(started);
  out.set_finished_unix_nanos(absl::GetCurrentTimeNanos());
  return out;
}

absl::StatusOr<std::unique_ptr<InferenceTask::SessionSource>> InferenceCpuTask::OpenBackend(
    const InferenceParams& p) const {
  GB_ASSIGN_OR_RETURN(const int threads, QuantThreads(p.threads));
  return std::make_unique<CpuSessions>(threads);
}

absl::StatusOr<std::unique_ptr<InferenceTask::SessionSource>> InferenceVulkanTask::OpenBackend(
    const InferenceParams& p) const {
  GB_ASSIGN_OR_RETURN(std::unique_ptr<kernels::vulkan::Context> ctx, OpenVulkanDevice(p.device));
  return std::make_unique<VulkanSessions>(std::move(ctx));
}

}  // namespace gridbench::worker
