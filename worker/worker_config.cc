#include "worker/worker_config.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "yaml-cpp/yaml.h"

namespace gridbench::worker {
namespace {

// Reports problems as "<file>:<line>: <field>: <what>". yaml-cpp counts lines
// from 0; editors count from 1.
class ConfigErrors {
 public:
  explicit ConfigErrors(std::string_view file) : file_(file) {}

  absl::Status At(const YAML::Node& node, absl::string_view field, absl::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(file_, ":", node.Mark().line + 1, ": ", field, ": ", what));
  }

 private:
  std::string file_;
};

absl::StatusOr<std::string> ReadText(const std::string& path, absl::string_view what) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", what, " ", path));
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

absl::StatusOr<std::string> Scalar(const ConfigErrors& err, const YAML::Node& node,
                                   absl::string_view field) {
  if (!node.IsScalar()) return err.At(node, field, "must be a string");
  return node.Scalar();
}

absl::StatusOr<bool> Bool(const ConfigErrors& err, const YAML::Node& node,
                          absl::string_view field) {
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
    return err.At(node, field, "must be true or false");
  }
  return value;
}

absl::Status ParseTls(const ConfigErrors& err, const YAML::Node& node, TlsFiles& tls) {
  if (!node.IsMap()) return err.At(node, "tls", "must be a map with ca, cert and key");
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    std::string* dest = key == "ca"     ? &tls.ca_file
                        : key == "cert" ? &tls.cert_file
                        : key == "key"  ? &tls.key_file
                                        : nullptr;
    if (dest == nullptr)
      return err.At(kv.first, "tls." + key, "unknown key (known: ca, cert, key)");
    absl::StatusOr<std::string> v = Scalar(err, kv.second, "tls." + key);
    if (!v.ok()) return v.status();
    *dest = *v;
  }
  return absl::OkStatus();
}

absl::Status ParseLog(const ConfigErrors& err, const YAML::Node& node, WorkerConfig& config) {
  if (!node.IsMap()) return err.At(node, "log", "must be a map with level and format");
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    std::string* dest = key == "level"    ? &config.log_level
                        : key == "format" ? &config.log_format
                                          : nullptr;
    if (dest == nullptr)
      return err.At(kv.first, "log." + key, "unknown key (known: level, format)");
    absl::StatusOr<std::string> v = Scalar(err, kv.second, "log." + key);
    if (!v.ok()) return v.status();
    *dest = *v;
  }
  return absl::OkStatus();
}

absl::Status ParseLabels(const ConfigErrors& err, const YAML::Node& node, WorkerConfig& config) {
  if (!node.IsMap()) return err.At(node, "labels", "must be a map of strings");
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    absl::StatusOr<std::string> v = Scalar(err, kv.second, "labels." + key);
    if (!v.ok()) return v.status();
    config.labels[key] = *v;
  }
  return absl::OkStatus();
}

// Parses one top-level key into `config`; `token_file` collects join_token_file.
absl::Status ParseKey(const ConfigErrors& err, const YAML::Node& key_node, const YAML::Node& value,
                      WorkerConfig& config, std::string& token_file) {
  const std::string key = key_node.Scalar();
  auto set_string = [&](std::string& dest) -> absl::Status {
    absl::StatusOr<std::string> v = Scalar(err, value, key);
    if (!v.ok()) return v.status();
    dest = *v;
    return absl::OkStatus();
  };
  if (key == "coordinator") return set_string(config.coordinator);
  if (key == "name") return set_string(config.name);
  if (key == "state_dir") return set_string(config.state_dir);
  if (key == "join_token") return set_string(config.join_token);
  if (key == "join_token_file") return set_string(token_file);
  if (key == "labels") return ParseLabels(err, value, config);
  if (key == "tls") return ParseTls(err, value, config.tls);
  if (key == "log") return ParseLog(err, value, config);
  if (key == "insecure") {
    absl::StatusOr<bool> v = Bool(err, value, key);
    if (!v.ok()) return v.status();
    config.tls.insecure = *v;
    return absl::OkStatus();
  }
  if (key == "drain_grace_seconds") {
    double v = -1;
    if (!value.IsScalar() || !YAML::convert<double>::decode(value, v) || !(v >= 0)) {
      return err.At(value, key, "must be a number of seconds >= 0");
    }
    config.drain_grace_seconds = v;
    return absl::OkStatus();
  }
  if (key == "artifact_cache_bytes") {
    uint64_t v = 0;
    if (!value.IsScalar() || !YAML::convert<uint64_t>::decode(value, v) || v == 0) {
      return err.At(value, key, "must be a positive number of bytes");
    }
    config.artifact_cache_bytes = v;
    return absl::OkStatus();
  }
  return err.At(key_node, key,
                "unknown key (known: coordinator, name, state_dir, join_token, join_token_file, "
                "labels, insecure, tls, drain_grace_seconds, artifact_cache_bytes, log)");
}

absl::StatusOr<WorkerConfig> ParseRoot(const ConfigErrors& err, const YAML::Node& root) {
  if (!root.IsMap()) return err.At(root, "(top level)", "must be a map of settings");
  WorkerConfig config;
  std::string token_file;
  for (const auto& kv : root) {
    if (absl::Status s = ParseKey(err, kv.first, kv.second, config, token_file); !s.ok()) return s;
  }
  if (config.coordinator.empty()) return err.At(root, "coordinator", "required (host:port)");
  if (config.state_dir.empty()) return err.At(root, "state_dir", "required (a directory)");
  if (!token_file.empty()) {
    if (!config.join_token.empty()) {
      return err.At(root, "join_token_file", "give join_token or join_token_file, not both");
    }
    absl::StatusOr<std::string> token = ReadText(token_file, "join_token_file");
    if (!token.ok()) return token.status();
    config.join_token = std::string(absl::StripAsciiWhitespace(*token));
  }
  if (config.name.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
      return err.At(root, "name", "not set and the hostname cannot be read");
    }
    config.name = host;
  }
  return config;
}

}  // namespace

absl::StatusOr<WorkerConfig> ParseWorkerConfig(std::string_view yaml_text,
                                               std::string_view file_name) {
  const ConfigErrors err(file_name);
  // yaml-cpp reports syntax errors by throwing; keep them inside this module.
  try {
    const YAML::Node root = YAML::Load(std::string(yaml_text));
    return ParseRoot(err, root);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(file_name), ":", e.mark.line + 1, ": not valid YAML: ", e.msg));
  }
}

absl::StatusOr<WorkerConfig> LoadWorkerConfig(const std::string& path) {
  absl::StatusOr<std::string> text = ReadText(path, "worker config");
  if (!text.ok()) return text.status();
  return ParseWorkerConfig(*text, path);
}

}  // namespace gridbench::worker
