// Artifacts against a real coordinator process: uploads and downloads with
// hash checks, refusals (corrupt bytes, wrong size, over the limit, wrong
// role), resumed downloads and workers fetching with a signed call proof.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "common/artifact_id.h"
#include "common/artifact_transfer.h"
#include "common/crypto.h"
#include "common/grpc_channel.h"
#include "common/grpc_status.h"
#include "common/worker_call_proof.h"
#include "gtest/gtest.h"
#include "tests/integration/cluster_harness.h"
#include "tests/integration/raw_worker.h"

namespace gridbench::testing {
namespace {

using gridbench::v1::ArtifactChunk;
using gridbench::v1::ArtifactInfo;

// Small enough to keep the test quick, big enough to span several chunks.
constexpr size_t kArtifactBytes = 3 * kArtifactUploadChunkBytes + 12345;
constexpr char kLimitYaml[] = "max_artifact_bytes: 8388608\n";

std::string RandomBytesOfSize(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

class ArtifactTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    cluster_ = std::make_unique<ClusterHarness>(
        ::testing::UnitTest::GetInstance()->current_test_info()->name(), kLimitYaml);
    ASSERT_TRUE(cluster_->StartCoordinator().ok());
    Connect();
    bytes_ = RandomBytesOfSize(kArtifactBytes, 7);
    file_ = cluster_->dir() + "/model.bin";
    WriteFile(file_, bytes_);
  }

  // A fresh channel, so a restarted coordinator is reached at once.
  void Connect() {
    auto channel = MakeChannel(cluster_->address(), TlsFiles{"", "", "", /*insecure=*/true});
    ASSERT_TRUE(channel.ok());
    stub_ = gridbench::v1::Artifacts::NewStub(*channel);
  }

  ArtifactCallOptions WithToken(const std::string& token) {
    return ClusterHarness::ArtifactOptions(token);
  }

  // Sends a header for `declared` and then `sent`, as a client that lies.
  absl::Status RawPut(const gridbench::v1::PutArtifactHeader& header, const std::string& sent) {
    auto context = ClusterHarness::Context(cluster_->admin_token());
    ArtifactInfo info;
    auto writer = stub_->PutArtifact(context.get(), &info);
    gridbench::v1::PutArtifactRequest request;
    *request.mutable_header() = header;
    writer->Write(request);
    for (size_t offset = 0; offset < sent.size(); offset += kArtifactUploadChunkBytes) {
      request.set_chunk(sent.substr(offset, kArtifactUploadChunkBytes));
      if (!writer->Write(request)) break;
    }
    writer->WritesDone();
    return FromGrpcStatus(writer->Finish());
  }

  std::vector<ArtifactInfo> List() {
    auto context = ClusterHarness::Context(cluster_->admin_token());
    gridbench::v1::ListArtifactsResponse response;
    EXPECT_TRUE(stub_->ListArtifacts(context.get(), {}, &response).ok());
    return {response.artifacts().begin(), response.artifacts().end()};
  }

  bool TmpDirEmpty() {
    return std::filesystem::is_empty(cluster_->dir() + "/coordinator/artifacts/tmp");
  }

  std::unique_ptr<ClusterHarness> cluster_;
  std::unique_ptr<gridbench::v1::Artifacts::Stub> stub_;
  std::string bytes_;
  std::string file_;
};

TEST_F(ArtifactTest, UploadThenDownloadGivesTheSameBytesAndId) {
  auto uploaded = UploadArtifactFile(*stub_, WithToken(cluster_->admin_token()), file_, "model");
  ASSERT_TRUE(uploaded.ok()) << uploaded.status();
  const std::string expected_id = "sha256:" + Sha256Hex(bytes_);
  EXPECT_EQ(uploaded->artifact_id(), expected_id);
  EXPECT_EQ(uploaded->size_bytes(), bytes_.size());
  EXPECT_EQ(uploaded->name(), "model");
  EXPECT_TRUE(std::filesystem::exists(cluster_->dir() + "/coordinator/artifacts/sha256/" +
                                      Sha256Hex(bytes_).substr(0, 2) + "/" + Sha256Hex(bytes_)));

  // The same bytes again: the first record stands.
  auto again = UploadArtifactFile(*stub_, WithToken(cluster_->admin_token()), file_, "other");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->name(), "model");
  ASSERT_EQ(List().size(), 1u);

