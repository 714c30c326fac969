// The quantize task through real processes: a synthetic model uploaded as an
// artifact, quantized by two workers, each result signed and naming its
// input and output; the two outputs are the same bytes, and the coordinator
// holds them.
#include <filesystem>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/artifact_transfer.h"
#include "common/crypto.h"
#include "common/grpc_channel.h"
#include "gtest/gtest.h"
#include "kernels/gguf/gguf_reader.h"
#include "kernels/model/synth_model.h"
#include "tests/integration/cluster_harness.h"

namespace gridbench::testing {
namespace {

const gridbench::v1::ArtifactUse* FindUse(const gridbench::v1::ResultPayload& payload,
                                          const std::string& role) {
  for (const auto& use : payload.artifacts()) {
    if (use.role() == role) return &use;
  }
  return nullptr;
}

TEST(QuantizeTest, TwoWorkersQuantizeToIdenticalBytesThatTheCoordinatorHolds) {
  ASSERT_TRUE(InitCrypto().ok());
  ClusterHarness cluster("QuantizeTwoWorkers");
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  ASSERT_TRUE(cluster.StartWorker("quantize-a").ok());
  ASSERT_TRUE(cluster.StartWorker("quantize-b").ok());
  ASSERT_TRUE(cluster.WaitForConnectedWorkers(2, absl::Seconds(60)));

  kernels::model::LlamaSpec spec;
  spec.dim = 256;
  spec.layers = 2;
  spec.heads = 4;
  spec.kv_heads = 2;
  spec.ff = 512;
  spec.vocab = 300;
  spec.seed = 42;
  spec.type = kernels::quant::QuantType::kF16;
  const std::string model = cluster.dir() + "/model-f16.gguf";
  ASSERT_TRUE(kernels::model::WriteSyntheticLlama(spec, model).ok());
  auto channel = MakeChannel(cluster.address(), TlsFiles{"", "", "", /*insecure=*/true});
  ASSERT_TRUE(channel.ok());
  auto artifacts = gridbench::v1::Artifacts::NewStub(*channel);
  auto input = UploadArtifactFile(
      *artifacts, ClusterHarness::ArtifactOptions(cluster.admin_token()), model, "f16");
  ASSERT_TRUE(input.ok()) << input.status();

  auto job_id = cluster.Submit(absl::StrCat(R"(name: quantize-two
tasks:
  - name: to-q8_0
    kind: quantize
    params: {input: ")",
                                            input->artifact_id(), R"(", type: q8_0}
    placement: each
    timeout: 2m
  - name: to-q4_k
    kind: quantize
    params: {input: ")",
                                            input->artifact_id(), R"(", type: q4_k, keep: []}
    placement: each
    timeout: 2m
)"));
  ASSERT_TRUE(job_id.ok()) << job_id.status();
  auto job = cluster.WaitForJob(*job_id, absl::Minutes(3));
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_EQ(job->state(), gridbench::v1::JOB_STATE_SUCCEEDED) << job->DebugString();

  auto results = cluster.Results(*job_id);
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 4u);
  std::map<std::string, std::set<std::string>> outputs_by_task, workers_by_task;
  for (const auto& stored : *results) {
    gridbench::v1::ResultPayload payload;
    ASSERT_TRUE(payload.ParseFromString(stored.signed_().payload()));
    EXPECT_EQ(payload.kind(), "quantize");
    const gridbench::v1::ArtifactUse* in = FindUse(payload, "input");
    const gridbench::v1::ArtifactUse* out = FindUse(payload, "output");
    ASSERT_NE(in, nullptr);
    ASSERT_NE(out, nullptr);
    EXPECT_EQ(in->artifact_id(), input->artifact_id());
    EXPECT_EQ(payload.checksum(), out->artifact_id());
    EXPECT_LT(payload.metrics().at("size_ratio"), 0.7);
    EXPECT_GT(payload.metrics().at("cosine_similarity"), 0.99);
    // Fan-out names each copy "TASK@WORKER".
    const std::string task = stored.task_name().substr(0, stored.task_name().find('@'));
    outputs_by_task[task].insert(out->artifact_id());
    workers_by_task[task].insert(stored.worker_name());
  }
  ASSERT_EQ(outputs_by_task.size(), 2u);
  for (const auto& [task, outputs] : outputs_by_task) {
    EXPECT_EQ(workers_by_task[task].size(), 2u) << task;
    EXPECT_EQ(outputs.size(), 1u) << task << ": the workers wrote different bytes";
  }

  // The coordinator holds the output; it is a model with the asked-for type.
  const std::string q4 = cluster.dir() + "/model-q4_k.gguf";
  auto download =
      DownloadArtifact(*artifacts, ClusterHarness::ArtifactOptions(cluster.admin_token()),
                       *outputs_by_task["to-q4_k"].begin(), q4);
  ASSERT_TRUE(download.ok()) << download.status();
  auto reader = kernels::gguf::GgufReader::Open(q4);
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto q = reader->FindTensor("blk.1.ffn_up.weight");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ((*q)->type, kernels::quant::QuantType::kQ4_K);
}

}  // namespace
}  // namespace gridbench::testing
