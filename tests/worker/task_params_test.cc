#include "common/task_params.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace gridbench {
namespace {

using ::testing::HasSubstr;

gridbench::v1::TaskSpec Gemm(std::initializer_list<std::pair<const char*, double>> params) {
  gridbench::v1::TaskSpec spec;
  spec.set_kind("gemm");
  for (const auto& [name, value] : params) {
    (*spec.mutable_params()->mutable_fields())[name].set_number_value(value);
  }
  return spec;
}

TEST(TaskParamsTest, ValidGemmUsesDefaults) {
  absl::StatusOr<GemmParams> p = ParseGemmParams(Gemm({{"m", 64}, {"n", 32}, {"k", 16}}).params());
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->m, 64);
  EXPECT_EQ(p->n, 32);
  EXPECT_EQ(p->k, 16);
  EXPECT_EQ(p->threads, 0);
  EXPECT_EQ(p->warmup, 2);
  EXPECT_EQ(p->repetitions, 10);
  EXPECT_EQ(p->min_time_seconds, 0);
  EXPECT_EQ(p->seed, 1u);
  EXPECT_TRUE(ValidateTaskParams(Gemm({{"m", 1}, {"n", 32768}, {"k", 7}})).ok());
}

TEST(TaskParamsTest, ReportsEveryBadFieldAtOnce) {
  gridbench::v1::TaskSpec spec =
      Gemm({{"m", -3}, {"k", 1.5}, {"repetitions", 0}, {"warmup", 1001}, {"min_time_seconds", -1}});
  (*spec.mutable_params()->mutable_fields())["threads"].set_string_value("four");
  (*spec.mutable_params()->mutable_fields())["colour"].set_bool_value(true);
  const absl::Status s = ValidateTaskParams(spec);
  ASSERT_TRUE(absl::IsInvalidArgument(s)) << s;
  const std::string msg(s.message());
  EXPECT_THAT(msg, HasSubstr("params.m: must be an integer in 1..32768, got -3"));
  EXPECT_THAT(msg, HasSubstr("params.n: required (an integer in 1..32768)"));
  EXPECT_THAT(msg, HasSubstr("params.k: must be an integer in 1..32768, got 1.5"));
  EXPECT_THAT(msg, HasSubstr("params.threads: must be an integer in 0..4096, got \"four\""));
  EXPECT_THAT(msg, HasSubstr("params.repetitions: must be an integer in 1..100000, got 0"));
  EXPECT_THAT(msg, HasSubstr("params.warmup: must be an integer in 0..1000, got 1001"));
  EXPECT_THAT(msg, HasSubstr("params.min_time_seconds: must be a number in 0..86400, got -1"));
  EXPECT_THAT(msg, HasSubstr("params.colour: unknown parameter (known: m, n, k,"));
  // One message per problem, joined by "; ".
  EXPECT_EQ(std::count(msg.begin(), msg.end(), ';'), 7) << msg;
}

TEST(TaskParamsTest, UnknownKindAndWrongBackend) {
  gridbench::v1::TaskSpec spec = Gemm({{"m", 1}, {"n", 1}, {"k", 1}});
  spec.set_kind("fft");
  absl::Status s = ValidateTaskParams(spec);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(std::string(s.message()), HasSubstr("kind: \"fft\" is not one of gemm"));

  spec.set_kind("gemm");
  spec.mutable_requirements()->set_backend("tpu");
  s = ValidateTaskParams(spec);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("requirements.backend: kind gemm runs on backend blas, got \"tpu\""));
  spec.mutable_requirements()->set_backend("blas");
  EXPECT_TRUE(ValidateTaskParams(spec).ok());
}

TEST(TaskParamsTest, KnownKinds) { EXPECT_THAT(KnownTaskKinds(), ::testing::Contains("gemm")); }

}  // namespace
}  // namespace gridbench
