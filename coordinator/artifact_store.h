// ArtifactStore: the artifacts the coordinator holds. Bytes are files under
// `root` (<data_dir>/artifacts), named by their content:
//   root/sha256/<hex[0:2]>/<hex>   one read-only file per artifact
//   root/tmp/                      uploads in progress (emptied at Open)
// and each has a row in the store's artifacts table (id, size, name,
// uploader, created). A file is in place before its row is written, so a
// listed artifact always has its bytes; a file without a row (a crash in
// between) is harmless and is reused by the next upload of the same bytes.
//
// Thread-safety: every method may be called from any thread.
#ifndef GRIDBENCH_COORDINATOR_ARTIFACT_STORE_H_
#define GRIDBENCH_COORDINATOR_ARTIFACT_STORE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "common/annotated_mutex.h"
#include "common/blob_file.h"
#include "coordinator/artifact_upload.h"
#include "coordinator/clock.h"
#include "coordinator/store/coordinator_store.h"
#include "gridbench/v1/artifact.pb.h"

namespace gridbench::coordinator {

class ArtifactStore {
 public:
  // Creates the directories, empties tmp/ and loads the catalogue from
  // `store`. Errors name the directory or the failing read.
  static absl::StatusOr<std::unique_ptr<ArtifactStore>> Open(const std::string& root,
                                                             uint64_t max_artifact_bytes,
                                                             CoordinatorStore* store, Clock* clock);

  // Starts receiving an artifact. INVALID_ARGUMENT for a malformed id or a
  // name over 256 bytes; RESOURCE_EXHAUSTED over the size limit.
  absl::StatusOr<ArtifactUpload> BeginUpload(const gridbench::v1::PutArtifactHeader& header);

  // Checks and moves the upload into place (errors as ArtifactUpload::Commit)
  // and records it, then calls `done` with the artifact's record once that
  // is durable. Bytes already held keep their first record. `done` may run
  // on another thread.
  void FinishUpload(ArtifactUpload upload, const std::string& uploader,
                    std::function<void(absl::StatusOr<gridbench::v1::ArtifactInfo>)> done);

  // The record of `artifact_id`, or NOT_FOUND.
  absl::StatusOr<gridbench::v1::ArtifactInfo> Find(const std::string& artifact_id);
  // Newest first.
  std::vector<gridbench::v1::ArtifactInfo> List();

  // Opens the artifact's bytes. NOT_FOUND for an unknown id; DATA_LOSS when
  // the file's size is not the recorded one (it was damaged on disk).
  absl::StatusOr<ReadOnlyFile> OpenForRead(const std::string& artifact_id);

  // Forgets the artifact and removes its file; `done` runs once the row's
  // removal is durable. NOT_FOUND for an unknown id.
  void Delete(const std::string& artifact_id, std::function<void(absl::Status)> done);

 private:
  ArtifactStore(std::string root, uint64_t max_artifact_bytes, CoordinatorStore* store,
                Clock* clock)
      : root_(std::move(root)), max_bytes_(max_artifact_bytes), store_(store), clock_(clock) {}
  // root/sha256/<hex[0:2]>/<hex>, creating its directory.
  absl::StatusOr<std::string> BlobPath(const std::string& artifact_id, bool create_dir) const;

  // Constant after construction.
  const std::string root_;
  const uint64_t max_bytes_;
  CoordinatorStore* const store_;
  Clock* const clock_;
  std::atomic<uint64_t> next_upload_{0};

  StdMutex mu_;
  std::map<std::string, gridbench::v1::ArtifactInfo> artifacts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_ARTIFACT_STORE_H_