  auto viewer = cluster_->CreateToken(gridbench::v1::ROLE_VIEWER);
  ASSERT_TRUE(viewer.ok());
  const std::string out = cluster_->dir() + "/copy.bin";
  auto stats = DownloadArtifact(*stub_, WithToken(*viewer), expected_id, out);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->resumed_from, 0u);
  EXPECT_EQ(stats->transferred, bytes_.size());
  EXPECT_EQ(ReadFile(out), bytes_);
  EXPECT_FALSE(std::filesystem::exists(out + ".part"));
}

TEST_F(ArtifactTest, EmptyArtifactRoundTrips) {
  const std::string empty = cluster_->dir() + "/empty";
  WriteFile(empty, "");
  auto uploaded = UploadArtifactFile(*stub_, WithToken(cluster_->admin_token()), empty, "empty");
  ASSERT_TRUE(uploaded.ok()) << uploaded.status();
  auto stats = DownloadArtifact(*stub_, WithToken(cluster_->admin_token()), uploaded->artifact_id(),
                                cluster_->dir() + "/empty.out");
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(ReadFile(cluster_->dir() + "/empty.out"), "");
}

TEST_F(ArtifactTest, CorruptedChunkIsRefusedAndLeavesNothing) {
  gridbench::v1::PutArtifactHeader header;
  header.set_name("model");
  header.set_size_bytes(bytes_.size());
  header.set_artifact_id("sha256:" + Sha256Hex(bytes_));
  std::string corrupted = bytes_;
  corrupted[kArtifactUploadChunkBytes + 17] ^= 0x40;  // One bit in the second chunk.
  absl::Status status = RawPut(header, corrupted);
  EXPECT_TRUE(absl::IsDataLoss(status)) << status;
  EXPECT_NE(status.message().find("expected " + header.artifact_id()), std::string::npos) << status;
  EXPECT_NE(status.message().find("got sha256:" + Sha256Hex(corrupted)), std::string::npos)
      << status;
  EXPECT_TRUE(List().empty());
  EXPECT_TRUE(cluster_->WaitUntil([&] { return TmpDirEmpty(); }, absl::Seconds(10)));
}

TEST_F(ArtifactTest, WrongSizeIsRefused) {
  gridbench::v1::PutArtifactHeader header;
  header.set_size_bytes(bytes_.size() + 1);
  header.set_artifact_id("sha256:" + Sha256Hex(bytes_));
  absl::Status short_upload = RawPut(header, bytes_);
  EXPECT_TRUE(absl::IsInvalidArgument(short_upload)) << short_upload;
  EXPECT_NE(short_upload.message().find(absl::StrCat("got ", bytes_.size())), std::string::npos)
      << short_upload;
  header.set_size_bytes(bytes_.size() - 1);
  absl::Status long_upload = RawPut(header, bytes_);
  EXPECT_TRUE(absl::IsInvalidArgument(long_upload)) << long_upload;
  EXPECT_TRUE(List().empty());
  EXPECT_TRUE(cluster_->WaitUntil([&] { return TmpDirEmpty(); }, absl::Seconds(10)));
}

TEST_F(ArtifactTest, MalformedIdAndOversizedArtifactAreRefused) {
  gridbench::v1::PutArtifactHeader header;
  header.set_size_bytes(3);
  header.set_artifact_id("sha256:XYZ");
  absl::Status bad_id = RawPut(header, "abc");
  EXPECT_TRUE(absl::IsInvalidArgument(bad_id)) << bad_id;
  EXPECT_NE(bad_id.message().find("sha256:XYZ"), std::string::npos) << bad_id;

  header.set_artifact_id("sha256:" + Sha256Hex("x"));
  header.set_size_bytes(8388609);  // One byte over kLimitYaml's limit.
  absl::Status too_big = RawPut(header, "");
  EXPECT_TRUE(absl::IsResourceExhausted(too_big)) << too_big;
  EXPECT_NE(too_big.message().find("8388608"), std::string::npos) << too_big;
}

