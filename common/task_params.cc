#include "common/task_params.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/param_reader.h"

namespace gridbench {
namespace {

constexpr int64_t kMaxSeed = int64_t{1} << 53;  // Exact in a JSON number.
constexpr int64_t kMaxDeviceIndex = 63;

absl::Status ErrorsToStatus(const std::vector<std::string>& errors) {
  if (errors.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(errors, "; "));
}

// requirements.backend must be one of the kind's backends; returns the one
// the task runs on.
std::string CheckBackend(const gridbench::v1::TaskSpec& task, std::vector<std::string>& errors) {
  const std::vector<std::string> backends = BackendsOfKind(task.kind());
  const std::string& asked = task.requirements().backend();
  if (asked.empty()) return backends.empty() ? "" : backends.front();
  if (std::find(backends.begin(), backends.end(), asked) != backends.end()) return asked;
  if (backends.empty()) {
    errors.push_back(absl::StrCat("requirements.backend: kind ", task.kind(),
                                  " takes no backend, got \"", asked, "\""));
    return "";
  }
  errors.push_back(absl::StrCat("requirements.backend: kind ", task.kind(), " runs on backend ",
                                absl::StrJoin(backends, " | "), ", got \"", asked, "\""));
  return backends.front();
}

TimingParams ReadTiming(ParamReader& r) {
  TimingParams t;
  t.warmup = static_cast<int>(r.Integer("warmup", 0, 1000, 2));
  t.repetitions = static_cast<int>(r.Integer("repetitions", 1, 100000, 10));
  t.min_time_seconds = r.Number("min_time_seconds", 0, 86400, 0);
  t.seed = static_cast<uint64_t>(r.Integer("seed", 0, kMaxSeed, 1));
  return t;
}

// threads for the CPU backends, device for vulkan; each refused elsewhere.
void ReadPlacement(ParamReader& r, const std::string& backend, int& threads, std::string& device) {
  if (backend == "vulkan") {
    device = r.NameOrIndex("device", kMaxDeviceIndex);
    r.Refuse("threads", "not used by backend vulkan (the device decides)");
  } else {
    threads = static_cast<int>(r.Integer("threads", 0, 4096, 0));
    r.Refuse("device", absl::StrCat("only for backend vulkan, not ", backend));
  }
}

// `length` (named `field`) must be a whole number of `weight_type` blocks.
void CheckBlocks(ParamReader& r, std::string_view field, int64_t length,
                 const std::string& weight_type) {
  const int block = WeightTypeBlockValues(weight_type);
  if (length > 0 && block > 0 && length % block != 0) {
    r.Fail(field, absl::StrCat("must be a multiple of ", block, " for weight_type ", weight_type,
                               ", got ", length));
  }
}

GemmParams ReadGemm(const gridbench::v1::TaskSpec& task, std::vector<std::string>& errors) {
  GemmParams p;
  p.backend = CheckBackend(task, errors);
  ParamReader r(task.params(), errors);
  p.m = r.Integer("m", 1, 32768);
  p.n = r.Integer("n", 1, 32768);
  p.k = r.Integer("k", 1, 32768);
  ReadPlacement(r, p.backend, p.threads, p.device);
  if (p.backend == "quant") {
    p.weight_type = r.Choice("weight_type", {"q8_0", "q4_0", "q4_k", "q6_k"}, "q8_0");
    CheckBlocks(r, "k", p.k, p.weight_type);
  } else {
    r.Refuse("weight_type", absl::StrCat("only for backend quant, not ", p.backend));
  }
  p.timing = ReadTiming(r);
  r.Finish();
  return p;
}

GemvParams ReadGemv(const gridbench::v1::TaskSpec& task, std::vector<std::string>& errors) {
  GemvParams p;
  p.backend = CheckBackend(task, errors);
  ParamReader r(task.params(), errors);
  p.rows = r.Integer("rows", 1, 65536);
  p.cols = r.Integer("cols", 1, 65536);
  if (p.backend == "vulkan") {
    p.weight_type = r.Choice("weight_type", {"q8_0", "q4_0"}, "q8_0");
  } else {
    p.weight_type = r.Choice("weight_type", {"q8_0", "q4_0", "q4_k", "q6_k"}, "q8_0");
  }
  CheckBlocks(r, "cols", p.cols, p.weight_type);
  ReadPlacement(r, p.backend, p.threads, p.device);
  p.timing = ReadTiming(r);
  r.Finish();
  return p;
}

PeakParams ReadPeak(const gridbench::v1::TaskSpec& task, std::vector<std::string>& errors) {
  (void)CheckBackend(task, errors);
  ParamReader r(task.params(), errors);
  PeakParams p;
  p.seconds = r.Number("seconds", 0.01, 10, 0.2);
  p.cpu = r.Bool("cpu", true);
  p.vulkan = r.Bool("vulkan", true);
  if (!p.cpu && !p.vulkan) r.Fail("cpu", "cpu and vulkan are both false: nothing to measure");
  r.Finish();
  return p;
}

FileReadParams ReadFileRead(const gridbench::v1::TaskSpec& task, std::vector<std::string>& errors) {
  (void)CheckBackend(task, errors);
  ParamReader r(task.params(), errors);
  FileReadParams p;
  p.input = r.ArtifactId("input");
  p.repetitions = static_cast<int>(r.Integer("repetitions", 1, 1000, 3));
  p.write_samples = r.Bool("write_samples", false);
  r.Finish();
  return p;
}

QuantizeParams ReadQuantize(const gridbench::v1::TaskSpec& task, std::vector<std::string>& errors) {
  (void)CheckBackend(task, errors);
  ParamReader r(task.params(), errors);
  QuantizeParams p;
  p.input = r.ArtifactId("input");
  p.type = r.Choice("type", {"q8_0", "q4_0", "q4_k", "q6_k"}, "");
  if (!r.Has("type")) r.Fail("type", "required (one of q8_0, q4_0, q4_k, q6_k)");
  p.keep = r.StringList("keep", 64, p.keep);
  p.threads = static_cast<int>(r.Integer("threads", 0, 4096, 0));
  r.Finish();
  return p;
}

InferenceParams ReadInference(const gridbench::v1::TaskSpec& task,
                              std::vector<std::string>& errors) {
  InferenceParams p;
  p.backend = CheckBackend(task, errors);
  ParamReader r(task.params(), errors);
  p.model = r.ArtifactId("model");
  if (r.Has("reference")) p.reference = r.ArtifactId("reference");
  p.prompt_tokens = static_cast<int>(r.Integer("prompt_tokens", 0, 65536, 512));
  p.gen_tokens = static_cast<int>(r.Integer("gen_tokens", 0, 65536, 128));
  if (p.prompt_tokens == 0 && p.gen_tokens == 0) {
    r.Fail("gen_tokens", "prompt_tokens and gen_tokens are both 0: nothing to measure");
  }
  p.repetitions = static_cast<int>(r.Integer("repetitions", 1, 1000, 5));
  p.warmup = static_cast<int>(r.Integer("warmup", 0, 100, 1));
  p.fidelity_tokens = static_cast<int>(r.Integer("fidelity_tokens", 1, 4096, 128));
  if (r.Has("fidelity_tokens") && p.reference.empty()) {
    r.Fail("fidelity_tokens", "only used with a reference model");
  }
  p.seed = static_cast<uint64_t>(r.Integer("seed", 0, kMaxSeed, 1));
  ReadPlacement(r, p.backend, p.threads, p.device);
  r.Finish();
  return p;
}

// Runs `read` and returns its result if it reported no errors.
template <typename Read>
auto Parse(const gridbench::v1::TaskSpec& task, Read read)
    -> absl::StatusOr<decltype(read(task, std::declval<std::vector<std::string>&>()))> {
  std::vector<std::string> errors;
  auto params = read(task, errors);
  if (!errors.empty()) return ErrorsToStatus(errors);
  return params;
}

}  // namespace

std::vector<std::string> KnownTaskKinds() {
  return {"gemm", "gemv", "peak", "quantize", "inference", "file_read"};
}

std::vector<std::string> BackendsOfKind(const std::string& kind) {
  if (kind == "gemm") return {"blas", "vulkan", "quant"};
  if (kind == "gemv") return {"quant", "vulkan"};
  if (kind == "inference") return {"cpu", "vulkan"};
  return {};
}

std::string EffectiveBackend(const gridbench::v1::TaskSpec& task) {
  if (!task.requirements().backend().empty()) return task.requirements().backend();
  const std::vector<std::string> backends = BackendsOfKind(task.kind());
  return backends.empty() ? "" : backends.front();
}

int WeightTypeBlockValues(const std::string& weight_type) {
  if (weight_type == "q8_0" || weight_type == "q4_0") return 32;
  if (weight_type == "q4_k" || weight_type == "q6_k") return 256;
  return 0;
}

absl::Status ValidateTaskParams(const gridbench::v1::TaskSpec& task) {
  std::vector<std::string> errors;
  if (task.kind() == "gemm") {
    (void)ReadGemm(task, errors);
  } else if (task.kind() == "gemv") {
    (void)ReadGemv(task, errors);
  } else if (task.kind() == "peak") {
    (void)ReadPeak(task, errors);
  } else if (task.kind() == "quantize") {
    (void)ReadQuantize(task, errors);
  } else if (task.kind() == "inference") {
    (void)ReadInference(task, errors);
  } else if (task.kind() == "file_read") {
    (void)ReadFileRead(task, errors);
  } else {
    errors.push_back(absl::StrCat("kind: \"", task.kind(), "\" is not one of ",
                                  absl::StrJoin(KnownTaskKinds(), ", ")));
  }
  return ErrorsToStatus(errors);
}

absl::StatusOr<GemmParams> ParseGemmParams(const gridbench::v1::TaskSpec& task) {
  return Parse(task, ReadGemm);
}

absl::StatusOr<GemvParams> ParseGemvParams(const gridbench::v1::TaskSpec& task) {
  return Parse(task, ReadGemv);
}

absl::StatusOr<PeakParams> ParsePeakParams(const gridbench::v1::TaskSpec& task) {
  return Parse(task, ReadPeak);
}

absl::StatusOr<FileReadParams> ParseFileReadParams(const gridbench::v1::TaskSpec& task) {
  return Parse(task, ReadFileRead);
}

absl::StatusOr<QuantizeParams> ParseQuantizeParams(const gridbench::v1::TaskSpec& task) {
  return Parse(task, ReadQuantize);
}

absl::StatusOr<InferenceParams> ParseInferenceParams(const gridbench::v1::TaskSpec& task) {
  return Parse(task, ReadInference);
}

std::vector<ArtifactParam> ArtifactParamsOf(const gridbench::v1::TaskSpec& task) {
  if (task.kind() == "quantize") {
    absl::StatusOr<QuantizeParams> p = ParseQuantizeParams(task);
    if (p.ok()) return {{"input", p->input}};
  }
  if (task.kind() == "file_read") {
    absl::StatusOr<FileReadParams> p = ParseFileReadParams(task);
    if (p.ok()) return {{"input", p->input}};
  }
  if (task.kind() == "inference") {
    absl::StatusOr<InferenceParams> p = ParseInferenceParams(task);
    if (!p.ok()) return {};
    if (p->reference.empty()) return {{"model", p->model}};
    return {{"model", p->model}, {"reference", p->reference}};
  }
  return {};
}

std::vector<std::string> ArtifactIdsOf(const gridbench::v1::TaskSpec& task) {
  std::vector<std::string> ids;
  for (ArtifactParam& a : ArtifactParamsOf(task)) ids.push_back(std::move(a.artifact_id));
  return ids;
}

}  // namespace gridbench
