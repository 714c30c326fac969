#include "common/artifact_id.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"

namespace gridbench {
namespace {

constexpr size_t kHexDigits = 64;

std::string Quoted(std::string_view id) {
  return absl::StrCat("\"", std::string(id.substr(0, 100)), id.size() > 100 ? "...\"" : "\"");
}

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

}  // namespace

absl::Status ValidateArtifactId(std::string_view id) {
  if (!absl::StartsWith(absl::string_view(id.data(), id.size()),
                        absl::string_view(kArtifactIdPrefix.data(), kArtifactIdPrefix.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("artifact id ", Quoted(id), " must start with \"sha256:\""));
  }
  const std::string_view hex = id.substr(kArtifactIdPrefix.size());
  if (hex.size() != kHexDigits) {
    return absl::InvalidArgumentError(
        absl::StrCat("artifact id ", Quoted(id), " must have ", kHexDigits,
                     " hex digits after \"sha256:\", has ", hex.size()));
  }
  for (size_t i = 0; i < hex.size(); ++i) {
    if (!IsLowerHex(hex[i])) {
      return absl::InvalidArgumentError(absl::StrCat("artifact id ", Quoted(id), ": character ",
                                                     kArtifactIdPrefix.size() + i,
                                                     " is not a lowercase hex digit"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ParseArtifactId(std::string_view id) {
  if (absl::Status s = ValidateArtifactId(id); !s.ok()) return s;
  return std::string(id.substr(kArtifactIdPrefix.size()));
}

absl::StatusOr<std::string> ArtifactIdForSha256Hex(std::string_view sha256_hex) {
  std::string id =
      absl::StrCat(std::string(kArtifactIdPrefix), absl::AsciiStrToLower(std::string(sha256_hex)));
  if (absl::Status s = ValidateArtifactId(id); !s.ok()) return s;
  return id;
}

static_assert(sizeof(crypto_hash_sha256_state) <= 256, "ArtifactHasher::state_ is too small");

ArtifactHasher::ArtifactHasher() {
  crypto_hash_sha256_init(reinterpret_cast<crypto_hash_sha256_state*>(state_));
}

void ArtifactHasher::Update(std::string_view bytes) {
  crypto_hash_sha256_update(reinterpret_cast<crypto_hash_sha256_state*>(state_),
                            reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  bytes_seen_ += bytes.size();
}

std::string ArtifactHasher::FinishId() {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(reinterpret_cast<crypto_hash_sha256_state*>(state_), digest);
  return absl::StrCat(std::string(kArtifactIdPrefix),
                      ToHex(std::string_view(reinterpret_cast<char*>(digest), sizeof(digest))));
}

absl::StatusOr<FileArtifactId> ArtifactIdOfFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::NotFoundError(absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  ArtifactHasher hasher;
  std::vector<char> buffer(1 << 20);
  while (true) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return absl::InternalError(absl::StrCat("reading ", path, ": ", std::strerror(error)));
    }
    if (n == 0) break;
    hasher.Update(std::string_view(buffer.data(), static_cast<size_t>(n)));
  }
  ::close(fd);
  const uint64_t size = hasher.bytes_seen();
  return FileArtifactId{hasher.FinishId(), size};
}

}  // namespace gridbench
