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
  absl::StatusOr<GemmParams> p = ParseGemmParams(Gemm({{"m", 64}, {"n", 32}, {"k", 16}}));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->m, 64);
  EXPECT_EQ(p->n, 32);
  EXPECT_EQ(p->k, 16);
  EXPECT_EQ(p->backend, "blas");
  EXPECT_EQ(p->threads, 0);
  EXPECT_EQ(p->timing.warmup, 2);
  EXPECT_EQ(p->timing.repetitions, 10);
  EXPECT_EQ(p->timing.min_time_seconds, 0);
  EXPECT_EQ(p->timing.seed, 1u);
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
  EXPECT_THAT(std::string(s.message()), HasSubstr("kind: \"fft\" is not one of gemm, gemv, peak"));

  spec.set_kind("gemm");
  spec.mutable_requirements()->set_backend("tpu");
  s = ValidateTaskParams(spec);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("requirements.backend: kind gemm runs on backend blas | vulkan | quant, "
                        "got \"tpu\""));
  spec.mutable_requirements()->set_backend("blas");
  EXPECT_TRUE(ValidateTaskParams(spec).ok());
}

gridbench::v1::TaskSpec Spec(const char* kind, const char* backend,
                             std::initializer_list<std::pair<const char*, double>> numbers,
                             std::initializer_list<std::pair<const char*, const char*>> strings) {
  gridbench::v1::TaskSpec spec;
  spec.set_kind(kind);
  spec.mutable_requirements()->set_backend(backend);
  auto& f = *spec.mutable_params()->mutable_fields();
  for (const auto& [name, value] : numbers) f[name].set_number_value(value);
  for (const auto& [name, value] : strings) f[name].set_string_value(value);
  return spec;
}

std::string Problems(const gridbench::v1::TaskSpec& spec) {
  const absl::Status s = ValidateTaskParams(spec);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  return std::string(s.message());
}

TEST(TaskParamsTest, GemmBackendsTakeTheirOwnParams) {
  absl::StatusOr<GemmParams> vulkan =
      ParseGemmParams(Spec("gemm", "vulkan", {{"m", 8}, {"n", 8}, {"k", 8}}, {{"device", "llvm"}}));
  ASSERT_TRUE(vulkan.ok()) << vulkan.status();
  EXPECT_EQ(vulkan->backend, "vulkan");
  EXPECT_EQ(vulkan->device, "llvm");
  absl::StatusOr<GemmParams> indexed =
      ParseGemmParams(Spec("gemm", "vulkan", {{"m", 8}, {"n", 8}, {"k", 8}, {"device", 1}}, {}));
  ASSERT_TRUE(indexed.ok()) << indexed.status();
  EXPECT_EQ(indexed->device, "1");
  absl::StatusOr<GemmParams> quant = ParseGemmParams(
      Spec("gemm", "quant", {{"m", 8}, {"n", 8}, {"k", 512}}, {{"weight_type", "q6_k"}}));
  ASSERT_TRUE(quant.ok()) << quant.status();
  EXPECT_EQ(quant->weight_type, "q6_k");

  EXPECT_THAT(Problems(Spec("gemm", "vulkan", {{"m", 8}, {"n", 8}, {"k", 8}, {"threads", 2}}, {})),
              HasSubstr("params.threads: not used by backend vulkan"));
  EXPECT_THAT(Problems(Spec("gemm", "vulkan", {{"m", 8}, {"n", 8}, {"k", 8}, {"device", -1}}, {})),
              HasSubstr("params.device: must be a non-empty name or an integer in 0..63, got -1"));
  EXPECT_THAT(
      Problems(Spec("gemm", "vulkan", {{"m", 8}, {"n", 8}, {"k", 8}}, {{"device", ""}})),
      HasSubstr("params.device: must be a non-empty name or an integer in 0..63, got \"\""));
  EXPECT_THAT(Problems(Spec("gemm", "", {{"m", 8}, {"n", 8}, {"k", 8}}, {{"weight_type", "q8_0"}})),
              HasSubstr("params.weight_type: only for backend quant, not blas"));
  EXPECT_THAT(Problems(Spec("gemm", "blas", {{"m", 8}, {"n", 8}, {"k", 8}}, {{"device", "0"}})),
              HasSubstr("params.device: only for backend vulkan, not blas"));
  EXPECT_THAT(
      Problems(Spec("gemm", "quant", {{"m", 8}, {"n", 8}, {"k", 64}}, {{"weight_type", "q5_0"}})),
      HasSubstr("params.weight_type: must be one of q8_0, q4_0, q4_k, q6_k, got \"q5_0\""));
  EXPECT_THAT(
      Problems(Spec("gemm", "quant", {{"m", 8}, {"n", 8}, {"k", 100}}, {{"weight_type", "q4_k"}})),
      HasSubstr("params.k: must be a multiple of 256 for weight_type q4_k, got 100"));
  EXPECT_THAT(Problems(Spec("gemm", "quant", {{"m", 8}, {"n", 8}, {"k", 40}}, {})),
              HasSubstr("params.k: must be a multiple of 32 for weight_type q8_0, got 40"));
}

