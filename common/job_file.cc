#include "common/job_file.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "common/task_params.h"
#include "yaml-cpp/yaml.h"

namespace gridbench {
namespace {

using gridbench::v1::JobSpec;
using gridbench::v1::TaskSpec;

// One thing wrong with a job, named by its path in job-file terms
// ("tasks[1].timeout"), so file and protobuf checks can share the rules.
struct Problem {
  std::string path;
  std::string message;
};

constexpr uint32_t kMaxRetryAttempts = 100;
constexpr double kMaxBackoffSeconds = 24 * 3600;
constexpr double kMaxBackoffMultiplier = 100;
constexpr size_t kMaxNameLength = 128;
constexpr size_t kMaxParamValues = 100'000;

// Names show up in tables, CSV and log lines, so keep them to one plain word.
bool IsValidName(const std::string& name) {
  return !name.empty() && name.size() <= kMaxNameLength &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.';
         });
}

void CheckName(const std::string& name, const std::string& path, std::vector<Problem>& out) {
  if (name.empty()) {
    out.push_back({path, "is required"});
  } else if (!IsValidName(name)) {
    out.push_back(
        {path, absl::StrCat("must be 1..", kMaxNameLength,
                            " characters of letters, digits, '-', '_' or '.', got '", name, "'")});
  }
}

void CheckRetry(const gridbench::v1::RetryPolicy& retry, const std::string& path,
                std::vector<Problem>& out) {
  if (retry.max_attempts() > kMaxRetryAttempts) {
    out.push_back({path + ".max_attempts", absl::StrCat("must be at most ", kMaxRetryAttempts,
                                                        ", got ", retry.max_attempts())});
  }
  auto check_backoff = [&](double seconds, const char* name) {
    if (!(seconds >= 0 && seconds <= kMaxBackoffSeconds)) {
      out.push_back({absl::StrCat(path, ".", name),
                     absl::StrCat("must be 0..", kMaxBackoffSeconds, " seconds, got ", seconds)});
    }
  };
  check_backoff(retry.initial_backoff_seconds(), "backoff");
  check_backoff(retry.max_backoff_seconds(), "max_backoff");
  if (retry.max_backoff_seconds() > 0 &&
      retry.max_backoff_seconds() < retry.initial_backoff_seconds()) {
    out.push_back({path + ".max_backoff",
                   absl::StrCat("must not be below backoff (", retry.initial_backoff_seconds(),
                                "s), got ", retry.max_backoff_seconds(), "s")});
  }
  const double mult = retry.multiplier();
  if (!(mult == 0 || (mult >= 1 && mult <= kMaxBackoffMultiplier))) {
    out.push_back({path + ".multiplier",
                   absl::StrCat("must be in 1..", kMaxBackoffMultiplier, ", got ", mult)});
  }
}

// ValidateTaskParams reports "params.m: message; params.n: message"; each
// becomes a Problem under the task's path.
void CheckParams(const TaskSpec& task, const std::string& path, std::vector<Problem>& out) {
  const absl::Status status = ValidateTaskParams(task);
  if (status.ok()) return;
  for (absl::string_view part : absl::StrSplit(status.message(), "; ", absl::SkipEmpty())) {
    const size_t colon = part.find(": ");
    if (colon == absl::string_view::npos) {
      out.push_back({path, std::string(part)});
    } else {
      out.push_back(
          {absl::StrCat(path, ".", part.substr(0, colon)), std::string(part.substr(colon + 2))});
    }
  }
}

