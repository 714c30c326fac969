#include "common/job_file.h"

#include <string>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace gridbench {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

gridbench::v1::JobSpec FromText(const std::string& text) {
  gridbench::v1::JobSpec spec;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &spec)) << text;
  return spec;
}

// The error lines of a failed parse.
std::vector<std::string> ErrorLines(const absl::StatusOr<gridbench::v1::JobSpec>& parsed) {
  EXPECT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  return absl::StrSplit(std::string(parsed.status().message()), '\n');
}

TEST(JobFileTest, GoodFileBecomesTheExpectedJobSpec) {
  const char* yaml = R"(name: gemm-sweep
labels: {team: ml-infra, rack: 7}
priority: 10
tasks:
  - name: gemm-1024
    kind: gemm
    params: {m: 1024, n: 1024, k: 1024, threads: 0, warmup: 2, repetitions: 10,
             min_time_seconds: 0.5, seed: 1}
    requirements:
      backend: blas
      device: cpu
      min_memory: 4GiB
      isa: [avx2, fma]
      labels: {rack: a1}
    placement: each
    timeout: 5m
    retry: {max_attempts: 3, backoff: 1s, max_backoff: 1m, multiplier: 2}
  - name: gemm-small
    kind: gemm
    params:
      m: 64
      n: 32
      k: 16
)";
  absl::StatusOr<gridbench::v1::JobSpec> parsed = ParseJobFile(yaml, "sweep.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const gridbench::v1::JobSpec expected = FromText(R"pb(
    name: "gemm-sweep"
    labels { key: "team" value: "ml-infra" }
    labels { key: "rack" value: "7" }
    priority: 10
    tasks {
      name: "gemm-1024"
      kind: "gemm"
      params {
        fields {
          key: "m"
          value { number_value: 1024 }
        }
        fields {
          key: "n"
          value { number_value: 1024 }
        }
        fields {
          key: "k"
          value { number_value: 1024 }
        }
        fields {
          key: "threads"
          value { number_value: 0 }
        }
        fields {
          key: "warmup"
          value { number_value: 2 }
        }
        fields {
          key: "repetitions"
          value { number_value: 10 }
        }
        fields {
          key: "min_time_seconds"
          value { number_value: 0.5 }
        }
        fields {
          key: "seed"
          value { number_value: 1 }
        }
      }
      requirements {
        backend: "blas"
        device_type: DEVICE_TYPE_CPU
        min_memory_bytes: 4294967296
        isa_features: [ "avx2", "fma" ]
        labels { key: "rack" value: "a1" }
      }
      placement: PLACEMENT_EACH
      timeout_seconds: 300
      retry { max_attempts: 3 initial_backoff_seconds: 1 max_backoff_seconds: 60 multiplier: 2 }
    }
    tasks {
      name: "gemm-small"
      kind: "gemm"
      params {
        fields {
          key: "m"
          value { number_value: 64 }
        }
        fields {
          key: "n"
          value { number_value: 32 }
        }
        fields {
          key: "k"
          value { number_value: 16 }
        }
      }
      placement: PLACEMENT_ANY
      timeout_seconds: 600
    }
  )pb");
  std::string diff;
  google::protobuf::util::MessageDifferencer differ;
  differ.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differ.Compare(expected, *parsed)) << diff;
  EXPECT_TRUE(ValidateJobSpec(*parsed).ok()) << ValidateJobSpec(*parsed);
}

TEST(JobFileTest, ReportsEveryProblemWithItsLine) {
  const char* yaml = R"(name: sweep
tasks:
  - name: a
    kind: gemm
    params: {m: -3, n: 8, k: 8}
    requirements: {device: tpu, min_memory: 4 gigs}
    timeout: soon
  - name: a
    kind: fft
    placement: everywhere
)";
  EXPECT_THAT(
      ErrorLines(ParseJobFile(yaml, "bad.yaml")),
      ElementsAre("bad.yaml:5:17: tasks[0].params.m: must be an integer in 1..32768, got -3",
                  "bad.yaml:6:28: tasks[0].requirements.device: must be cpu, gpu or any, got 'tpu'",
                  HasSubstr("bad.yaml:6:45: tasks[0].requirements.min_memory: must be a size"),
                  HasSubstr("bad.yaml:7:14: tasks[0].timeout: must be a duration"),
                  "bad.yaml:8:11: tasks[1].name: duplicate task name 'a' (also tasks[0])",
                  HasSubstr("bad.yaml:9:11: tasks[1].kind: must be one of gemm, gemv, peak"),
                  "bad.yaml:10:16: tasks[1].placement: must be any or each, got 'everywhere'"));
}

