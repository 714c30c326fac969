// Result tables and local signature checks, on results signed with real keys.
#include "cli/results.h"

#include <sstream>

#include "absl/strings/str_split.h"
#include "cli/format.h"
#include "common/canonical_result.h"
#include "common/crypto.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace gridbench::cli {
namespace {

using ::testing::HasSubstr;

class ResultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    key_ = GenerateSigningKey();
    auto* task = results_.job.add_tasks();
    task->set_task_id("t-1");
    task->mutable_spec()->set_kind("gemm");
    auto& params = *task->mutable_spec()->mutable_params()->mutable_fields();
    params["m"].set_number_value(256);
    params["n"].set_number_value(128);
    params["k"].set_number_value(64);
    AddResult("gemm-256", "t-1", 1);
  }

  // A result for `task_id` signed by key_, as the coordinator returns it.
  void AddResult(const std::string& task_name, const std::string& task_id, uint64_t sequence) {
    gridbench::v1::ResultPayload payload;
    payload.set_kind("gemm");
    payload.set_hardware_sha256("abc");
    payload.mutable_summary()->set_median(0.00123456);
    (*payload.mutable_metrics())["gflops_median"] = 54.321;
    (*payload.mutable_metrics())["threads"] = 2;
    (*payload.mutable_environment())["openblas_corename"] = "Haswell";
    gridbench::v1::StoredResult stored;
    stored.set_job_id("j-1");
    stored.set_task_name(task_name);
    stored.set_worker_name("box, \"one\"");
    stored.set_worker_public_key(key_.public_key);
    auto& s = *stored.mutable_signed_();
    s.set_worker_id("w-1");
    s.set_task_id(task_id);
    s.set_attempt_id("a-1");
    s.set_lease_id("l-1");
    s.set_sequence(sequence);
    s.set_key_id(KeyId(key_.public_key));
    payload.SerializeToString(s.mutable_payload());
    s.set_signature(Sign(key_, CanonicalResultBytes(s)));
    results_.results.push_back(stored);
  }

  std::string Print(ResultFormat format) {
    std::ostringstream out;
    PrintResults(results_, format, out);
    return out.str();
  }

  SigningKey key_;
  JobResults results_;
};

TEST_F(ResultsTest, TableShowsFiguresAndSignatureState) {
  const std::string table = Print(ResultFormat::kTable);
  EXPECT_THAT(table, HasSubstr("TASK      WORKER      KIND  SHAPE/PARAMS  MEDIAN S  RESULT         "
                               "OF PEAK  THREADS  DEVICE            SIGNATURE"));
  EXPECT_THAT(table,
              HasSubstr("gemm-256  box, \"one\"  gemm  256x128x64    0.001235  54.32 GFLOP/s  "
                        "-        2        OpenBLAS Haswell  ok"));
}

// Each kind shows its own headline figure; a software Vulkan device is
// marked so nobody takes its number for a GPU's.
TEST_F(ResultsTest, TableShowsEachKindsFigureAndMarksSoftwareDevices) {
  gridbench::v1::ResultPayload vulkan;
  vulkan.set_kind("gemm");
  (*vulkan.mutable_metrics())["gflops_median"] = 12.5;
  (*vulkan.mutable_metrics())["fraction_of_peak"] = 0.625;
  (*vulkan.mutable_environment())["backend"] = "vulkan";
  (*vulkan.mutable_environment())["vulkan_device"] = "llvmpipe";
  (*vulkan.mutable_environment())["vulkan_software"] = "true";
  gridbench::v1::ResultPayload quantize;
  quantize.set_kind("quantize");
  (*quantize.mutable_metrics())["input_mb_per_s"] = 96.25;
  (*quantize.mutable_metrics())["size_ratio"] = 0.53;
  (*quantize.mutable_metrics())["relative_rmse"] = 0.00512;
  (*quantize.mutable_metrics())["snr_db"] = 45.86;
  (*quantize.mutable_environment())["quantize_type"] = "q8_0";
  gridbench::v1::ResultPayload inference;
  inference.set_kind("inference");
  (*inference.mutable_metrics())["tg_tokens_per_s"] = 25.04;
  (*inference.mutable_metrics())["pp_tokens_per_s"] = 97.2;
  (*inference.mutable_metrics())["ttft_ms_median"] = 5267;
  (*inference.mutable_metrics())["top1_agreement"] = 0.9375;
  (*inference.mutable_metrics())["kl_mean"] = 0.0123;
  (*inference.mutable_metrics())["kl_max"] = 0.25;
  (*inference.mutable_environment())["backend"] = "cpu";
  for (const auto* payload : {&vulkan, &quantize, &inference}) {
    AddResult("t", "t-1", 1);
    payload->SerializeToString(results_.results.back().mutable_signed_()->mutable_payload());
  }
  const std::string table = Print(ResultFormat::kTable);
  EXPECT_THAT(table, HasSubstr("gemm/vulkan"));
  EXPECT_THAT(table, HasSubstr("12.5 GFLOP/s"));
  EXPECT_THAT(table, HasSubstr("62%"));
  EXPECT_THAT(table, HasSubstr("llvmpipe [software]"));
  EXPECT_THAT(table, HasSubstr("96.25 MB/s"));
  EXPECT_THAT(table, HasSubstr("q8_0: 0.53x size, rel.RMSE 0.0051, SNR 45.9 dB"));
  EXPECT_THAT(table, HasSubstr("inference/cpu"));
  EXPECT_THAT(table, HasSubstr("25.04 tg t/s"));
  EXPECT_THAT(table, HasSubstr("pp 97.2 t/s, TTFT 5267 ms; vs reference: top-1 0.938, KL 0.0123 "
                               "(max 0.2500)"));
}