void CheckTask(const TaskSpec& task, const std::string& path, std::vector<Problem>& out) {
  CheckName(task.name(), path + ".name", out);
  const std::vector<std::string> kinds = KnownTaskKinds();
  if (task.kind().empty()) {
    out.push_back(
        {path + ".kind", absl::StrCat("is required; one of ", absl::StrJoin(kinds, ", "))});
  } else if (std::find(kinds.begin(), kinds.end(), task.kind()) == kinds.end()) {
    out.push_back({path + ".kind", absl::StrCat("must be one of ", absl::StrJoin(kinds, ", "),
                                                ", got '", task.kind(), "'")});
  } else {
    CheckParams(task, path, out);
  }
  if (!gridbench::v1::Placement_IsValid(task.placement())) {
    out.push_back({path + ".placement", absl::StrCat("unknown placement ", task.placement())});
  }
  if (!gridbench::v1::DeviceType_IsValid(task.requirements().device_type())) {
    out.push_back({path + ".requirements.device",
                   absl::StrCat("unknown device type ", task.requirements().device_type())});
  }
  for (int i = 0; i < task.requirements().isa_features_size(); ++i) {
    const std::string& isa = task.requirements().isa_features(i);
    if (isa.empty() || isa != absl::AsciiStrToLower(isa)) {
      out.push_back({absl::StrCat(path, ".requirements.isa[", i, "]"),
                     absl::StrCat("must be a lower-case feature name, got '", isa, "'")});
    }
  }
  const double timeout = task.timeout_seconds();
  if (!(timeout >= 0)) {
    out.push_back({path + ".timeout", absl::StrCat("must not be negative, got ", timeout)});
  } else if (timeout > kMaxTaskTimeoutSeconds) {
    out.push_back({path + ".timeout", absl::StrCat("must be at most ", kMaxTaskTimeoutSeconds,
                                                   " seconds (7 days), got ", timeout)});
  }
  CheckRetry(task.retry(), path + ".retry", out);
}

void CheckJob(const JobSpec& job, std::vector<Problem>& out) {
  CheckName(job.name(), "name", out);
  for (const auto& [key, value] : job.labels()) {
    if (key.empty()) out.push_back({"labels", "label names must not be empty"});
  }
  if (job.tasks().empty()) out.push_back({"tasks", "at least one task is required"});
  std::map<std::string, int> first_index;
  for (int i = 0; i < job.tasks_size(); ++i) {
    const std::string path = absl::StrCat("tasks[", i, "]");
    CheckTask(job.tasks(i), path, out);
    const std::string& name = job.tasks(i).name();
    if (name.empty()) continue;
    auto [it, inserted] = first_index.emplace(name, i);
    if (!inserted) {
      out.push_back({path + ".name", absl::StrCat("duplicate task name '", name, "' (also tasks[",
                                                  it->second, "])")});
    }
  }
}

// Splits "12.5GiB" into its number and unit; nullopt without a number.
std::optional<std::pair<double, std::string>> SplitNumberAndUnit(std::string_view input) {
  // Debian's abseil has its own string_view type, distinct from std's.
  const absl::string_view text =
      absl::StripAsciiWhitespace(absl::string_view(input.data(), input.size()));
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data() || !std::isfinite(value)) return std::nullopt;
  const absl::string_view unit =
      absl::StripAsciiWhitespace(absl::string_view(end, text.data() + text.size() - end));
  return std::make_pair(value, absl::AsciiStrToLower(unit));
}