TEST_F(ArtifactTest, InterruptedDownloadResumesWithOnlyTheRemainder) {
  auto uploaded = UploadArtifactFile(*stub_, WithToken(cluster_->admin_token()), file_, "model");
  ASSERT_TRUE(uploaded.ok()) << uploaded.status();
  const std::string out = cluster_->dir() + "/resumed.bin";
  // Take the first chunk, then cut the stream, as a dropped connection would.
  uint64_t kept = 0;
  {
    auto context = ClusterHarness::Context(cluster_->admin_token());
    gridbench::v1::GetArtifactRequest request;
    request.set_artifact_id(uploaded->artifact_id());
    auto reader = stub_->GetArtifact(context.get(), request);
    ArtifactChunk chunk;
    ASSERT_TRUE(reader->Read(&chunk));
    ASSERT_LT(chunk.data().size(), bytes_.size());
    WriteFile(out + ".part", chunk.data());
    kept = chunk.data().size();
    context->TryCancel();
    (void)reader->Finish();
  }
  auto stats =
      DownloadArtifact(*stub_, WithToken(cluster_->admin_token()), uploaded->artifact_id(), out);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->resumed_from, kept);
  EXPECT_EQ(stats->transferred, bytes_.size() - kept);
  EXPECT_EQ(ReadFile(out), bytes_);
}

TEST_F(ArtifactTest, DamagedPartFileIsDetectedAndRemoved) {
  auto uploaded = UploadArtifactFile(*stub_, WithToken(cluster_->admin_token()), file_, "model");
  ASSERT_TRUE(uploaded.ok()) << uploaded.status();
  const std::string out = cluster_->dir() + "/damaged.bin";
  std::string prefix = bytes_.substr(0, 1000);
  prefix[10] ^= 1;
  WriteFile(out + ".part", prefix);
  auto stats =
      DownloadArtifact(*stub_, WithToken(cluster_->admin_token()), uploaded->artifact_id(), out);
  EXPECT_TRUE(absl::IsDataLoss(stats.status())) << stats.status();
  EXPECT_FALSE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(out + ".part"));
  // A retry starts over and succeeds.
  stats =
      DownloadArtifact(*stub_, WithToken(cluster_->admin_token()), uploaded->artifact_id(), out);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(ReadFile(out), bytes_);
}

TEST_F(ArtifactTest, RolesAreEnforcedAndRemovalForgets) {
  auto viewer = cluster_->CreateToken(gridbench::v1::ROLE_VIEWER);
  auto submitter = cluster_->CreateToken(gridbench::v1::ROLE_SUBMITTER);
  ASSERT_TRUE(viewer.ok() && submitter.ok());
  auto refused = UploadArtifactFile(*stub_, WithToken(*viewer), file_, "model");
  EXPECT_TRUE(absl::IsPermissionDenied(refused.status())) << refused.status();
  auto uploaded = UploadArtifactFile(*stub_, WithToken(*submitter), file_, "model");
  ASSERT_TRUE(uploaded.ok()) << uploaded.status();

  gridbench::v1::DeleteArtifactRequest request;
  request.set_artifact_id(uploaded->artifact_id());
  gridbench::v1::DeleteArtifactResponse response;
  absl::Status by_submitter = FromGrpcStatus(
      stub_->DeleteArtifact(ClusterHarness::Context(*submitter).get(), request, &response));
  EXPECT_TRUE(absl::IsPermissionDenied(by_submitter)) << by_submitter;
  absl::Status by_admin = FromGrpcStatus(stub_->DeleteArtifact(
      ClusterHarness::Context(cluster_->admin_token()).get(), request, &response));
  ASSERT_TRUE(by_admin.ok()) << by_admin;
  EXPECT_TRUE(List().empty());
  auto gone = DownloadArtifact(*stub_, WithToken(cluster_->admin_token()), uploaded->artifact_id(),
                               cluster_->dir() + "/gone");
  EXPECT_TRUE(absl::IsNotFound(gone.status())) << gone.status();
  EXPECT_FALSE(std::filesystem::exists(cluster_->dir() + "/gone.part"));

  // Survives a restart: the catalogue is in SQLite, the bytes on disk.
  auto kept = UploadArtifactFile(*stub_, WithToken(*submitter), file_, "kept");
  ASSERT_TRUE(kept.ok());
  cluster_->KillCoordinator(SIGTERM);
  ASSERT_TRUE(cluster_->StartCoordinator().ok());
  Connect();
  ASSERT_EQ(List().size(), 1u);
  EXPECT_EQ(List()[0].name(), "kept");
}

