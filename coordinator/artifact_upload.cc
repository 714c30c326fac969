#include "coordinator/artifact_upload.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace gridbench::coordinator {

absl::StatusOr<ArtifactUpload> ArtifactUpload::Start(
    const std::string& temp_path, const gridbench::v1::PutArtifactHeader& header) {
  GB_ASSIGN_OR_RETURN(AppendFile file, AppendFile::Open(temp_path, /*truncate=*/true));
  return ArtifactUpload(header, std::move(file));
}

ArtifactUpload::ArtifactUpload(ArtifactUpload&& other) noexcept
    : header_(other.header_),
      file_(std::move(other.file_)),
      hasher_(other.hasher_),
      committed_(other.committed_) {
  other.file_.reset();
  other.committed_ = true;  // The moved-from object owns no file.
}

ArtifactUpload::~ArtifactUpload() {
  if (!committed_ && file_.has_value()) ::unlink(file_->path().c_str());
}

absl::Status ArtifactUpload::Append(std::string_view bytes) {
  if (received() + bytes.size() > header_.size_bytes()) {
    return absl::InvalidArgumentError(
        absl::StrCat("artifact ", header_.artifact_id(), ": more bytes than the declared ",
                     header_.size_bytes(), " (got at least ", received() + bytes.size(), ")"));
  }
  GB_RETURN_IF_ERROR(file_->Append(bytes));
  hasher_.Update(bytes);
  return absl::OkStatus();
}

absl::Status ArtifactUpload::Commit(const std::string& final_path) {
  if (received() != header_.size_bytes()) {
    return absl::InvalidArgumentError(absl::StrCat("artifact ", header_.artifact_id(),
                                                   ": expected ", header_.size_bytes(),
                                                   " bytes, got ", received()));
  }
  const std::string got = hasher_.FinishId();
  if (got != header_.artifact_id()) {
    return absl::DataLossError(absl::StrCat("uploaded bytes do not match their id: expected ",
                                            header_.artifact_id(), ", got ", got));
  }
  const std::string temp_path = file_->path();
  GB_RETURN_IF_ERROR(file_->SyncAndClose());
  GB_RETURN_IF_ERROR(RenameDurably(temp_path, final_path));
  committed_ = true;
  return absl::OkStatus();
}

}  // namespace gridbench::coordinator
