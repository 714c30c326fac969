#include "coordinator/coordinator_config.h"

#include <fstream>
#include <set>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "yaml-cpp/yaml.h"

namespace gridbench::coordinator {
namespace {

// Collects every problem in the file so the operator sees them all at once.
class ConfigErrors {
 public:
  explicit ConfigErrors(std::string file) : file_(std::move(file)) {}
  void Add(const YAML::Node& node, const std::string& field, const std::string& what) {
    const YAML::Mark mark = node.Mark();
    errors_.push_back(
        absl::StrCat(file_, ":", mark.line + 1, ":", mark.column + 1, ": ", field, ": ", what));
  }
  absl::Status ToStatus() const {
    if (errors_.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrJoin(errors_, "\n"));
  }

 private:
  std::string file_;
  std::vector<std::string> errors_;
};

void CheckKeys(const YAML::Node& map, const std::string& where, const std::set<std::string>& known,
               ConfigErrors& errors) {
  for (const auto& kv : map) {
    const std::string key = kv.first.as<std::string>();
    if (!known.contains(key)) {
      errors.Add(kv.first, where.empty() ? key : where + "." + key, "unknown field");
    }
  }
}

void ReadString(const YAML::Node& parent, const char* key, const std::string& field,
                std::string& out, ConfigErrors& errors) {
  const YAML::Node node = parent[key];
  if (!node) return;
  if (!node.IsScalar()) return errors.Add(node, field, "must be a string");
  out = node.as<std::string>();
}

void ReadBool(const YAML::Node& parent, const char* key, const std::string& field, bool& out,
              ConfigErrors& errors) {
  const YAML::Node node = parent[key];
  if (!node) return;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, out)) {
    errors.Add(node, field, "must be true or false");
  }
}

void ReadPositive(const YAML::Node& parent, const char* key, const std::string& field,
                  double& out, ConfigErrors& errors) {
  const YAML::Node node = parent[key];
  if (!node) return;
  double value = 0;
  if (!node.IsScalar() || !YAML::convert<double>::decode(node, value) || !(value > 0)) {
    return errors.Add(node, field, "must be a positive number of seconds");
  }
  out = value;
}

void ReadRetry(const YAML::Node& node, gridbench::v1::RetryPolicy& retry, ConfigErrors& errors) {
  if (!node.IsMap()) return errors.Add(node, "retry", "must be a map");
  CheckKeys(node, "retry",
            {"max_attempts", "initial_backoff_seconds", "max_backoff_seconds", "multiplier"},
            errors);
  if (const YAML::Node n = node["max_attempts"]) {
    int value = 0;
    if (!YAML::convert<int>::decode(n, value) || value < 1 || value > 100) {
      errors.Add(n, "retry.max_attempts", "must be an integer in 1..100");
    } else {
      retry.set_max_attempts(value);
    }
  }
  double initial = retry.initial_backoff_seconds(), max = retry.max_backoff_seconds(),
         mult = retry.multiplier();
  ReadPositive(node, "initial_backoff_seconds", "retry.initial_backoff_seconds", initial, errors);
  ReadPositive(node, "max_backoff_seconds", "retry.max_backoff_seconds", max, errors);
  ReadPositive(node, "multiplier", "retry.multiplier", mult, errors);
  retry.set_initial_backoff_seconds(initial);
  retry.set_max_backoff_seconds(max);
  retry.set_multiplier(mult);
}

void ReadTls(const YAML::Node& node, TlsFiles& tls, ConfigErrors& errors) {
  if (!node.IsMap()) return errors.Add(node, "tls", "must be a map with cert, key and ca");
  CheckKeys(node, "tls", {"cert", "key", "ca"}, errors);
  ReadString(node, "cert", "tls.cert", tls.cert_file, errors);
  ReadString(node, "key", "tls.key", tls.key_file, errors);
  ReadString(node, "ca", "tls.ca", tls.ca_file, errors);
}