TEST(JobFileTest, UnknownAndDuplicateKeysAreErrors) {
  const char* yaml = R"(name: j
tasks:
  - name: t
    kind: gemm
    params: {m: 8, n: 8, k: 8, repetition: 3}
    tmeout: 5s
    retry: {max_attempts: 2, backof: 1s}
name: again
)";
  const std::vector<std::string> lines = ErrorLines(ParseJobFile(yaml, "j.yaml"));
  ASSERT_EQ(lines.size(), 4u) << ParseJobFile(yaml, "j.yaml").status();
  EXPECT_THAT(lines[0], HasSubstr("j.yaml:5:44: tasks[0].params.repetition: unknown parameter"));
  EXPECT_THAT(lines[1], HasSubstr("j.yaml:6:5: tasks[0].tmeout: unknown key; expected one of "
                                  "name, kind, params, requirements, placement, timeout, retry"));
  EXPECT_THAT(lines[2], HasSubstr("j.yaml:7:30: tasks[0].retry.backof: unknown key"));
  EXPECT_EQ(lines[3], "j.yaml:8:1: name: duplicate key");
}

TEST(JobFileTest, MalformedYamlNamesTheLine) {
  const std::vector<std::string> lines =
      ErrorLines(ParseJobFile("name: x\ntasks: [\n  {name: a\n", "broken.yaml"));
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("broken.yaml:"));
  EXPECT_THAT(lines[0], HasSubstr("invalid YAML"));
  EXPECT_THAT(ErrorLines(ParseJobFile("name: a\n\tname: b\n", "tab.yaml"))[0],
              HasSubstr("tab.yaml:"));
}

TEST(JobFileTest, EmptyMissingAndWrongShapes) {
  EXPECT_THAT(ErrorLines(ParseJobFile("", "e.yaml")),
              ElementsAre("e.yaml:1:1: the job file is empty"));
  EXPECT_THAT(ErrorLines(ParseJobFile("- a\n- b\n", "l.yaml")),
              ElementsAre("l.yaml:1:1: must be a mapping of keys to values"));
  EXPECT_THAT(ErrorLines(ParseJobFile("labels: {a: b}\n", "n.yaml")),
              ElementsAre("n.yaml:1:1: name: is required",
                          "n.yaml:1:1: tasks: at least one task is required"));
  EXPECT_THAT(ErrorLines(ParseJobFile("name: j\ntasks: nope\n", "t.yaml")),
              ElementsAre("t.yaml:2:8: tasks: must be a list of tasks"));
  EXPECT_THAT(ErrorLines(ParseJobFile("name: j\nlabels: {rack: }\ntasks:\n  - {name: t, kind: "
                                      "gemm, params: {m: 1, n: 1, k: 1}}\n",
                                      "v.yaml")),
              ElementsAre("v.yaml:2:16: labels.rack: needs a value"));
  EXPECT_THAT(ErrorLines(ParseJobFile("name: j\n---\nname: k\n", "two.yaml"))[0],
              HasSubstr("one YAML document"));
  EXPECT_THAT(ErrorLines(ParseJobFile("name: [j]\ntasks:\n  - {name: t, kind: gemm, "
                                      "params: {m: 1, n: 1, k: 1}}\n",
                                      "s.yaml")),
              ElementsAre("s.yaml:1:7: name: must be a single value, not a list or mapping"));
}

TEST(JobFileTest, ParamsKeepYamlTypes) {
  const char* yaml = R"(name: j
tasks:
  - name: t
    kind: gemm
    params: {m: "64", n: 8, k: 8}
)";
  // A quoted number is a string, which gemm refuses: typos in types show.
  EXPECT_THAT(ErrorLines(ParseJobFile(yaml, "q.yaml")),
              ElementsAre(HasSubstr("q.yaml:5:17: tasks[0].params.m: must be an integer")));
}

TEST(JobFileTest, AliasExpansionIsBounded) {
  // Each level refers to the one before ten times: 10^8 values if expanded.
  std::string yaml = "name: j\nx0: &a0 [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n";
  for (int i = 1; i <= 8; ++i) {
    yaml += "x" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) yaml += (j ? ", *a" : "*a") + std::to_string(i - 1);
    yaml += "]\n";
  }
  yaml += "tasks:\n  - name: t\n    kind: gemm\n    params: {m: 8, n: 8, k: 8, big: *a8}\n";
  const std::vector<std::string> lines = ErrorLines(ParseJobFile(yaml, "bomb.yaml"));
  EXPECT_THAT(lines, Contains(HasSubstr("params expand to more than 100000 values")));
}

