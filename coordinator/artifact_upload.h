// ArtifactUpload: one artifact's bytes on their way into the coordinator's
// blob directory. Bytes go to a temporary file and are hashed as they
// arrive; Commit() checks them against the declared size and id before the
// file is moved to its content-addressed name. A refused or abandoned upload
// leaves nothing behind: the destructor removes the temporary file.
//
// Thread-compatible: one upload is fed by one call's reactor.
#ifndef GRIDBENCH_COORDINATOR_ARTIFACT_UPLOAD_H_
#define GRIDBENCH_COORDINATOR_ARTIFACT_UPLOAD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/artifact_id.h"
#include "common/blob_file.h"
#include "gridbench/v1/artifact.pb.h"

namespace gridbench::coordinator {

class ArtifactUpload {
 public:
  // Starts writing `temp_path` for an artifact with `header`'s id and size.
  static absl::StatusOr<ArtifactUpload> Start(const std::string& temp_path,
                                              const gridbench::v1::PutArtifactHeader& header);
  ArtifactUpload(ArtifactUpload&& other) noexcept;
  ArtifactUpload& operator=(ArtifactUpload&&) = delete;
  ~ArtifactUpload();

  const gridbench::v1::PutArtifactHeader& header() const { return header_; }
  uint64_t received() const { return hasher_.bytes_seen(); }

  // INVALID_ARGUMENT when the bytes would run past the declared size.
  absl::Status Append(std::string_view bytes);

  // Checks the bytes: INVALID_ARGUMENT when fewer arrived than declared,
  // DATA_LOSS when their id differs from the declared one (both messages
  // give expected and got). Then fsyncs the file and renames it to
  // `final_path`, replacing any file there (same name, same bytes).
  absl::Status Commit(const std::string& final_path);

 private:
  ArtifactUpload(gridbench::v1::PutArtifactHeader header, AppendFile file)
      : header_(std::move(header)), file_(std::move(file)) {}

  const gridbench::v1::PutArtifactHeader header_;
  std::optional<AppendFile> file_;
  ArtifactHasher hasher_;
  bool committed_ = false;
};

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_ARTIFACT_UPLOAD_H_
