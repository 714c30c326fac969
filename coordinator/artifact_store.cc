#include "coordinator/artifact_store.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/artifact_id.h"
#include "common/crypto.h"
#include "common/status_macros.h"

namespace gridbench::coordinator {
namespace {

constexpr size_t kMaxNameBytes = 256;

absl::Status MakeDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("creating ", dir, ": ", ec.message()));
  return absl::OkStatus();
}

bool NewerFirst(const gridbench::v1::ArtifactInfo& a, const gridbench::v1::ArtifactInfo& b) {
  if (a.created_unix_nanos() != b.created_unix_nanos()) {
    return a.created_unix_nanos() > b.created_unix_nanos();
  }
  return a.artifact_id() < b.artifact_id();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ArtifactStore>> ArtifactStore::Open(const std::string& root,
                                                                   uint64_t max_artifact_bytes,
                                                                   CoordinatorStore* store,
                                                                   Clock* clock) {
  // Uploads cut off by a restart can never complete.
  std::error_code ec;
  std::filesystem::remove_all(root + "/tmp", ec);
  if (ec) return absl::InternalError(absl::StrCat("emptying ", root, "/tmp: ", ec.message()));
  GB_RETURN_IF_ERROR(MakeDir(root + "/tmp"));
  GB_RETURN_IF_ERROR(MakeDir(root + "/sha256"));
  std::unique_ptr<ArtifactStore> artifacts(
      new ArtifactStore(root, max_artifact_bytes, store, clock));
  absl::StatusOr<std::vector<gridbench::v1::ArtifactInfo>> rows = store->ListArtifacts();
  if (!rows.ok()) {
    return absl::Status(rows.status().code(),
                        absl::StrCat("loading the artifact catalogue: ", rows.status().message()));
  }
  StdMutexLock lock(artifacts->mu_);
  for (auto& row : *rows) artifacts->artifacts_[row.artifact_id()] = std::move(row);
  return artifacts;
}

absl::StatusOr<std::string> ArtifactStore::BlobPath(const std::string& artifact_id,
                                                    bool create_dir) const {
  GB_ASSIGN_OR_RETURN(const std::string hex, ParseArtifactId(artifact_id));
  const std::string dir = absl::StrCat(root_, "/sha256/", hex.substr(0, 2));
  if (create_dir) GB_RETURN_IF_ERROR(MakeDir(dir));
  return absl::StrCat(dir, "/", hex);
}

absl::StatusOr<ArtifactUpload> ArtifactStore::BeginUpload(
    const gridbench::v1::PutArtifactHeader& header) {
  GB_RETURN_IF_ERROR(ValidateArtifactId(header.artifact_id()));
  if (header.name().size() > kMaxNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat("artifact name is ", header.name().size(),
                                                   " bytes; the limit is ", kMaxNameBytes));
  }
  if (header.size_bytes() > max_bytes_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("artifact ", header.artifact_id(), " is ", header.size_bytes(),
                     " bytes; this coordinator's max_artifact_bytes is ", max_bytes_));
  }
  const std::string temp =
      absl::StrCat(root_, "/tmp/", next_upload_++, "-", ToHex(RandomBytes(6)), ".upload");
  return ArtifactUpload::Start(temp, header);
}

void ArtifactStore::FinishUpload(
    ArtifactUpload upload, const std::string& uploader,
    std::function<void(absl::StatusOr<gridbench::v1::ArtifactInfo>)> done) {
  const std::string id = upload.header().artifact_id();
  absl::StatusOr<std::string> path = BlobPath(id, /*create_dir=*/true);
  if (!path.ok()) return done(path.status());
  if (absl::Status s = upload.Commit(*path); !s.ok()) return done(s);
  gridbench::v1::ArtifactInfo info;
  {
    StdMutexLock lock(mu_);
    auto [it, inserted] = artifacts_.try_emplace(id);
    if (inserted) {
      it->second.set_artifact_id(id);
      it->second.set_size_bytes(upload.header().size_bytes());
      it->second.set_name(upload.header().name());
      it->second.set_uploader(uploader);
      it->second.set_created_unix_nanos(clock_->NowNanos());
    }
    info = it->second;
  }
  store_->InsertArtifact(info, [info, done = std::move(done)](absl::Status status) {
    if (!status.ok()) return done(status);
    done(info);
  });
}

absl::StatusOr<gridbench::v1::ArtifactInfo> ArtifactStore::Find(const std::string& artifact_id) {
  StdMutexLock lock(mu_);
  auto it = artifacts_.find(artifact_id);
  if (it == artifacts_.end()) {
    return absl::NotFoundError(absl::StrCat("no artifact ", artifact_id, " on this coordinator"));
  }
  return it->second;
}

std::vector<gridbench::v1::ArtifactInfo> ArtifactStore::List() {
  std::vector<gridbench::v1::ArtifactInfo> out;
  {
    StdMutexLock lock(mu_);
    for (const auto& [id, info] : artifacts_) out.push_back(info);
  }
  std::sort(out.begin(), out.end(), NewerFirst);
  return out;
}

absl::StatusOr<ReadOnlyFile> ArtifactStore::OpenForRead(const std::string& artifact_id) {
  GB_RETURN_IF_ERROR(ValidateArtifactId(artifact_id));
  GB_ASSIGN_OR_RETURN(const gridbench::v1::ArtifactInfo info, Find(artifact_id));
  GB_ASSIGN_OR_RETURN(const std::string path, BlobPath(artifact_id, /*create_dir=*/false));
  absl::StatusOr<ReadOnlyFile> file = ReadOnlyFile::Open(path);
  if (!file.ok()) {
    return absl::DataLossError(
        absl::StrCat("artifact ", artifact_id,
                     " is catalogued but its file cannot be read: ", file.status().message()));
  }
  if (file->size() != info.size_bytes()) {
    return absl::DataLossError(absl::StrCat("artifact file ", path, " has ", file->size(),
                                            " bytes; its record says ", info.size_bytes()));
  }
  return file;
}

void ArtifactStore::Delete(const std::string& artifact_id, std::function<void(absl::Status)> done) {
  if (absl::Status s = ValidateArtifactId(artifact_id); !s.ok()) return done(s);
  {
    StdMutexLock lock(mu_);
    if (artifacts_.erase(artifact_id) == 0) {
      return done(
          absl::NotFoundError(absl::StrCat("no artifact ", artifact_id, " on this coordinator")));
    }
  }
  // The row goes first: a crash before the unlink leaves an unlisted file,
  // never a listed artifact without bytes.
  store_->DeleteArtifact(
      artifact_id, [this, artifact_id, done = std::move(done)](absl::Status status) {
        if (status.ok()) {
          absl::StatusOr<std::string> path = BlobPath(artifact_id, /*create_dir=*/false);
          if (path.ok()) ::unlink(path->c_str());
        }
        done(status);
      });
}

}  // namespace gridbench::coordinator