TEST(JobFileTest, RetryAndTimeoutLimits) {
  const char* yaml = R"(name: j
tasks:
  - name: t
    kind: gemm
    params: {m: 8, n: 8, k: 8}
    timeout: 0
    retry: {max_attempts: 0, backoff: 10s, max_backoff: 5s, multiplier: 0.5}
  - name: u
    kind: gemm
    params: {m: 8, n: 8, k: 8}
    timeout: 8d
)";
  EXPECT_THAT(ErrorLines(ParseJobFile(yaml, "r.yaml")),
              ElementsAre("r.yaml:6:14: tasks[0].timeout: must be positive, got 0",
                          "r.yaml:7:27: tasks[0].retry.max_attempts: must be an integer in "
                          "1..100, got '0'",
                          "r.yaml:7:57: tasks[0].retry.max_backoff: must not be below backoff "
                          "(10s), got 5s",
                          "r.yaml:7:73: tasks[0].retry.multiplier: must be in 1..100, got 0.5",
                          HasSubstr("r.yaml:11:14: tasks[1].timeout: must be at most 604800")));
}

TEST(JobFileTest, Durations) {
  EXPECT_EQ(*ParseDurationSeconds("300s"), 300);
  EXPECT_EQ(*ParseDurationSeconds("5m"), 300);
  EXPECT_EQ(*ParseDurationSeconds("1h"), 3600);
  EXPECT_EQ(*ParseDurationSeconds("1.5h"), 5400);
  EXPECT_EQ(*ParseDurationSeconds("1d"), 86400);
  EXPECT_EQ(*ParseDurationSeconds("250ms"), 0.25);
  EXPECT_EQ(*ParseDurationSeconds("42"), 42);
  EXPECT_EQ(*ParseDurationSeconds(" 7 s "), 7);
  for (const char* bad : {"", "s", "5 minutes", "5x", "-1s", "nan", "inf", "1e999s", "5m3s"}) {
    EXPECT_EQ(ParseDurationSeconds(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(JobFileTest, MemorySizes) {
  EXPECT_EQ(*ParseMemoryBytes("4GiB"), 4ull << 30);
  EXPECT_EQ(*ParseMemoryBytes("512MiB"), 512ull << 20);
  EXPECT_EQ(*ParseMemoryBytes("64kib"), 64ull << 10);
  EXPECT_EQ(*ParseMemoryBytes("2TiB"), 2ull << 40);
  EXPECT_EQ(*ParseMemoryBytes("4GB"), 4'000'000'000ull);
  EXPECT_EQ(*ParseMemoryBytes("1.5KiB"), 1536u);
  EXPECT_EQ(*ParseMemoryBytes("1000"), 1000u);
  EXPECT_EQ(*ParseMemoryBytes("100B"), 100u);
  for (const char* bad : {"", "GiB", "4G", "4 gigs", "-1GiB", "99999999TiB", "nan"}) {
    EXPECT_EQ(ParseMemoryBytes(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(JobFileTest, ValidateJobSpecChecksProtobufJobsWithoutLines) {
  gridbench::v1::JobSpec job = FromText(R"pb(
    name: "ok"
    tasks {
      name: "t"
      kind: "gemm"
      params {
        fields {
          key: "m"
          value { number_value: 8 }
        }
        fields {
          key: "n"
          value { number_value: 8 }
        }
        fields {
          key: "k"
          value { number_value: 8 }
        }
      }
    }
  )pb");
  EXPECT_TRUE(ValidateJobSpec(job).ok()) << ValidateJobSpec(job);  // Zeros mean defaults.
  ApplyJobDefaults(job);
  EXPECT_EQ(job.tasks(0).timeout_seconds(), kDefaultTaskTimeoutSeconds);
  EXPECT_EQ(job.tasks(0).placement(), gridbench::v1::PLACEMENT_ANY);

  gridbench::v1::JobSpec bad = FromText(R"pb(
    name: "has space"
    tasks { name: "t" kind: "gemm" timeout_seconds: -1 placement: 7 }
  )pb");
  bad.mutable_tasks(0)->mutable_requirements()->add_isa_features("AVX2");
  const absl::Status status = ValidateJobSpec(bad);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::vector<std::string>(absl::StrSplit(std::string(status.message()), '\n')),
              ElementsAre(HasSubstr("name: must be 1..128 characters"),
                          HasSubstr("tasks[0].params.m: required"),
                          HasSubstr("tasks[0].params.n: required"),
                          HasSubstr("tasks[0].params.k: required"),
                          "tasks[0].placement: unknown placement 7",
                          "tasks[0].requirements.isa[0]: must be a lower-case feature name, got "
                          "'AVX2'",
                          "tasks[0].timeout: must not be negative, got -1"));
  EXPECT_THAT(std::string(ValidateJobSpec(gridbench::v1::JobSpec()).message()),
              HasSubstr("tasks: at least one task is required"));
}

}  // namespace
}  // namespace gridbench