void ReadLog(const YAML::Node& node, CoordinatorConfig& config, ConfigErrors& errors) {
  if (!node.IsMap()) return errors.Add(node, "log", "must be a map with level and format");
  CheckKeys(node, "log", {"level", "format"}, errors);
  ReadString(node, "level", "log.level", config.log_level, errors);
  ReadString(node, "format", "log.format", config.log_format, errors);
}

}  // namespace

CoordinatorConfig DefaultCoordinatorConfig() {
  CoordinatorConfig config;
  config.default_retry.set_max_attempts(3);
  config.default_retry.set_initial_backoff_seconds(1);
  config.default_retry.set_max_backoff_seconds(60);
  config.default_retry.set_multiplier(2);
  return config;
}

absl::StatusOr<CoordinatorConfig> ParseCoordinatorConfig(const std::string& yaml_text,
                                                         const std::string& file_name) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ":", e.mark.line + 1, ":",
                                                   e.mark.column + 1, ": ", e.msg));
  }
  CoordinatorConfig config = DefaultCoordinatorConfig();
  ConfigErrors errors(file_name);
  if (!root.IsMap()) {
    errors.Add(root, "(top level)", "must be a map of settings");
    return errors.ToStatus();
  }
  CheckKeys(root, "",
            {"listen", "data_dir", "insecure", "tls", "heartbeat_interval_seconds",
             "lease_timeout_seconds", "reconnect_grace_seconds", "unmatched_task_timeout_seconds",
             "max_artifact_bytes", "retry", "log"},
            errors);
  ReadString(root, "listen", "listen", config.listen, errors);
  ReadString(root, "data_dir", "data_dir", config.data_dir, errors);
  if (config.data_dir.empty()) errors.Add(root, "data_dir", "is required");
  ReadBool(root, "insecure", "insecure", config.tls.insecure, errors);
  if (root["tls"]) ReadTls(root["tls"], config.tls, errors);
  ReadPositive(root, "heartbeat_interval_seconds", "heartbeat_interval_seconds",
               config.heartbeat_interval_seconds, errors);
  ReadPositive(root, "lease_timeout_seconds", "lease_timeout_seconds",
               config.lease_timeout_seconds, errors);
  ReadPositive(root, "reconnect_grace_seconds", "reconnect_grace_seconds",
               config.reconnect_grace_seconds, errors);
  ReadPositive(root, "unmatched_task_timeout_seconds", "unmatched_task_timeout_seconds",
               config.unmatched_task_timeout_seconds, errors);
  if (const YAML::Node n = root["max_artifact_bytes"]) {
    uint64_t value = 0;
    if (!n.IsScalar() || !YAML::convert<uint64_t>::decode(n, value) || value == 0) {
      errors.Add(n, "max_artifact_bytes", "must be a positive number of bytes");
    } else {
      config.max_artifact_bytes = value;
    }
  }
  if (root["retry"]) ReadRetry(root["retry"], config.default_retry, errors);
  if (root["log"]) ReadLog(root["log"], config, errors);
  if (config.lease_timeout_seconds <= config.heartbeat_interval_seconds) {
    errors.Add(root, "lease_timeout_seconds", "must be longer than heartbeat_interval_seconds");
  }
  const bool tls_given = !config.tls.cert_file.empty() || !config.tls.key_file.empty();
  if (!tls_given && !config.tls.insecure) {
    errors.Add(root, "tls", "give tls.cert and tls.key, or set `insecure: true` for plaintext");
  }
  if (absl::Status status = errors.ToStatus(); !status.ok()) return status;
  return config;
}

absl::StatusOr<CoordinatorConfig> LoadCoordinatorConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read config file ", path));
  std::stringstream buf;
  buf << in.rdbuf();
  return ParseCoordinatorConfig(buf.str(), path);
}

}  // namespace gridbench::coordinator