TEST(TaskParamsTest, GemvParamsAndBackends) {
  absl::StatusOr<GemvParams> p = ParseGemvParams(Spec("gemv", "", {{"rows", 3}, {"cols", 64}}, {}));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->backend, "quant");
  EXPECT_EQ(p->weight_type, "q8_0");
  EXPECT_EQ(p->timing.repetitions, 10);

  const std::string missing = Problems(Spec("gemv", "quant", {{"cols", 48}}, {}));
  EXPECT_THAT(missing, HasSubstr("params.rows: required (an integer in 1..65536)"));
  EXPECT_THAT(missing, HasSubstr("params.cols: must be a multiple of 32 for weight_type q8_0"));
  EXPECT_THAT(
      Problems(Spec("gemv", "vulkan", {{"rows", 4}, {"cols", 256}}, {{"weight_type", "q4_k"}})),
      HasSubstr("params.weight_type: must be one of q8_0, q4_0, got \"q4_k\""));
  EXPECT_THAT(Problems(Spec("gemv", "blas", {{"rows", 4}, {"cols", 32}}, {})),
              HasSubstr("requirements.backend: kind gemv runs on backend quant | vulkan, got "
                        "\"blas\""));
  EXPECT_THAT(Problems(Spec("gemv", "quant", {{"rows", 4}, {"cols", 32}, {"m", 1}}, {})),
              HasSubstr("params.m: unknown parameter (known: rows, cols, weight_type,"));
}

TEST(TaskParamsTest, PeakParams) {
  absl::StatusOr<PeakParams> p = ParsePeakParams(Spec("peak", "", {}, {}));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->seconds, 0.2);
  EXPECT_TRUE(p->cpu);
  EXPECT_TRUE(p->vulkan);

  EXPECT_THAT(Problems(Spec("peak", "", {{"seconds", 0}}, {})),
              HasSubstr("params.seconds: must be a number in 0.01..10, got 0"));
  EXPECT_THAT(Problems(Spec("peak", "", {}, {{"cpu", "yes"}})),
              HasSubstr("params.cpu: must be true or false, got \"yes\""));
  gridbench::v1::TaskSpec nothing = Spec("peak", "", {}, {});
  (*nothing.mutable_params()->mutable_fields())["cpu"].set_bool_value(false);
  (*nothing.mutable_params()->mutable_fields())["vulkan"].set_bool_value(false);
  EXPECT_THAT(Problems(nothing), HasSubstr("params.cpu: cpu and vulkan are both false"));
  EXPECT_THAT(Problems(Spec("peak", "blas", {}, {})),
              HasSubstr("requirements.backend: kind peak takes no backend, got \"blas\""));
}

TEST(TaskParamsTest, EffectiveBackendIsTheKindsDefault) {
  EXPECT_EQ(EffectiveBackend(Spec("gemm", "", {}, {})), "blas");
  EXPECT_EQ(EffectiveBackend(Spec("gemm", "vulkan", {}, {})), "vulkan");
  EXPECT_EQ(EffectiveBackend(Spec("gemv", "", {}, {})), "quant");
  EXPECT_EQ(EffectiveBackend(Spec("peak", "", {}, {})), "");
}

constexpr char kModelId[] =
    "sha256:1111111111111111111111111111111111111111111111111111111111111111";
constexpr char kReferenceId[] =
    "sha256:2222222222222222222222222222222222222222222222222222222222222222";

TEST(TaskParamsTest, InferenceDefaultsAreLlamaBenchs) {
  absl::StatusOr<InferenceParams> p =
      ParseInferenceParams(Spec("inference", "", {}, {{"model", kModelId}}));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->backend, "cpu");
  EXPECT_EQ(p->model, kModelId);
  EXPECT_EQ(p->reference, "");
  EXPECT_EQ(p->prompt_tokens, 512);
  EXPECT_EQ(p->gen_tokens, 128);
  EXPECT_EQ(p->repetitions, 5);
  EXPECT_EQ(p->warmup, 1);
  EXPECT_EQ(p->fidelity_tokens, 128);
  EXPECT_EQ(p->seed, 1u);
  ASSERT_EQ(ArtifactIdsOf(Spec("inference", "", {}, {{"model", kModelId}})).size(), 1u);

  const gridbench::v1::TaskSpec with_reference = Spec(
      "inference", "vulkan", {{"fidelity_tokens", 16}},
      {{"model", kModelId}, {"reference", kReferenceId}, {"device", "llvmpipe"}});
  p = ParseInferenceParams(with_reference);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->reference, kReferenceId);
  EXPECT_EQ(p->device, "llvmpipe");
  EXPECT_EQ(p->fidelity_tokens, 16);
  EXPECT_THAT(ArtifactIdsOf(with_reference), ::testing::ElementsAre(kModelId, kReferenceId));
}

TEST(TaskParamsTest, InferenceRefusesEachBadField) {
  const std::string msg = Problems(
      Spec("inference", "cpu",
           {{"prompt_tokens", 0}, {"gen_tokens", 0}, {"repetitions", 0}, {"fidelity_tokens", 8}},
           {{"reference", "sha256:beef"}, {"device", "0"}}));
  EXPECT_THAT(msg, HasSubstr("params.model: required"));
  EXPECT_THAT(msg, HasSubstr("params.reference:"));
  EXPECT_THAT(msg, HasSubstr("both 0: nothing to measure"));
  EXPECT_THAT(msg, HasSubstr("params.repetitions: must be an integer in 1..1000, got 0"));
  EXPECT_THAT(msg, HasSubstr("params.fidelity_tokens: only used with a reference model"));
  EXPECT_THAT(msg, HasSubstr("params.device: only for backend vulkan, not cpu"));
  EXPECT_THAT(Problems(Spec("inference", "blas", {}, {{"model", kModelId}})),
              HasSubstr("runs on backend cpu | vulkan"));
}

TEST(TaskParamsTest, KnownKinds) {
  EXPECT_THAT(KnownTaskKinds(), ::testing::IsSupersetOf({"gemm", "gemv", "peak", "inference"}));
}

}  // namespace
}  // namespace gridbench
