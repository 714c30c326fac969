#include "worker/quantize_task.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/artifact_id.h"
#include "common/sample_summary.h"
#include "common/status_macros.h"
#include "common/task_params.h"
#include "kernels/model_quant/model_quantizer.h"

namespace gridbench::worker {
namespace {

namespace model_quant = kernels::model_quant;
using google::protobuf::Struct;
using google::protobuf::Value;

void SetError(const kernels::quant::QuantErrorReport& error,
              google::protobuf::Map<std::string, double>& metrics) {
  metrics["rmse"] = error.rmse;
  metrics["relative_rmse"] = error.relative_rmse;
  metrics["max_abs_error"] = error.max_abs_error;
  metrics["snr_db"] = error.snr_db;
  metrics["cosine_similarity"] = error.cosine_similarity;
}

Value NumberValue(double v) {
  Value value;
  value.set_number_value(v);
  return value;
}

Value StringValue(std::string s) {
  Value value;
  value.set_string_value(std::move(s));
  return value;
}

// One tensor's line in details.tensors.
Value TensorDetails(const model_quant::TensorQuantizeReport& t) {
  Value entry;
  auto& fields = *entry.mutable_struct_value()->mutable_fields();
  fields["name"] = StringValue(t.name);
  Value& shape = fields["shape"];
  for (int64_t d : t.shape) *shape.mutable_list_value()->add_values() = NumberValue(d);
  fields["input_type"] = StringValue(std::string(kernels::quant::QuantTypeName(t.input_type)));
  fields["output_type"] = StringValue(std::string(kernels::quant::QuantTypeName(t.output_type)));
  fields["input_bytes"] = NumberValue(static_cast<double>(t.input_bytes));
  fields["output_bytes"] = NumberValue(static_cast<double>(t.output_bytes));
  if (!t.note.empty()) fields["note"] = StringValue(t.note);
  if (t.error.count > 0) {
    google::protobuf::Map<std::string, double> error;
    SetError(t.error, error);
    for (const auto& [name, v] : error) fields[name] = NumberValue(v);
  }
  return entry;
}

gridbench::v1::ResultPayload ToPayload(const model_quant::ModelQuantizeReport& report,
                                       const QuantizeParams& p, int threads,
                                       const FileArtifactId& output, const std::string& name) {
  gridbench::v1::ResultPayload out;
  out.set_kind("quantize");
  out.add_samples_seconds(report.seconds);
  const double samples[] = {report.seconds};
  *out.mutable_summary() = SummarizeSamples(samples);
  auto& metrics = *out.mutable_metrics();
  metrics["input_bytes"] = static_cast<double>(report.input_file_bytes);
  metrics["output_bytes"] = static_cast<double>(report.output_file_bytes);
  metrics["size_ratio"] =
      static_cast<double>(report.output_file_bytes) / static_cast<double>(report.input_file_bytes);
  if (report.seconds > 0) {
    metrics["input_mb_per_s"] = static_cast<double>(report.input_file_bytes) / report.seconds / 1e6;
  }
  metrics["quantized_tensors"] = static_cast<double>(report.quantized_tensors);
  metrics["threads"] = threads;
  SetError(report.error, metrics);
  (*out.mutable_environment())["quantize_type"] = p.type;
  Value& tensors = (*out.mutable_details()->mutable_fields())["tensors"];
  for (const auto& t : report.tensors)
    *tensors.mutable_list_value()->add_values() = TensorDetails(t);
  out.set_checksum(output.id);
  gridbench::v1::ArtifactUse& use = *out.add_artifacts();
  use.set_artifact_id(output.id);
  use.set_role("output");
  use.set_name(name);
  use.set_size_bytes(output.size_bytes);
  return out;
}

}  // namespace

absl::StatusOr<gridbench::v1::ResultPayload> QuantizeTask::Run(const gridbench::v1::TaskSpec& spec,
                                                               const TaskInputs& inputs,
                                                               ProgressReporter& progress) const {
  const int64_t started = absl::GetCurrentTimeNanos();
  GB_ASSIGN_OR_RETURN(const QuantizeParams p, ParseQuantizeParams(spec));
  GB_ASSIGN_OR_RETURN(const std::string input, inputs.LocalPath(p.input));
  model_quant::ModelQuantizeOptions options;
  GB_ASSIGN_OR_RETURN(options.target, model_quant::ParseQuantizeTarget(p.type));
  options.keep = p.keep;
  options.threads = p.threads > 0
                        ? p.threads
                        : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const std::string name = absl::StrCat("quantized-", p.type, ".gguf");
  const std::string path = absl::StrCat(inputs.output_dir, "/", name);
  absl::Time last_report = absl::InfinitePast();
  const auto report_progress = [&](double fraction, const std::string& tensor) {
    // A tensor can take microseconds; the reporter wants a few calls a second.
    if (absl::Now() - last_report < absl::Milliseconds(250)) return;
    last_report = absl::Now();
    progress.Report(fraction, tensor);
  };
  GB_ASSIGN_OR_RETURN(const model_quant::ModelQuantizeReport report,
                      model_quant::QuantizeModel(input, path, options, report_progress));
  GB_ASSIGN_OR_RETURN(const FileArtifactId output, ArtifactIdOfFile(path));
  gridbench::v1::ResultPayload out = ToPayload(report, p, options.threads, output, name);
  out.set_started_unix_nanos(started);
  out.set_finished_unix_nanos(absl::GetCurrentTimeNanos());
  return out;
}

}  // namespace gridbench::worker
