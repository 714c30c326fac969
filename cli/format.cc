#include "cli/format.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "common/task_params.h"

namespace gridbench::cli {
namespace {

// "JOB_STATE_RUNNING" with prefix "JOB_STATE_" -> "running".
std::string StripEnumPrefix(const std::string& name, const std::string& prefix) {
  std::string rest = name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
  return rest.empty() ? "unknown" : absl::AsciiStrToLower(rest);
}

}  // namespace

void Table::Print(std::ostream& out) const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  for (const auto& row : rows_) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      if (c > 0) line += "  ";
      line += row[c];
      line.append(widths[c] - row[c].size(), ' ');
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out << line << "\n";
  }
}

std::string CsvField(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  std::string quoted = "\"";
  for (char c : field) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

std::string StateName(gridbench::v1::JobState state) {
  return StripEnumPrefix(gridbench::v1::JobState_Name(state), "JOB_STATE_");
}
std::string StateName(gridbench::v1::TaskState state) {
  return StripEnumPrefix(gridbench::v1::TaskState_Name(state), "TASK_STATE_");
}
std::string StateName(gridbench::v1::WorkerState state) {
  return StripEnumPrefix(gridbench::v1::WorkerState_Name(state), "WORKER_STATE_");
}
std::string StateName(gridbench::v1::AttemptState state) {
  return StripEnumPrefix(gridbench::v1::AttemptState_Name(state), "ATTEMPT_STATE_");
}

std::string FormatUnixNanos(int64_t unix_nanos) {
  if (unix_nanos == 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixNanos(unix_nanos),
                          absl::UTCTimeZone());
}

std::string FormatAge(int64_t unix_nanos, int64_t now_unix_nanos) {
  if (unix_nanos == 0) return "-";
  const int64_t seconds = std::max<int64_t>(0, (now_unix_nanos - unix_nanos) / 1'000'000'000);
  if (seconds < 120) return absl::StrCat(seconds, "s ago");
  if (seconds < 7200) return absl::StrCat(seconds / 60, "m ago");
  if (seconds < 2 * 86400) return absl::StrCat(seconds / 3600, "h ago");
  return absl::StrCat(seconds / 86400, "d ago");
}

std::string ValueText(const google::protobuf::Value& value) {
  switch (value.kind_case()) {
    case google::protobuf::Value::kNumberValue:
      return absl::StrCat(value.number_value());
    case google::protobuf::Value::kStringValue:
      return value.string_value();
    case google::protobuf::Value::kBoolValue:
      return value.bool_value() ? "true" : "false";
    case google::protobuf::Value::kListValue: {
      std::vector<std::string> items;
      for (const auto& item : value.list_value().values()) items.push_back(ValueText(item));
      return absl::StrCat("[", absl::StrJoin(items, ","), "]");
    }
    case google::protobuf::Value::kStructValue:
      return "{...}";
    default:
      return "null";
  }
}

std::string ParamsSummary(const std::string& kind, const google::protobuf::Struct& params) {
  const auto& fields = params.fields();
  if (kind == "gemm" && fields.count("m") && fields.count("n") && fields.count("k")) {
    return absl::StrCat(ValueText(fields.at("m")), "x", ValueText(fields.at("n")), "x",
                        ValueText(fields.at("k")));
  }
  if (kind == "inference" && fields.count("model")) {
    // llama-bench's names for the run, then the model.
    const InferenceParams defaults;
    const auto count = [&](const char* name, int fallback) {
      return fields.count(name) ? ValueText(fields.at(name)) : std::to_string(fallback);
    };
    std::string text =
        absl::StrCat("pp", count("prompt_tokens", defaults.prompt_tokens), " tg",
                     count("gen_tokens", defaults.gen_tokens), " ", ValueText(fields.at("model")));
    if (fields.count("reference")) {
      absl::StrAppend(&text, " vs ", ValueText(fields.at("reference")));
    }
    return text;
  }
  const std::map<std::string, google::protobuf::Value> sorted(fields.begin(), fields.end());
  std::vector<std::string> parts;
  for (const auto& [name, value] : sorted)
    parts.push_back(absl::StrCat(name, "=", ValueText(value)));
  return absl::StrJoin(parts, " ");
}

std::string FormatSeconds(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4g", seconds);
  return buf;
}

}  // namespace gridbench::cli