TEST_F(ArtifactTest, WorkerFetchesWithASignedCallProofOnly) {
  auto uploaded = UploadArtifactFile(*stub_, WithToken(cluster_->admin_token()), file_, "model");
  ASSERT_TRUE(uploaded.ok()) << uploaded.status();
  RawWorker worker(&cluster_->gateway());
  auto join = cluster_->CreateToken(gridbench::v1::ROLE_WORKER);
  ASSERT_TRUE(join.ok());
  ASSERT_TRUE(worker.Enroll(*join, "fetcher").ok());

  ArtifactCallOptions as_worker;
  as_worker.prepare = [&worker](grpc::ClientContext& context, const char* method) {
    AddWorkerCallProof(context, worker.worker_id(), worker.key(), method);
  };
  auto stats =
      DownloadArtifact(*stub_, as_worker, uploaded->artifact_id(), cluster_->dir() + "/worker.bin");
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(ReadFile(cluster_->dir() + "/worker.bin"), bytes_);

  // A proof made for another method, or with another key, is refused.
  ArtifactCallOptions wrong_method = as_worker;
  wrong_method.prepare = [&worker](grpc::ClientContext& context, const char*) {
    AddWorkerCallProof(context, worker.worker_id(), worker.key(), "PutArtifact");
  };
  auto refused = DownloadArtifact(*stub_, wrong_method, uploaded->artifact_id(),
                                  cluster_->dir() + "/refused.bin");
  EXPECT_TRUE(absl::IsUnauthenticated(refused.status())) << refused.status();
  const SigningKey stranger = GenerateSigningKey();
  ArtifactCallOptions wrong_key = as_worker;
  wrong_key.prepare = [&worker, &stranger](grpc::ClientContext& context, const char* method) {
    AddWorkerCallProof(context, worker.worker_id(), stranger, method);
  };
  refused = DownloadArtifact(*stub_, wrong_key, uploaded->artifact_id(),
                             cluster_->dir() + "/refused.bin");
  EXPECT_TRUE(absl::IsUnauthenticated(refused.status())) << refused.status();

  // Workers fetch and upload; they do not list or delete.
  grpc::ClientContext context;
  AddWorkerCallProof(context, worker.worker_id(), worker.key(), "ListArtifacts");
  gridbench::v1::ListArtifactsResponse response;
  absl::Status list = FromGrpcStatus(stub_->ListArtifacts(&context, {}, &response));
  EXPECT_TRUE(absl::IsPermissionDenied(list)) << list;
  EXPECT_TRUE(cluster_->WaitUntil([&] { return cluster_->AuditRows("auth_failure") >= 3; },
                                  absl::Seconds(10)));
}

std::string FileReadJob(const std::string& artifact_id) {
  return "name: read\ntasks:\n  - name: r\n    kind: file_read\n"
         "    params: {input: '" +
         artifact_id +
         "', repetitions: 2, write_samples: true}\n"
         "    retry: {max_attempts: 3, backoff: 100ms}\n";
}

