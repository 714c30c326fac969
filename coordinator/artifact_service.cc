#include "coordinator/artifact_service.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"
#include "coordinator/artifact_auth.h"

namespace gridbench::coordinator {
namespace {

using gridbench::v1::ArtifactChunk;
using gridbench::v1::ArtifactInfo;
using gridbench::v1::PutArtifactRequest;

// Receives one upload: a header, then chunks, checked as they arrive.
class PutReactor final : public grpc::ServerReadReactor<PutArtifactRequest> {
 public:
  PutReactor(ArtifactStore* artifacts, std::string uploader, ArtifactInfo* response)
      : artifacts_(artifacts), uploader_(std::move(uploader)), response_(response) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) return Complete();
    absl::Status status = Take();
    if (!status.ok()) return Finish(ToGrpcStatus(status));
    StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  absl::Status Take() {
    if (request_.has_header()) {
      if (upload_.has_value()) return absl::InvalidArgumentError("a second upload header");
      absl::StatusOr<ArtifactUpload> upload = artifacts_->BeginUpload(request_.header());
      if (!upload.ok()) return upload.status();
      upload_.emplace(*std::move(upload));
      return absl::OkStatus();
    }
    if (!upload_.has_value()) {
      return absl::InvalidArgumentError("the first upload message must be the header");
    }
    if (request_.chunk().size() > kMaxArtifactChunkBytes) {
      return absl::InvalidArgumentError(absl::StrCat("an upload chunk of ", request_.chunk().size(),
                                                     " bytes; the limit is ",
                                                     kMaxArtifactChunkBytes));
    }
    return upload_->Append(request_.chunk());
  }

  // The client has sent everything.
  void Complete() {
    if (!upload_.has_value()) {
      return Finish(ToGrpcStatus(absl::InvalidArgumentError("an upload without a header")));
    }
    ArtifactUpload upload = *std::move(upload_);
    upload_.reset();
    artifacts_->FinishUpload(std::move(upload), uploader_,
                             [this](absl::StatusOr<ArtifactInfo> info) {
                               if (info.ok()) *response_ = *std::move(info);
                               Finish(ToGrpcStatus(info.status()));
                             });
  }

  ArtifactStore* const artifacts_;
  const std::string uploader_;
  ArtifactInfo* const response_;
  PutArtifactRequest request_;
  std::optional<ArtifactUpload> upload_;
};

// Streams one artifact from an offset, one chunk in flight at a time.
class GetReactor final : public grpc::ServerWriteReactor<ArtifactChunk> {
 public:
  GetReactor(ReadOnlyFile file, uint64_t offset) : file_(std::move(file)), offset_(offset) {
    SendNext();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) return Finish(grpc::Status(grpc::StatusCode::CANCELLED, "download interrupted"));
    SendNext();
  }

  void OnDone() override { delete this; }

 private:
  void SendNext() {
    // Always one message, even for an empty artifact, so the size arrives.
    if (offset_ >= file_.size() && sent_any_) return Finish(grpc::Status::OK);
    absl::StatusOr<std::string> data = file_.ReadAt(offset_, kArtifactDownloadChunkBytes);
    if (!data.ok()) return Finish(ToGrpcStatus(data.status()));
    chunk_.set_offset(offset_);
    chunk_.set_size_bytes(file_.size());
    offset_ += data->size();
    *chunk_.mutable_data() = *std::move(data);
    sent_any_ = true;
    StartWrite(&chunk_);
  }

  const ReadOnlyFile file_;
  uint64_t offset_;
  bool sent_any_ = false;
  ArtifactChunk chunk_;
};

template <typename Message>
class Refused final : public grpc::ServerReadReactor<Message> {
 public:
  explicit Refused(const absl::Status& s) { this->Finish(ToGrpcStatus(s)); }
  void OnDone() override { delete this; }
};

class RefusedWrite final : public grpc::ServerWriteReactor<ArtifactChunk> {
 public:
  explicit RefusedWrite(const absl::Status& s) { Finish(ToGrpcStatus(s)); }
  void OnDone() override { delete this; }
};

grpc::ServerUnaryReactor* FinishWith(grpc::CallbackServerContext* c, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = c->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace

grpc::ServerReadReactor<PutArtifactRequest>* ArtifactService::PutArtifact(Ctx* c,
                                                                          ArtifactInfo* resp) {
  absl::StatusOr<ArtifactCaller> caller =
      AuthorizeArtifactCall(*tokens_, *scheduler_, *clock_, c, gridbench::v1::ROLE_SUBMITTER,
                            "PutArtifact", /*worker_allowed=*/true);
  if (!caller.ok()) return new Refused<PutArtifactRequest>(caller.status());
  return new PutReactor(artifacts_, caller->principal, resp);
}

grpc::ServerWriteReactor<ArtifactChunk>* ArtifactService::GetArtifact(
    Ctx* c, const gridbench::v1::GetArtifactRequest* req) {
  absl::StatusOr<ArtifactCaller> caller =
      AuthorizeArtifactCall(*tokens_, *scheduler_, *clock_, c, gridbench::v1::ROLE_VIEWER,
                            "GetArtifact", /*worker_allowed=*/true);
  if (!caller.ok()) return new RefusedWrite(caller.status());
  absl::StatusOr<ReadOnlyFile> file = artifacts_->OpenForRead(req->artifact_id());
  if (!file.ok()) return new RefusedWrite(file.status());
  if (req->offset() > file->size()) {
    return new RefusedWrite(absl::OutOfRangeError(
        absl::StrCat("offset ", req->offset(), " is past the end of artifact ", req->artifact_id(),
                     " (", file->size(), " bytes)")));
  }
  return new GetReactor(*std::move(file), req->offset());
}

grpc::ServerUnaryReactor* ArtifactService::ListArtifacts(
    Ctx* c, const gridbench::v1::ListArtifactsRequest* /*req*/,
    gridbench::v1::ListArtifactsResponse* resp) {
  absl::StatusOr<ArtifactCaller> caller =
      AuthorizeArtifactCall(*tokens_, *scheduler_, *clock_, c, gridbench::v1::ROLE_VIEWER,
                            "ListArtifacts", /*worker_allowed=*/false);
  if (!caller.ok()) return FinishWith(c, caller.status());
  for (auto& info : artifacts_->List()) *resp->add_artifacts() = std::move(info);
  return FinishWith(c, absl::OkStatus());
}

grpc::ServerUnaryReactor* ArtifactService::DeleteArtifact(
    Ctx* c, const gridbench::v1::DeleteArtifactRequest* req,
    gridbench::v1::DeleteArtifactResponse* /*resp*/) {
  absl::StatusOr<ArtifactCaller> caller =
      AuthorizeArtifactCall(*tokens_, *scheduler_, *clock_, c, gridbench::v1::ROLE_ADMIN,
                            "DeleteArtifact", /*worker_allowed=*/false);
  if (!caller.ok()) return FinishWith(c, caller.status());
  scheduler_->Audit("artifact_deleted", req->artifact_id(), caller->principal, c->peer());
  grpc::ServerUnaryReactor* reactor = c->DefaultReactor();
  artifacts_->Delete(req->artifact_id(),
                     [reactor](absl::Status status) { reactor->Finish(ToGrpcStatus(status)); });
  return reactor;
}

}  // namespace gridbench::coordinator