// True when `path` is `prefix` or lies inside it ("tasks[1].params" is inside
// "tasks[1]"), so a field that failed to read is not reported twice.
bool PathWithin(const std::string& path, const std::string& prefix) {
  if (prefix.empty()) return true;  // The whole file failed to read.
  if (!absl::StartsWith(path, prefix)) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[';
}

// Reads a job file's YAML into a JobSpec, remembering where each field was
// written so that problems found later can name its line.
class JobFileReader {
 public:
  explicit JobFileReader(std::string_view file_name) : file_name_(file_name) {}

  void ReadJob(const YAML::Node& root, JobSpec& job) {
    ForEachField(root, "", {"name", "labels", "priority", "tasks"},
                 [&](const std::string& key, const YAML::Node& value, const std::string& path) {
                   if (key == "name") {
                     job.set_name(ReadString(value, path).value_or(""));
                   } else if (key == "labels") {
                     ReadStringMap(value, path, *job.mutable_labels());
                   } else if (key == "priority") {
                     job.set_priority(ReadInt(value, path, INT32_MIN, INT32_MAX).value_or(0));
                   } else {
                     ReadTasks(value, path, job);
                   }
                 });
  }

  // Adds the problems of CheckJob that do not repeat a reading problem.
  void CheckSemantics(const JobSpec& job) {
    std::vector<Problem> found;
    CheckJob(job, found);
    const size_t read_problems = problems_.size();
    for (Problem& p : found) {
      bool repeated = false;
      for (size_t i = 0; i < read_problems; ++i) repeated |= PathWithin(p.path, problems_[i].path);
      if (repeated) continue;
      const YAML::Mark mark = Locate(p.path);
      Report(mark, std::move(p.path), std::move(p.message));
    }
  }

  void Report(const YAML::Mark& mark, std::string path, std::string message) {
    problems_.push_back({std::move(path), std::move(message), mark});
  }

  // OK, or every problem as "FILE:LINE:COL: path: message" in file order.
  absl::Status Result() {
    if (problems_.empty()) return absl::OkStatus();
    std::stable_sort(problems_.begin(), problems_.end(), [](const auto& a, const auto& b) {
      return std::tie(a.mark.line, a.mark.column) < std::tie(b.mark.line, b.mark.column);
    });
    std::vector<std::string> lines;
    for (const LocatedProblem& p : problems_) {
      const int line = p.mark.is_null() ? 1 : p.mark.line + 1;
      const int column = p.mark.is_null() ? 1 : p.mark.column + 1;
      lines.push_back(absl::StrCat(file_name_, ":", line, ":", column, ": ",
                                   p.path.empty() ? "" : p.path + ": ", p.message));
    }
    return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
  }

 private:
  struct LocatedProblem {
    std::string path;
    std::string message;
    YAML::Mark mark;
  };
  using FieldFn = std::function<void(const std::string&, const YAML::Node&, const std::string&)>;

  // Where `path`, or the nearest enclosing field that was written, is.
  YAML::Mark Locate(std::string path) const {
    while (!path.empty()) {
      if (auto it = marks_.find(path); it != marks_.end()) return it->second;
      const size_t parent_end = path.find_last_of(".[");
      path.erase(parent_end == std::string::npos ? 0 : parent_end);
    }
    return YAML::Mark();
  }

  // Calls `fn` for each key of the mapping `node` that is in `known`;
  // reports anything else.
  void ForEachField(const YAML::Node& node, const std::string& path,
                    std::initializer_list<const char*> known, const FieldFn& fn) {
    if (!node.IsMap()) {
      Report(node.Mark(), path, "must be a mapping of keys to values");
      return;
    }
    std::set<std::string> seen;
    for (const auto& entry : node) {
      const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
      const std::string field = path.empty() ? key : absl::StrCat(path, ".", key);
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        Report(entry.first.Mark(), field,
               absl::StrCat("unknown key; expected one of ", absl::StrJoin(known, ", ")));
      } else if (!seen.insert(key).second) {
        Report(entry.first.Mark(), field, "duplicate key");
      } else {
        marks_[field] = entry.second.Mark().is_null() ? entry.first.Mark() : entry.second.Mark();
        // A key with no value ("timeout:") counts as left out.
        if (!entry.second.IsNull()) fn(key, entry.second, field);
      }
    }
  }

  std::optional<std::string> ReadString(const YAML::Node& node, const std::string& path) {
    if (node.IsScalar()) return node.Scalar();
    Report(node.Mark(), path,
           node.IsNull() ? "needs a value" : "must be a single value, not a list or mapping");
    return std::nullopt;
  }

  std::optional<int64_t> ReadInt(const YAML::Node& node, const std::string& path, int64_t min,
                                 int64_t max) {
    const auto text = ReadString(node, path);
    if (!text) return std::nullopt;
    int64_t value = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc() || end != text->data() + text->size() || value < min || value > max) {
      Report(node.Mark(), path,
             absl::StrCat("must be an integer in ", min, "..", max, ", got '", *text, "'"));
      return std::nullopt;
    }
    return value;
  }

  template <typename T>
  std::optional<T> ReadWith(absl::StatusOr<T> (*parse)(std::string_view), const YAML::Node& node,
                            const std::string& path) {
    const auto text = ReadString(node, path);
    if (!text) return std::nullopt;
    absl::StatusOr<T> value = parse(*text);
    if (value.ok()) return *value;
    Report(node.Mark(), path, std::string(value.status().message()));
    return std::nullopt;
  }

  void ReadStringMap(const YAML::Node& node, const std::string& path,
                     google::protobuf::Map<std::string, std::string>& out) {
    if (!node.IsMap()) {
      Report(node.Mark(), path, "must be a mapping of names to values");
      return;
    }
    for (const auto& entry : node) {
      const auto key = ReadString(entry.first, path);
      const auto value = ReadString(entry.second, absl::StrCat(path, ".", key.value_or("")));
      if (key && value) out[*key] = *value;
    }
  }

  void ReadTasks(const YAML::Node& node, const std::string& path, JobSpec& job) {
    if (!node.IsSequence()) {
      Report(node.Mark(), path, "must be a list of tasks");
      return;
    }
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string task_path = absl::StrCat(path, "[", i, "]");
      marks_[task_path] = node[i].Mark();
      ReadTask(node[i], task_path, *job.add_tasks());
    }
  }

  void ReadTask(const YAML::Node& node, const std::string& path, TaskSpec& task) {
    ForEachField(node, path,
                 {"name", "kind", "params", "requirements", "placement", "timeout", "retry"},
                 [&](const std::string& key, const YAML::Node& value, const std::string& field) {
                   if (key == "name") {
                     task.set_name(ReadString(value, field).value_or(""));
                   } else if (key == "kind") {
                     task.set_kind(ReadString(value, field).value_or(""));
                   } else if (key == "params") {
                     ReadParams(value, field, *task.mutable_params());
                   } else if (key == "requirements") {
                     ReadRequirements(value, field, *task.mutable_requirements());
                   } else if (key == "placement") {
                     ReadPlacement(value, field, task);
                   } else if (key == "timeout") {
                     const auto seconds = ReadWith(&ParseDurationSeconds, value, field);
                     if (seconds == 0.0) Report(value.Mark(), field, "must be positive, got 0");
                     task.set_timeout_seconds(seconds.value_or(0));
                   } else {
                     ReadRetry(value, field, *task.mutable_retry());
                   }
                 });
  }

  void ReadPlacement(const YAML::Node& node, const std::string& path, TaskSpec& task) {
    const auto text = ReadString(node, path);
    if (text == "any") {
      task.set_placement(gridbench::v1::PLACEMENT_ANY);
    } else if (text == "each") {
      task.set_placement(gridbench::v1::PLACEMENT_EACH);
    } else if (text) {
      Report(node.Mark(), path, absl::StrCat("must be any or each, got '", *text, "'"));
    }
  }

  void ReadRequirements(const YAML::Node& node, const std::string& path,
                        gridbench::v1::Requirements& req) {
    ForEachField(
        node, path, {"backend", "device", "min_memory", "isa", "labels"},
        [&](const std::string& key, const YAML::Node& value, const std::string& field) {
          if (key == "backend") {
            req.set_backend(ReadString(value, field).value_or(""));
          } else if (key == "device") {
            const auto device = ReadString(value, field);
            if (device == "cpu") {
              req.set_device_type(gridbench::v1::DEVICE_TYPE_CPU);
            } else if (device == "gpu") {
              req.set_device_type(gridbench::v1::DEVICE_TYPE_GPU);
            } else if (device && device != "any") {
              Report(value.Mark(), field,
                     absl::StrCat("must be cpu, gpu or any, got '", *device, "'"));
            }
          } else if (key == "min_memory") {
            req.set_min_memory_bytes(ReadWith(&ParseMemoryBytes, value, field).value_or(0));
          } else if (key == "isa") {
            ReadIsa(value, field, req);
          } else {
            ReadStringMap(value, field, *req.mutable_labels());
          }
        });
  }

  void ReadIsa(const YAML::Node& node, const std::string& path, gridbench::v1::Requirements& req) {
    if (!node.IsSequence()) {
      Report(node.Mark(), path, "must be a list of CPU features, e.g. [avx2, fma]");
      return;
    }
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string item = absl::StrCat(path, "[", i, "]");
      marks_[item] = node[i].Mark();
      if (auto isa = ReadString(node[i], item)) req.add_isa_features(*isa);
    }
  }

  void ReadRetry(const YAML::Node& node, const std::string& path,
                 gridbench::v1::RetryPolicy& retry) {
    ForEachField(
        node, path, {"max_attempts", "backoff", "max_backoff", "multiplier"},
        [&](const std::string& key, const YAML::Node& value, const std::string& field) {
          if (key == "max_attempts") {
            retry.set_max_attempts(ReadInt(value, field, 1, kMaxRetryAttempts).value_or(0));
          } else if (key == "backoff") {
            retry.set_initial_backoff_seconds(
                ReadWith(&ParseDurationSeconds, value, field).value_or(0));
          } else if (key == "max_backoff") {
            retry.set_max_backoff_seconds(
                ReadWith(&ParseDurationSeconds, value, field).value_or(0));
          } else {
            const auto text = ReadString(value, field);
            double mult = 0;
            if (text && !absl::SimpleAtod(*text, &mult)) {
              Report(value.Mark(), field, absl::StrCat("must be a number, got '", *text, "'"));
            }
            retry.set_multiplier(mult);
          }
        });
  }

  void ReadParams(const YAML::Node& node, const std::string& path,
                  google::protobuf::Struct& params) {
    if (!node.IsMap()) {
      Report(node.Mark(), path, "must be a mapping of parameter names to values");
      return;
    }
    google::protobuf::Value value = ToValue(node, path);
    params = value.struct_value();
  }

  // YAML to google.protobuf.Value: quoted scalars stay strings; plain ones
  // become booleans, null or numbers when they read as such.
  google::protobuf::Value ToValue(const YAML::Node& node, const std::string& path) {
    google::protobuf::Value out;
    if (values_left_ == 0) return out;
    if (--values_left_ == 0) {
      // YAML aliases can make a short file expand enormously; the
      // coordinator parses job files from the network, so stop early.
      Report(node.Mark(), path,
             absl::StrCat("params expand to more than ", kMaxParamValues,
                          " values (through YAML aliases?)"));
      return out;
    }
    if (node.IsMap()) {
      auto& fields = *out.mutable_struct_value()->mutable_fields();
      for (const auto& entry : node) {
        const auto key = ReadString(entry.first, path);
        if (!key) continue;
        const std::string field = absl::StrCat(path, ".", *key);
        marks_[field] = entry.second.Mark().is_null() ? entry.first.Mark() : entry.second.Mark();
        fields[*key] = ToValue(entry.second, field);
      }
    } else if (node.IsSequence()) {
      out.mutable_list_value();
      for (size_t i = 0; i < node.size(); ++i) {
        *out.mutable_list_value()->add_values() = ToValue(node[i], absl::StrCat(path, "[", i, "]"));
      }
    } else if (!node.IsScalar()) {
      out.set_null_value(google::protobuf::NULL_VALUE);
    } else {
      out = ScalarToValue(node);
    }
    return out;
  }

  static google::protobuf::Value ScalarToValue(const YAML::Node& node) {
    google::protobuf::Value out;
    const std::string& text = node.Scalar();
    const std::string lower = absl::AsciiStrToLower(text);
    double number = 0;
    const bool plain = node.Tag() == "?";
    if (plain && (lower == "true" || lower == "false")) {
      out.set_bool_value(lower == "true");
    } else if (plain && (lower == "null" || lower == "~")) {
      out.set_null_value(google::protobuf::NULL_VALUE);
    } else if (plain && absl::SimpleAtod(text, &number) && std::isfinite(number)) {
      out.set_number_value(number);
    } else {
      out.set_string_value(text);
    }
    return out;
  }

  const std::string file_name_;
  std::vector<LocatedProblem> problems_;
  std::map<std::string, YAML::Mark> marks_;  // Field path -> where its value is.
  size_t values_left_ = kMaxParamValues;     // For ToValue, across all tasks.
};

}  // namespace

