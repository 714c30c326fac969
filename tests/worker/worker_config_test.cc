#include "worker/worker_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace gridbench::worker {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(std::string_view yaml) {
  absl::StatusOr<WorkerConfig> c = ParseWorkerConfig(yaml, "worker.yaml");
  EXPECT_FALSE(c.ok()) << yaml;
  return c.ok() ? "" : std::string(c.status().message());
}

TEST(WorkerConfigTest, ParsesEveryField) {
  absl::StatusOr<WorkerConfig> c = ParseWorkerConfig(R"(
coordinator: 127.0.0.1:7070
name: bench-host-1
state_dir: /var/lib/gridbench-worker
join_token: gbt_abc
labels: {rack: a1, zone: "2"}
tls: {ca: ca.pem, cert: client.pem, key: client.key}
drain_grace_seconds: 30
log: {level: debug, format: json}
)",
                                                     "worker.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->coordinator, "127.0.0.1:7070");
  EXPECT_EQ(c->name, "bench-host-1");
  EXPECT_EQ(c->state_dir, "/var/lib/gridbench-worker");
  EXPECT_EQ(c->join_token, "gbt_abc");
  EXPECT_EQ(c->labels.at("rack"), "a1");
  EXPECT_EQ(c->labels.at("zone"), "2");
  EXPECT_EQ(c->tls.ca_file, "ca.pem");
  EXPECT_EQ(c->tls.cert_file, "client.pem");
  EXPECT_EQ(c->tls.key_file, "client.key");
  EXPECT_FALSE(c->tls.insecure);
  EXPECT_EQ(c->drain_grace_seconds, 30);
  EXPECT_EQ(c->log_level, "debug");
  EXPECT_EQ(c->log_format, "json");
}

TEST(WorkerConfigTest, DefaultsNameToHostname) {
  absl::StatusOr<WorkerConfig> c =
      ParseWorkerConfig("coordinator: h:1\nstate_dir: /tmp/x\ninsecure: true\n", "w.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FALSE(c->name.empty());
  EXPECT_TRUE(c->tls.insecure);
  EXPECT_EQ(c->log_level, "info");
}

TEST(WorkerConfigTest, ErrorsNameFileLineAndField) {
  EXPECT_THAT(ErrorOf("coordinator: h:1\nstate_dir: /s\nlabels:\n  rack: [a, b]\n"),
              HasSubstr("worker.yaml:4: labels.rack: must be a string"));
  EXPECT_THAT(ErrorOf("coordinator: h:1\nstate_dir: /s\ncolour: blue\n"),
              HasSubstr("worker.yaml:3: colour: unknown key"));
  EXPECT_THAT(ErrorOf("coordinator: h:1\nstate_dir: /s\ninsecure: maybe\n"),
              HasSubstr("worker.yaml:3: insecure: must be true or false"));
  EXPECT_THAT(ErrorOf("coordinator: h:1\nstate_dir: /s\ntls: {ca: a, cart: b}\n"),
              HasSubstr("worker.yaml:3: tls.cart: unknown key"));
  EXPECT_THAT(ErrorOf("coordinator: h:1\nstate_dir: /s\nlog: {level: loud, volume: 3}\n"),
              HasSubstr("worker.yaml:3: log.volume: unknown key"));
  EXPECT_THAT(ErrorOf("coordinator: h:1\nstate_dir: /s\ndrain_grace_seconds: -4\n"),
              HasSubstr("worker.yaml:3: drain_grace_seconds: must be a number of seconds"));
  EXPECT_THAT(ErrorOf("state_dir: /s\n"), HasSubstr("coordinator: required"));
  EXPECT_THAT(ErrorOf("coordinator: h:1\n"), HasSubstr("state_dir: required"));
  EXPECT_THAT(ErrorOf("coordinator: [h\n"), HasSubstr("worker.yaml:"));
  EXPECT_THAT(ErrorOf("- just\n- a list\n"), HasSubstr("must be a map"));
  EXPECT_THAT(ErrorOf(""), HasSubstr("must be a map"));
}

TEST(WorkerConfigTest, JoinTokenFile) {
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/join.token";
  std::ofstream(path) << "gbt_fromfile\n";
  absl::StatusOr<WorkerConfig> c = ParseWorkerConfig(
      "coordinator: h:1\nstate_dir: /s\njoin_token_file: " + path + "\n", "w.yaml");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->join_token, "gbt_fromfile");

  c = ParseWorkerConfig("coordinator: h:1\nstate_dir: /s\njoin_token_file: " + dir + "/missing\n",
                        "w.yaml");
  EXPECT_TRUE(absl::IsNotFound(c.status())) << c.status();
  EXPECT_THAT(
      ErrorOf("coordinator: h:1\nstate_dir: /s\njoin_token: a\njoin_token_file: " + path + "\n"),
      HasSubstr("not both"));
}

TEST(WorkerConfigTest, LoadMissingFile) {
  EXPECT_TRUE(absl::IsNotFound(LoadWorkerConfig("/nonexistent/worker.yaml").status()));
}

}  // namespace
}  // namespace gridbench::worker
