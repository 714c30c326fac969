#include "common/task_params.h"

#include <cmath>
#include <map>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gridbench {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// One numeric parameter: its name, accepted range and default. Every
// parameter so far is a number, so a table keeps the checks in one place.
struct NumberField {
  const char* name;
  double min;
  double max;
  bool integer;
  std::optional<double> default_value;  // nullopt: required.
};

constexpr double kMaxSeed = 9007199254740992.0;  // 2^53: exact in a JSON number.

constexpr NumberField kGemmFields[] = {
    {"m", 1, 32768, true, std::nullopt},
    {"n", 1, 32768, true, std::nullopt},
    {"k", 1, 32768, true, std::nullopt},
    {"threads", 0, 4096, true, 0},
    {"warmup", 0, 1000, true, 2},
    {"repetitions", 1, 100000, true, 10},
    {"min_time_seconds", 0, 86400, false, 0},
    {"seed", 0, kMaxSeed, true, 1},
};

std::string Describe(const Value& v) {
  switch (v.kind_case()) {
    case Value::kNumberValue:
      return absl::StrCat(v.number_value());
    case Value::kStringValue:
      return absl::StrCat("\"", v.string_value(), "\"");
    case Value::kBoolValue:
      return v.bool_value() ? "true" : "false";
    case Value::kNullValue:
      return "null";
    case Value::kListValue:
      return "a list";
    case Value::kStructValue:
      return "a map";
    default:
      return "nothing";
  }
}

std::string RangeText(const NumberField& f) {
  return absl::StrCat(f.integer ? "an integer" : "a number", " in ", f.min, "..", f.max);
}

// Resolves every field of `fields` from `params` into `out` (by name),
// appending one message per problem to `errors`.
template <size_t N>
void ResolveNumbers(const Struct& params, const NumberField (&fields)[N],
                    std::map<std::string, double>& out, std::vector<std::string>& errors) {
  for (const auto& [name, value] : params.fields()) {
    bool known = false;
    for (const NumberField& f : fields) known = known || f.name == name;
    if (!known) {
      std::vector<std::string> names;
      for (const NumberField& f : fields) names.push_back(f.name);
      errors.push_back(absl::StrCat(
          "params.", name, ": unknown parameter (known: ", absl::StrJoin(names, ", "), ")"));
    }
  }
  for (const NumberField& f : fields) {
    auto it = params.fields().find(std::string(f.name));
    if (it == params.fields().end()) {
      if (f.default_value) {
        out[f.name] = *f.default_value;
      } else {
        errors.push_back(absl::StrCat("params.", f.name, ": required (", RangeText(f), ")"));
      }
      continue;
    }
    const Value& v = it->second;
    const bool number = v.kind_case() == Value::kNumberValue;
    const double d = number ? v.number_value() : 0;
    if (!number || !std::isfinite(d) || (f.integer && d != std::floor(d)) || d < f.min ||
        d > f.max) {
      errors.push_back(
          absl::StrCat("params.", f.name, ": must be ", RangeText(f), ", got ", Describe(v)));
      continue;
    }
    out[f.name] = d;
  }
}

absl::Status ErrorsToStatus(const std::vector<std::string>& errors) {
  if (errors.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(errors, "; "));
}

absl::StatusOr<GemmParams> ParseGemm(const Struct& params, std::vector<std::string>& errors) {
  std::map<std::string, double> v;
  ResolveNumbers(params, kGemmFields, v, errors);
  if (!errors.empty()) return ErrorsToStatus(errors);
  GemmParams p;
  p.m = static_cast<int64_t>(v["m"]);
  p.n = static_cast<int64_t>(v["n"]);
  p.k = static_cast<int64_t>(v["k"]);
  p.threads = static_cast<int>(v["threads"]);
  p.warmup = static_cast<int>(v["warmup"]);
  p.repetitions = static_cast<int>(v["repetitions"]);
  p.min_time_seconds = v["min_time_seconds"];
  p.seed = static_cast<uint64_t>(v["seed"]);
  return p;
}

}  // namespace

std::vector<std::string> KnownTaskKinds() { return {"gemm"}; }

absl::Status ValidateTaskParams(const gridbench::v1::TaskSpec& task) {
  std::vector<std::string> errors;
  if (task.kind() == "gemm") {
    const std::string& backend = task.requirements().backend();
    if (!backend.empty() && backend != "blas") {
      errors.push_back(absl::StrCat("requirements.backend: kind gemm runs on backend blas, got \"",
                                    backend, "\""));
    }
    (void)ParseGemm(task.params(), errors);
    return ErrorsToStatus(errors);
  }
  return absl::InvalidArgumentError(absl::StrCat("kind: \"", task.kind(), "\" is not one of ",
                                                 absl::StrJoin(KnownTaskKinds(), ", ")));
}

absl::StatusOr<GemmParams> ParseGemmParams(const google::protobuf::Struct& params) {
  std::vector<std::string> errors;
  return ParseGemm(params, errors);
}

}  // namespace gridbench
