// ArtifactCache: the artifacts this worker has fetched, verified, on its own
// disk under <state_dir>/artifacts:
//   <hex>        a file whose bytes matched "sha256:<hex>" when fetched
//   <hex>.part   a download in progress; the next fetch continues from it
//
// Acquire() returns a file only after its bytes were verified: fetched now
// (the fetcher checks the hash), or found on disk and re-hashed once since
// this process started; later uses in the same process check its size, so
// a truncated or replaced file is caught and fetched again.
//
// The total size is kept under a cap by evicting the least recently used
// files. A file held by an ArtifactLease (a running task reads it) is never
// evicted; if held files alone exceed the cap, the cache runs over it until
// they are released. Last use survives restarts as the file's mtime.
//
// Thread-safety: every method may be called from any thread; fetches run one
// at a time.
#ifndef GRIDBENCH_WORKER_ARTIFACT_CACHE_H_
#define GRIDBENCH_WORKER_ARTIFACT_CACHE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace gridbench::worker {

class ArtifactCache;

// Keeps one cached artifact from eviction while it lives. Movable.
class ArtifactLease {
 public:
  ArtifactLease(ArtifactLease&& other) noexcept;
  ArtifactLease& operator=(ArtifactLease&&) = delete;
  ~ArtifactLease();

  const std::string& artifact_id() const { return id_; }
  const std::string& path() const { return path_; }
  uint64_t size_bytes() const { return size_; }

 private:
  friend class ArtifactCache;
  ArtifactLease(ArtifactCache* cache, std::string id, std::string path, uint64_t size)
      : cache_(cache), id_(std::move(id)), path_(std::move(path)), size_(size) {}
  ArtifactCache* cache_;
  std::string id_;
  std::string path_;
  uint64_t size_;
};

class ArtifactCache {
 public:
  // Downloads `artifact_id` to `dest`, verifying its hash, continuing from
  // "<dest>.part" when that exists (common/artifact_transfer.h does this).
  using Fetcher =
      std::function<absl::Status(const std::string& artifact_id, const std::string& dest)>;
  // Supplies the time used as "last use", so tests can order uses.
  using NowFn = std::function<int64_t()>;  // Unix nanoseconds.

  // Creates `dir` when missing and indexes the files in it. INTERNAL naming
  // the directory when it cannot.
  static absl::StatusOr<std::unique_ptr<ArtifactCache>> Open(const std::string& dir,
                                                             uint64_t capacity_bytes,
                                                             Fetcher fetcher, NowFn now = nullptr);

  // The artifact's verified local copy, fetched if needed, held until the
  // lease goes. INVALID_ARGUMENT for a malformed id; RESOURCE_EXHAUSTED when
  // the artifact alone is larger than the cap; otherwise the fetcher's error.
  absl::StatusOr<ArtifactLease> Acquire(const std::string& artifact_id);

  uint64_t used_bytes();
  // Ids of the files held, least recently used first (for tests and logs).
  std::vector<std::string> CachedIds();

 private:
  friend class ArtifactLease;
  struct Entry {
    uint64_t size = 0;
    int64_t last_use = 0;
    int pins = 0;
    bool verified = false;  // Hashed (or fetched) by this process.
  };

  ArtifactCache(std::string dir, uint64_t capacity, Fetcher fetcher, NowFn now)
      : dir_(std::move(dir)),
        capacity_(capacity),
        fetcher_(std::move(fetcher)),
        now_(std::move(now)) {}
  absl::Status Index();
  std::string PathOf(const std::string& hex) const { return dir_ + "/" + hex; }
  // Pins `hex` and returns true if its file is whole and verified (hashing
  // it on first use); otherwise forgets and removes it and returns false.
  absl::StatusOr<bool> PinIfUsable(const std::string& hex, const std::string& id, uint64_t* size);
  void Release(const std::string& hex);
  void Touch(const std::string& hex, Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EvictOverCap() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  const std::string dir_;
  const uint64_t capacity_;
  const Fetcher fetcher_;
  const NowFn now_;

  absl::Mutex fetch_mu_;  // One fetch at a time; taken before mu_.
  absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);  // By hex.
};

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_ARTIFACT_CACHE_H_