absl::StatusOr<double> ParseDurationSeconds(std::string_view text) {
  static const std::map<std::string, double> kUnits = {{"", 1},   {"ms", 0.001}, {"s", 1},
                                                       {"m", 60}, {"h", 3600},   {"d", 86400}};
  const auto parts = SplitNumberAndUnit(text);
  const auto unit = parts ? kUnits.find(parts->second) : kUnits.end();
  if (!parts || unit == kUnits.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "must be a duration such as 300s, 5m, 1h, 1d, 250ms or a number of seconds, got '",
        std::string(text), "'"));
  }
  if (parts->first < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("must not be negative, got '", std::string(text), "'"));
  }
  return parts->first * unit->second;
}

absl::StatusOr<uint64_t> ParseMemoryBytes(std::string_view text) {
  static const std::map<std::string, double> kUnits = {{"", 1},
                                                       {"b", 1},
                                                       {"kb", 1e3},
                                                       {"mb", 1e6},
                                                       {"gb", 1e9},
                                                       {"tb", 1e12},
                                                       {"kib", 1024.0},
                                                       {"mib", 1024.0 * 1024},
                                                       {"gib", 1024.0 * 1024 * 1024},
                                                       {"tib", 1024.0 * 1024 * 1024 * 1024}};
  const auto parts = SplitNumberAndUnit(text);
  const auto unit = parts ? kUnits.find(parts->second) : kUnits.end();
  if (!parts || unit == kUnits.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be a size such as 4GiB, 512MiB, 64KiB, 4GB or a number of bytes, got '",
                     std::string(text), "'"));
  }
  const double bytes = std::floor(parts->first * unit->second);
  // 2^64 is exactly representable; anything at or above it does not fit.
  if (parts->first < 0 || bytes >= 18446744073709551616.0) {
    return absl::InvalidArgumentError(
        absl::StrCat("must be between 0 and 2^64-1 bytes, got '", std::string(text), "'"));
  }
  return static_cast<uint64_t>(bytes);
}