TEST_F(ArtifactTest, WorkerFetchesInputsAndUploadsOutputsBeforeSigning) {
  auto uploaded = UploadArtifactFile(*stub_, WithToken(cluster_->admin_token()), file_, "model");
  ASSERT_TRUE(uploaded.ok()) << uploaded.status();
  auto worker = cluster_->StartWorker("w0");
  ASSERT_TRUE(worker.ok()) << worker.status();
  ASSERT_TRUE(cluster_->WaitForConnectedWorkers(1, absl::Seconds(60)));
  auto job_id = cluster_->Submit(FileReadJob(uploaded->artifact_id()));
  ASSERT_TRUE(job_id.ok()) << job_id.status();
  auto job = cluster_->WaitForJob(*job_id, absl::Seconds(120));
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_EQ(job->state(), gridbench::v1::JOB_STATE_SUCCEEDED)
      << job->DebugString() << cluster_->LogTail("worker-0.log");

  auto results = cluster_->Results(*job_id);
  ASSERT_TRUE(results.ok() && results->size() == 1u);
  gridbench::v1::ResultPayload payload;
  ASSERT_TRUE(payload.ParseFromString((*results)[0].signed_().payload()));
  EXPECT_EQ(payload.checksum(), uploaded->artifact_id());
  ASSERT_EQ(payload.artifacts_size(), 2) << payload.DebugString();
  const gridbench::v1::ArtifactUse& input = payload.artifacts(0);
  EXPECT_EQ(input.artifact_id(), uploaded->artifact_id());
  EXPECT_EQ(input.role(), "input");
  EXPECT_EQ(input.name(), "input");
  EXPECT_EQ(input.size_bytes(), bytes_.size());
  const gridbench::v1::ArtifactUse& output = payload.artifacts(1);
  EXPECT_EQ(output.role(), "output");
  EXPECT_EQ(output.name(), "samples.txt");
  // The signed result names bytes the coordinator already holds.
  const std::string samples = cluster_->dir() + "/samples.txt";
  auto stats =
      DownloadArtifact(*stub_, WithToken(cluster_->admin_token()), output.artifact_id(), samples);
  ASSERT_TRUE(stats.ok()) << stats.status();
  const std::string text = ReadFile(samples);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2) << text;
  // The worker keeps the verified input in its cache.
  EXPECT_EQ(ReadFile(cluster_->dir() + "/worker-0/artifacts/" + Sha256Hex(bytes_)), bytes_);
}

TEST_F(ArtifactTest, AJobNamingAnUnknownArtifactIsRefusedAtSubmission) {
  const std::string unknown = "sha256:" + std::string(64, '0');
  auto job_id = cluster_->Submit(FileReadJob(unknown));
  EXPECT_TRUE(absl::IsFailedPrecondition(job_id.status())) << job_id.status();
  EXPECT_NE(job_id.status().message().find(unknown), std::string::npos) << job_id.status();
  EXPECT_NE(job_id.status().message().find("params.input"), std::string::npos) << job_id.status();
}

TEST_F(ArtifactTest, AnArtifactRemovedBeforeTheTaskRunsFailsItWithoutRetries) {
  auto uploaded = UploadArtifactFile(*stub_, WithToken(cluster_->admin_token()), file_, "model");
  ASSERT_TRUE(uploaded.ok()) << uploaded.status();
  auto job_id = cluster_->Submit(FileReadJob(uploaded->artifact_id()));
  ASSERT_TRUE(job_id.ok()) << job_id.status();
  gridbench::v1::DeleteArtifactRequest request;
  request.set_artifact_id(uploaded->artifact_id());
  gridbench::v1::DeleteArtifactResponse response;
  ASSERT_TRUE(stub_
                  ->DeleteArtifact(ClusterHarness::Context(cluster_->admin_token()).get(), request,
                                   &response)
                  .ok());
  ASSERT_TRUE(cluster_->StartWorker("w0").ok());
  auto job = cluster_->WaitForJob(*job_id, absl::Seconds(120));
  ASSERT_TRUE(job.ok()) << job.status();
  ASSERT_EQ(job->state(), gridbench::v1::JOB_STATE_FAILED) << job->DebugString();
  const gridbench::v1::Task& task = job->tasks(0);
  EXPECT_EQ(task.attempts_made(), 1u) << task.DebugString();
  EXPECT_NE(task.failure_reason().find(uploaded->artifact_id()), std::string::npos)
      << task.DebugString();
}

}  // namespace
}  // namespace gridbench::testing
