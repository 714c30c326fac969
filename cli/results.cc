#include "cli/results.h"

#include <cmath>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/format.h"
#include "cli/result_figures.h"
#include "common/artifact_id.h"
#include "common/canonical_result.h"
#include "common/crypto.h"
#include "common/status_macros.h"
#include "google/protobuf/util/json_util.h"

namespace gridbench::cli {
namespace {

using gridbench::v1::ResultPayload;
using gridbench::v1::StoredResult;

// Everything one output row needs, decoded once.
struct ResultRow {
  const StoredResult* stored = nullptr;
  bool decoded = false;
  ResultPayload payload;
  const gridbench::v1::TaskSpec* spec = nullptr;  // Null when the job lacks the task.
  absl::Status signature;
};

absl::Status CheckSignature(const StoredResult& stored) {
  const std::string& key = stored.worker_public_key();
  if (!stored.signed_().key_id().empty() && stored.signed_().key_id() != KeyId(key)) {
    return absl::UnauthenticatedError(absl::StrCat("key id ", stored.signed_().key_id(),
                                                   " does not name the stored public key (",
                                                   KeyId(key), ")"));
  }
  return VerifyResultSignature(stored.signed_(), key);
}

std::vector<ResultRow> DecodeRows(const JobResults& results) {
  std::map<std::string, const gridbench::v1::TaskSpec*> specs;
  for (const auto& task : results.job.tasks()) specs[task.task_id()] = &task.spec();
  std::vector<ResultRow> rows;
  for (const StoredResult& stored : results.results) {
    ResultRow row;
    row.stored = &stored;
    row.decoded = row.payload.ParseFromString(stored.signed_().payload());
    auto spec = specs.find(stored.signed_().task_id());
    if (spec != specs.end()) row.spec = spec->second;
    row.signature = CheckSignature(stored);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string Kind(const ResultRow& row) {
  if (!row.decoded) return "undecodable";
  return row.payload.kind().empty() && row.spec ? row.spec->kind() : row.payload.kind();
}

std::string Params(const ResultRow& row) {
  return row.spec ? ParamsSummary(row.spec->kind(), row.spec->params()) : "";
}

std::string Number(double value, const char* format, const std::string& missing) {
  if (std::isnan(value)) return missing;
  char buf[32];
  std::snprintf(buf, sizeof(buf), format, value);
  return buf;
}

std::string Median(const ResultRow& row, const std::string& missing) {
  const bool has_summary = row.decoded && row.payload.has_summary();
  return has_summary ? FormatSeconds(row.payload.summary().median()) : missing;
}

// `text` with every artifact id cut to its first 12 hex digits, so a row
// fits on a screen; csv and json keep whole ids.
std::string ShortenArtifactIds(std::string text) {
  constexpr size_t kHexDigits = 64, kKept = 12;
  for (size_t at = text.find(kArtifactIdPrefix); at != std::string::npos;
       at = text.find(kArtifactIdPrefix, at + 1)) {
    const size_t hex = at + kArtifactIdPrefix.size();
    if (text.size() - hex >= kHexDigits) text.replace(hex + kKept, kHexDigits - kKept, "..");
  }
  return text;
}

void PrintTable(const std::vector<ResultRow>& rows, std::ostream& out) {
  Table table({"TASK", "WORKER", "KIND", "SHAPE/PARAMS", "MEDIAN S", "RESULT", "OF PEAK", "THREADS",
               "DEVICE", "SIGNATURE", "NOTES"});
  for (const ResultRow& row : rows) {
    const ResultFigures f = FiguresOf(row.payload);
    const std::string result =
        std::isnan(f.value) ? "-" : absl::StrCat(Number(f.value, "%.4g", "-"), " ", f.unit);
    std::string device = f.device.empty() ? "-" : f.device;
    if (f.software) absl::StrAppend(&device, " [software]");
    table.AddRow({row.stored->task_name(), row.stored->worker_name(),
                  row.decoded ? f.kind : Kind(row), ShortenArtifactIds(Params(row)),
                  Median(row, "-"), result, Number(f.fraction_of_peak * 100, "%.0f%%", "-"),
                  Number(f.threads, "%.0f", "-"), device, row.signature.ok() ? "ok" : "BAD",
                  f.notes});
  }
  table.Print(out);
}

void PrintCsv(const std::vector<ResultRow>& rows, std::ostream& out) {
  out << "task,worker,kind,params,median_seconds,result,result_unit,fraction_of_peak,threads,"
         "device,software,signature,notes,job_id,task_id,attempt_id,worker_id,sequence\n";
  for (const ResultRow& row : rows) {
    const ResultFigures f = FiguresOf(row.payload);
    const auto& signed_result = row.stored->signed_();
    std::vector<std::string> cells = {row.stored->task_name(),
                                      row.stored->worker_name(),
                                      row.decoded ? f.kind : Kind(row),
                                      Params(row),
                                      Median(row, ""),
                                      Number(f.value, "%.6g", ""),
                                      f.unit,
                                      Number(f.fraction_of_peak, "%.4f", ""),
                                      Number(f.threads, "%.0f", ""),
                                      f.device,
                                      f.software ? "true" : "false",
                                      row.signature.ok() ? "ok" : "BAD",
                                      f.notes,
                                      row.stored->job_id(),
                                      signed_result.task_id(),
                                      signed_result.attempt_id(),
                                      signed_result.worker_id(),
                                      absl::StrCat(signed_result.sequence())};
    for (std::string& cell : cells) cell = CsvField(cell);
    out << absl::StrJoin(cells, ",") << "\n";
  }
}

google::protobuf::Value StringValue(const std::string& s) {
  google::protobuf::Value v;
  v.set_string_value(s);
  return v;
}

google::protobuf::Value JsonRow(const ResultRow& row) {
  google::protobuf::Value value;
  auto& f = *value.mutable_struct_value()->mutable_fields();
  const auto& signed_result = row.stored->signed_();
  f["task"] = StringValue(row.stored->task_name());
  f["task_id"] = StringValue(signed_result.task_id());
  f["attempt_id"] = StringValue(signed_result.attempt_id());
  f["worker"] = StringValue(row.stored->worker_name());
  f["worker_id"] = StringValue(signed_result.worker_id());
  f["kind"] = StringValue(Kind(row));
  f["sequence"].set_number_value(signed_result.sequence());
  f["signature_ok"].set_bool_value(row.signature.ok());
  if (!row.signature.ok()) f["signature_error"] = StringValue(std::string(row.signature.message()));
  if (row.spec) *f["params"].mutable_struct_value() = row.spec->params();
  // The payload as protobuf's JSON mapping, via text because Struct has no
  // direct conversion from other messages.
  std::string payload_json;
  google::protobuf::Struct payload;
  google::protobuf::util::JsonPrintOptions snake_case;
  snake_case.preserve_proto_field_names = true;  // Like the row's own fields.
  if (row.decoded &&
      google::protobuf::util::MessageToJsonString(row.payload, &payload_json, snake_case).ok() &&
      google::protobuf::util::JsonStringToMessage(payload_json, &payload).ok()) {
    *f["payload"].mutable_struct_value() = std::move(payload);
  }
  return value;
}

void PrintJson(const std::vector<ResultRow>& rows, std::ostream& out) {
  google::protobuf::Value list;
  list.mutable_list_value();
  for (const ResultRow& row : rows) *list.mutable_list_value()->add_values() = JsonRow(row);
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  std::string json;
  // Printing a Value built from valid UTF-8 strings cannot fail; an invalid
  // string from a worker would, and then "[]" would mislead, so say so.
  if (!google::protobuf::util::MessageToJsonString(list, &json, options).ok()) {
    json = "{\"error\": \"results contain text that is not valid UTF-8\"}\n";
  }
  out << json;
}

}  // namespace

absl::StatusOr<JobResults> FetchJobResults(Connection& conn, const std::string& job_id) {
  JobResults out;
  gridbench::v1::GetJobRequest job_request;
  job_request.set_job_id(job_id);
  GB_ASSIGN_OR_RETURN(out.job, conn.Call(&Connection::Stub::GetJob, job_request));
  gridbench::v1::GetResultsRequest request;
  request.set_job_id(job_id);
  GB_ASSIGN_OR_RETURN(gridbench::v1::GetResultsResponse response,
                      conn.Call(&Connection::Stub::GetResults, request));
  out.results.assign(response.results().begin(), response.results().end());
  return out;
}

void PrintResults(const JobResults& results, ResultFormat format, std::ostream& out) {
  const std::vector<ResultRow> rows = DecodeRows(results);
  switch (format) {
    case ResultFormat::kTable:
      return PrintTable(rows, out);
    case ResultFormat::kCsv:
      return PrintCsv(rows, out);
    case ResultFormat::kJson:
      return PrintJson(rows, out);
  }
}

VerifyReport VerifyResults(const JobResults& results, std::ostream& out) {
  VerifyReport report;
  for (const ResultRow& row : DecodeRows(results)) {
    ++report.checked;
    if (row.signature.ok()) continue;
    ++report.failed;
    const auto& signed_result = row.stored->signed_();
    out << "FAIL task " << row.stored->task_name() << " (" << signed_result.task_id()
        << ") attempt " << signed_result.attempt_id() << " worker " << row.stored->worker_name()
        << " (" << signed_result.worker_id() << "): " << row.signature.message() << "\n";
  }
  return report;
}

}  // namespace gridbench::cli