absl::Status ValidateJobSpec(const JobSpec& job) {
  std::vector<Problem> problems;
  CheckJob(job, problems);
  if (problems.empty()) return absl::OkStatus();
  std::vector<std::string> lines;
  for (const Problem& p : problems) lines.push_back(absl::StrCat(p.path, ": ", p.message));
  return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
}

absl::StatusOr<JobSpec> ParseJobFile(std::string_view yaml_text, std::string_view file_name) {
  JobFileReader reader(file_name);
  JobSpec job;
  try {
    const std::vector<YAML::Node> docs = YAML::LoadAll(std::string(yaml_text));
    if (docs.empty() || docs[0].IsNull()) {
      reader.Report(YAML::Mark(), "", "the job file is empty");
    } else if (docs.size() > 1) {
      reader.Report(docs[1].Mark(), "", "a job file holds one YAML document, found several");
    } else {
      reader.ReadJob(docs[0], job);
      reader.CheckSemantics(job);
    }
  } catch (const YAML::Exception& e) {
    reader.Report(e.mark, "", "invalid YAML: " + e.msg);
  }
  GB_RETURN_IF_ERROR(reader.Result());
  ApplyJobDefaults(job);
  return job;
}

void ApplyJobDefaults(JobSpec& job) {
  for (TaskSpec& task : *job.mutable_tasks()) {
    if (task.timeout_seconds() == 0) task.set_timeout_seconds(kDefaultTaskTimeoutSeconds);
    if (task.placement() == gridbench::v1::PLACEMENT_UNSPECIFIED) {
      task.set_placement(gridbench::v1::PLACEMENT_ANY);
    }
  }
}

}  // namespace gridbench
