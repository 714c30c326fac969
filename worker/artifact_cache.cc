#include "worker/artifact_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/artifact_id.h"
#include "common/blob_file.h"
#include "common/status_macros.h"

namespace gridbench::worker {
namespace {

bool IsHexName(const std::string& name) {
  if (name.size() != 64) return false;
  for (char c : name) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

ArtifactLease::ArtifactLease(ArtifactLease&& other) noexcept
    : cache_(other.cache_),
      id_(std::move(other.id_)),
      path_(std::move(other.path_)),
      size_(other.size_) {
  other.cache_ = nullptr;
}

ArtifactLease::~ArtifactLease() {
  if (cache_ != nullptr) cache_->Release(id_.substr(kArtifactIdPrefix.size()));
}

absl::StatusOr<std::unique_ptr<ArtifactCache>> ArtifactCache::Open(const std::string& dir,
                                                                   uint64_t capacity_bytes,
                                                                   Fetcher fetcher, NowFn now) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("creating ", dir, ": ", ec.message()));
  if (!now) now = [] { return absl::GetCurrentTimeNanos(); };
  std::unique_ptr<ArtifactCache> cache(
      new ArtifactCache(dir, capacity_bytes, std::move(fetcher), std::move(now)));
  GB_RETURN_IF_ERROR(cache->Index());
  return cache;
}

absl::Status ArtifactCache::Index() {
  std::error_code ec;
  absl::MutexLock lock(&mu_);
  for (const auto& file : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = file.path().filename().string();
    if (!IsHexName(name)) continue;  // .part files wait for their next fetch.
    struct stat st;
    if (::stat(file.path().c_str(), &st) != 0) continue;
    entries_[name] =
        Entry{.size = static_cast<uint64_t>(st.st_size),
              .last_use = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
  }
  if (ec) return absl::InternalError(absl::StrCat("listing ", dir_, ": ", ec.message()));
  return absl::OkStatus();
}

absl::StatusOr<bool> ArtifactCache::PinIfUsable(const std::string& hex, const std::string& id,
                                                uint64_t* size) {
  bool needs_hash = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(hex);
    if (it == entries_.end()) return false;
    absl::StatusOr<uint64_t> on_disk = FileSize(PathOf(hex));
    if (on_disk.ok() && *on_disk == it->second.size) {
      needs_hash = !it->second.verified;
      *size = it->second.size;
    } else {
      entries_.erase(it);  // Truncated, grown or gone: fetch it again.
      ::unlink(PathOf(hex).c_str());
      return false;
    }
  }
  // Hashed outside mu_: fetch_mu_ (held by the caller) keeps the entry.
  if (needs_hash) {
    absl::StatusOr<FileArtifactId> got = ArtifactIdOfFile(PathOf(hex));
    if (!got.ok() || got->id != id) {
      absl::MutexLock lock(&mu_);
      entries_.erase(hex);
      ::unlink(PathOf(hex).c_str());
      return false;
    }
  }
  absl::MutexLock lock(&mu_);
  Entry& entry = entries_[hex];
  entry.verified = true;
  ++entry.pins;
  Touch(hex, entry);
  return true;
}

absl::StatusOr<ArtifactLease> ArtifactCache::Acquire(const std::string& artifact_id) {
  GB_ASSIGN_OR_RETURN(const std::string hex, ParseArtifactId(artifact_id));
  absl::MutexLock fetching(&fetch_mu_);
  uint64_t size = 0;
  GB_ASSIGN_OR_RETURN(const bool cached, PinIfUsable(hex, artifact_id, &size));
  if (cached) return ArtifactLease(this, artifact_id, PathOf(hex), size);
  GB_RETURN_IF_ERROR(fetcher_(artifact_id, PathOf(hex)));
  GB_ASSIGN_OR_RETURN(size, FileSize(PathOf(hex)));
  if (size > capacity_) {
    ::unlink(PathOf(hex).c_str());
    return absl::ResourceExhaustedError(
        absl::StrCat("artifact ", artifact_id, " is ", size,
                     " bytes, more than this worker's artifact cache holds (", capacity_, ")"));
  }
  absl::MutexLock lock(&mu_);
  Entry& entry = entries_[hex];
  entry = Entry{.size = size, .pins = 1, .verified = true};
  Touch(hex, entry);
  EvictOverCap();
  return ArtifactLease(this, artifact_id, PathOf(hex), size);
}

void ArtifactCache::Release(const std::string& hex) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(hex);
  if (it != entries_.end() && it->second.pins > 0) --it->second.pins;
}

void ArtifactCache::Touch(const std::string& hex, Entry& entry) {
  entry.last_use = now_();
  const struct timespec times[2] = {{0, UTIME_OMIT},
                                    {static_cast<time_t>(entry.last_use / 1'000'000'000),
                                     static_cast<long>(entry.last_use % 1'000'000'000)}};
  // Only the order after a restart depends on it; a failure costs nothing else.
  (void)::utimensat(AT_FDCWD, PathOf(hex).c_str(), times, 0);
}

void ArtifactCache::EvictOverCap() {
  uint64_t total = 0;
  for (const auto& [hex, entry] : entries_) total += entry.size;
  while (total > capacity_) {
    auto victim = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->second.pins > 0) continue;
      if (victim == entries_.end() || it->second.last_use < victim->second.last_use) victim = it;
    }
    if (victim == entries_.end()) return;  // Everything left is in use.
    ::unlink(PathOf(victim->first).c_str());
    total -= victim->second.size;
    entries_.erase(victim);
  }
}

uint64_t ArtifactCache::used_bytes() {
  absl::MutexLock lock(&mu_);
  uint64_t total = 0;
  for (const auto& [hex, entry] : entries_) total += entry.size;
  return total;
}

std::vector<std::string> ArtifactCache::CachedIds() {
  absl::MutexLock lock(&mu_);
  std::vector<std::pair<int64_t, std::string>> by_use;
  for (const auto& [hex, entry] : entries_) {
    by_use.emplace_back(entry.last_use, absl::StrCat(std::string(kArtifactIdPrefix), hex));
  }
  std::sort(by_use.begin(), by_use.end());
  std::vector<std::string> ids;
  for (auto& [use, id] : by_use) ids.push_back(std::move(id));
  return ids;
}

}  // namespace gridbench::worker