TEST_F(ResultsTest, VerifyPassesGoodSignaturesAndNamesBadOnes) {
  std::ostringstream quiet;
  VerifyReport good = VerifyResults(results_, quiet);
  EXPECT_EQ(good.checked, 1);
  EXPECT_EQ(good.failed, 0);
  EXPECT_EQ(quiet.str(), "");

  AddResult("gemm-512", "t-2", 2);
  results_.results.back().mutable_signed_()->set_sequence(3);  // Changed after signing.
  AddResult("gemm-1024", "t-3", 4);
  results_.results.back().set_worker_public_key(GenerateSigningKey().public_key);
  std::ostringstream out;
  VerifyReport bad = VerifyResults(results_, out);
  EXPECT_EQ(bad.checked, 3);
  EXPECT_EQ(bad.failed, 2);
  const std::vector<std::string> lines = absl::StrSplit(out.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0], HasSubstr("FAIL task gemm-512 (t-2) attempt a-1"));
  EXPECT_THAT(lines[1], HasSubstr("FAIL task gemm-1024 (t-3)"));
  EXPECT_THAT(lines[1], HasSubstr("does not name the stored public key"));
  EXPECT_THAT(Print(ResultFormat::kTable), HasSubstr("BAD"));
}

TEST_F(ResultsTest, CsvQuotesAndJsonParses) {
  const std::vector<std::string> csv =
      absl::StrSplit(Print(ResultFormat::kCsv), '\n', absl::SkipEmpty());
  ASSERT_EQ(csv.size(), 2u);
  EXPECT_EQ(csv[0],
            "task,worker,kind,params,median_seconds,result,result_unit,fraction_of_peak,threads,"
            "device,software,signature,notes,job_id,task_id,attempt_id,worker_id,sequence");
  EXPECT_EQ(csv[1],
            "gemm-256,\"box, \"\"one\"\"\",gemm,256x128x64,0.001235,54.321,GFLOP/s,,2,"
            "OpenBLAS Haswell,false,ok,,j-1,t-1,a-1,w-1,1");

  google::protobuf::ListValue list;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(Print(ResultFormat::kJson), &list).ok());
  ASSERT_EQ(list.values_size(), 1);
  const auto& row = list.values(0).struct_value().fields();
  EXPECT_EQ(row.at("task").string_value(), "gemm-256");
  EXPECT_TRUE(row.at("signature_ok").bool_value());
  EXPECT_EQ(row.at("params").struct_value().fields().at("m").number_value(), 256);
  EXPECT_EQ(row.at("payload")
                .struct_value()
                .fields()
                .at("metrics")
                .struct_value()
                .fields()
                .at("gflops_median")
                .number_value(),
            54.321);
  // Field names as in the .proto, like the row's own.
  EXPECT_EQ(row.at("payload").struct_value().fields().at("hardware_sha256").string_value(), "abc");
}

TEST_F(ResultsTest, UndecodablePayloadIsShownNotHidden) {
  results_.results[0].mutable_signed_()->set_payload("\xff\xff not protobuf");
  EXPECT_THAT(Print(ResultFormat::kTable), HasSubstr("undecodable"));
}

TEST(FormatTest, TableAlignsColumnsWithoutTrailingBlanks) {
  Table table({"A", "LONG HEADER", "C"});
  table.AddRow({"wide cell", "x", ""});
  std::ostringstream out;
  table.Print(out);
  EXPECT_EQ(out.str(), "A          LONG HEADER  C\nwide cell  x\n");
}

TEST(FormatTest, NamesAndNumbers) {
  EXPECT_EQ(StateName(gridbench::v1::JOB_STATE_SUCCEEDED), "succeeded");
  EXPECT_EQ(StateName(gridbench::v1::WORKER_STATE_LOST), "lost");
  EXPECT_EQ(CsvField("plain"), "plain");
  EXPECT_EQ(CsvField("a\nb"), "\"a\nb\"");
  EXPECT_EQ(FormatSeconds(12.3456), "12.35");
  EXPECT_EQ(FormatUnixNanos(0), "-");
  EXPECT_EQ(FormatUnixNanos(1'700'000'000'000'000'000), "2023-11-14 22:13:20");
  EXPECT_EQ(FormatAge(0, 5), "-");
  EXPECT_EQ(FormatAge(1'000'000'000, 91'000'000'000), "90s ago");
  google::protobuf::Struct params;
  (*params.mutable_fields())["z"].set_string_value("q");
  (*params.mutable_fields())["a"].set_bool_value(true);
  EXPECT_EQ(ParamsSummary("other", params), "a=true z=q");
  google::protobuf::Struct inference;
  (*inference.mutable_fields())["model"].set_string_value("sha256:aa");
  (*inference.mutable_fields())["reference"].set_string_value("sha256:bb");
  (*inference.mutable_fields())["gen_tokens"].set_number_value(16);
  EXPECT_EQ(ParamsSummary("inference", inference), "pp512 tg16 sha256:aa vs sha256:bb");
}

}  // namespace
}  // namespace gridbench::cli
