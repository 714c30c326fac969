// Artifact ids: "sha256:" followed by the 64 lowercase hex digits of the
// SHA-256 of the artifact's bytes. The same bytes always have the same id,
// so an id names exactly which bytes a task used.
//
// All functions are thread-safe and never crash on bad input.
#ifndef GRIDBENCH_COMMON_ARTIFACT_ID_H_
#define GRIDBENCH_COMMON_ARTIFACT_ID_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace gridbench {

inline constexpr std::string_view kArtifactIdPrefix = "sha256:";

// OK for a well-formed id. INVALID_ARGUMENT otherwise, quoting the id (cut
// to 100 characters) and saying what is wrong with it.
absl::Status ValidateArtifactId(std::string_view id);

// The 64 hex digits of a well-formed id; errors as for ValidateArtifactId.
absl::StatusOr<std::string> ParseArtifactId(std::string_view id);

// "sha256:" + `sha256_hex`, which must be 64 hex digits (either case; the id
// is lowercase). INVALID_ARGUMENT otherwise.
absl::StatusOr<std::string> ArtifactIdForSha256Hex(std::string_view sha256_hex);

// Computes an artifact id from bytes fed in pieces, so large files need not
// be in memory. Thread-compatible.
class ArtifactHasher {
 public:
  ArtifactHasher();
  void Update(std::string_view bytes);
  uint64_t bytes_seen() const { return bytes_seen_; }
  // The id of everything fed so far. Call once; the hasher is spent after.
  std::string FinishId();

 private:
  alignas(64) unsigned char state_[256];  // crypto_hash_sha256_state, opaque here.
  uint64_t bytes_seen_ = 0;
};

// The id of the file at `path` and its size. NOT_FOUND when it cannot be
// opened; INTERNAL for a read error; both name the path.
struct FileArtifactId {
  std::string id;
  uint64_t size_bytes = 0;
};
absl::StatusOr<FileArtifactId> ArtifactIdOfFile(const std::string& path);

}  // namespace gridbench

#endif  // GRIDBENCH_COMMON_ARTIFACT_ID_H_
