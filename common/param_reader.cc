#include "common/param_reader.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/artifact_id.h"

namespace gridbench {
namespace {

using google::protobuf::Value;

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

std::string RangeText(bool integer, double min, double max) {
  return absl::StrCat(integer ? "an integer" : "a number", " in ", min, "..", max);
}

// The value of `v` if it is a number in range (and whole, if `integer`).
std::optional<double> InRange(const Value& v, bool integer, double min, double max) {
  if (v.kind_case() != Value::kNumberValue) return std::nullopt;
  const double d = v.number_value();
  if (!std::isfinite(d) || (integer && d != std::floor(d)) || d < min || d > max) {
    return std::nullopt;
  }
  return d;
}

}  // namespace

ParamReader::ParamReader(const google::protobuf::Struct& params, std::vector<std::string>& errors)
    : params_(params), errors_(errors) {}

void ParamReader::Fail(std::string_view name, std::string_view message) {
  errors_.push_back(absl::StrCat("params.", std::string(name), ": ", std::string(message)));
}

const Value* ParamReader::Find(std::string_view name) {
  if (std::find(known_.begin(), known_.end(), name) == known_.end()) known_.emplace_back(name);
  auto it = params_.fields().find(std::string(name));
  return it == params_.fields().end() ? nullptr : &it->second;
}

bool ParamReader::Has(std::string_view name) const {
  return params_.fields().contains(std::string(name));
}

int64_t ParamReader::Integer(std::string_view name, int64_t min, int64_t max,
                             std::optional<int64_t> fallback) {
  const auto lo = static_cast<double>(min), hi = static_cast<double>(max);
  const Value* v = Find(name);
  if (v == nullptr) {
    if (!fallback) Fail(name, absl::StrCat("required (", RangeText(true, lo, hi), ")"));
    return fallback.value_or(min);
  }
  const std::optional<double> d = InRange(*v, true, lo, hi);
  if (!d) {
    Fail(name, absl::StrCat("must be ", RangeText(true, lo, hi), ", got ", Describe(*v)));
    return fallback.value_or(min);
  }
  return static_cast<int64_t>(*d);
}

double ParamReader::Number(std::string_view name, double min, double max,
                           std::optional<double> fallback) {
  const Value* v = Find(name);
  if (v == nullptr) {
    if (!fallback) Fail(name, absl::StrCat("required (", RangeText(false, min, max), ")"));
    return fallback.value_or(min);
  }
  const std::optional<double> d = InRange(*v, false, min, max);
  if (!d) {
    Fail(name, absl::StrCat("must be ", RangeText(false, min, max), ", got ", Describe(*v)));
    return fallback.value_or(min);
  }
  return *d;
}

bool ParamReader::Bool(std::string_view name, bool fallback) {
  const Value* v = Find(name);
  if (v == nullptr) return fallback;
  if (v->kind_case() != Value::kBoolValue) {
    Fail(name, absl::StrCat("must be true or false, got ", Describe(*v)));
    return fallback;
  }
  return v->bool_value();
}

std::string ParamReader::Choice(std::string_view name,
                                std::initializer_list<std::string_view> choices,
                                std::string_view fallback) {
  const Value* v = Find(name);
  if (v == nullptr) return std::string(fallback);
  if (v->kind_case() == Value::kStringValue &&
      std::find(choices.begin(), choices.end(), v->string_value()) != choices.end()) {
    return v->string_value();
  }
  std::vector<std::string> names(choices.begin(), choices.end());
  Fail(name, absl::StrCat("must be one of ", absl::StrJoin(names, ", "), ", got ", Describe(*v)));
  return std::string(fallback);
}

std::string ParamReader::NameOrIndex(std::string_view name, int64_t max_index) {
  const Value* v = Find(name);
  if (v == nullptr) return "";
  if (v->kind_case() == Value::kStringValue && !v->string_value().empty()) {
    return v->string_value();
  }
  if (const std::optional<double> d = InRange(*v, true, 0, static_cast<double>(max_index))) {
    return absl::StrCat(static_cast<int64_t>(*d));
  }
  Fail(name, absl::StrCat("must be a non-empty name or an integer in 0..", max_index, ", got ",
                          Describe(*v)));
  return "";
}

std::string ParamReader::ArtifactId(std::string_view name) {
  const Value* v = Find(name);
  if (v == nullptr) {
    Fail(name, "required (an artifact id, sha256:<64 hex digits>, from gridbench artifact put)");
    return "";
  }
  if (v->kind_case() != Value::kStringValue) {
    Fail(name, absl::StrCat("must be an artifact id (sha256:...), got ", Describe(*v)));
    return "";
  }
  if (absl::Status s = ValidateArtifactId(v->string_value()); !s.ok()) {
    Fail(name, std::string(s.message()));
    return "";
  }
  return v->string_value();
}

std::vector<std::string> ParamReader::StringList(std::string_view name, size_t max_items,
                                                 std::vector<std::string> fallback) {
  const Value* v = Find(name);
  if (v == nullptr) return fallback;
  const auto wrong = [&] {
    Fail(name, absl::StrCat("must be a list of at most ", max_items, " non-empty strings, got ",
                            Describe(*v)));
    return fallback;
  };
  if (v->kind_case() != Value::kListValue ||
      v->list_value().values_size() > static_cast<int>(max_items)) {
    return wrong();
  }
  std::vector<std::string> items;
  for (const Value& item : v->list_value().values()) {
    if (item.kind_case() != Value::kStringValue || item.string_value().empty()) return wrong();
    items.push_back(item.string_value());
  }
  return items;
}

void ParamReader::Refuse(std::string_view name, std::string_view why) {
  if (Find(name) != nullptr) Fail(name, why);
}

void ParamReader::Finish() {
  for (const auto& [name, value] : params_.fields()) {
    if (std::find(known_.begin(), known_.end(), name) != known_.end()) continue;
    Fail(name, absl::StrCat("unknown parameter (known: ", absl::StrJoin(known_, ", "), ")"));
  }
}

}  // namespace gridbench
