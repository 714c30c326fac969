// The worker's artifact cache on a real directory: fetch once, LRU eviction
// under the cap, held files never evicted, damaged files fetched again.
// The fetcher writes known bytes, standing in for the coordinator (the
// network path is tested end to end in tests/integration/artifact_test.cc).
#include "worker/artifact_cache.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "common/crypto.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gridbench::worker {
namespace {

using ::testing::ElementsAre;

class ArtifactCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitCrypto().ok());
    dir_ = std::filesystem::temp_directory_path() /
           ("gb-cache-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // An artifact of `size` bytes the fetcher can serve; returns its id.
  std::string Add(char fill, size_t size) {
    std::string bytes(size, fill);
    const std::string id = "sha256:" + Sha256Hex(bytes);
    served_[id] = bytes;
    return id;
  }

  std::unique_ptr<ArtifactCache> OpenCache(uint64_t capacity) {
    auto cache = ArtifactCache::Open(
        dir_, capacity,
        [this](const std::string& id, const std::string& dest) -> absl::Status {
          ++fetches_[id];
          std::ofstream(dest, std::ios::binary | std::ios::trunc) << served_.at(id);
          return absl::OkStatus();
        },
        [this] { return ++now_; });
    EXPECT_TRUE(cache.ok()) << cache.status();
    return *std::move(cache);
  }

  std::string PathOf(const std::string& id) { return dir_ + "/" + id.substr(7); }

  // Acquires and at once releases.
  void Use(ArtifactCache& cache, const std::string& id) {
    auto lease = cache.Acquire(id);
    ASSERT_TRUE(lease.ok()) << lease.status();
  }

  std::string dir_;
  std::map<std::string, std::string> served_;
  std::map<std::string, int> fetches_;
  int64_t now_ = 1'700'000'000'000'000'000;
};

TEST_F(ArtifactCacheTest, FetchesOnceAndServesTheVerifiedFile) {
  const std::string a = Add('a', 100);
  auto cache = OpenCache(1000);
  {
    auto lease = cache->Acquire(a);
    ASSERT_TRUE(lease.ok()) << lease.status();
    EXPECT_EQ(lease->path(), PathOf(a));
    EXPECT_EQ(lease->size_bytes(), 100u);
  }
  Use(*cache, a);
  EXPECT_EQ(fetches_[a], 1);
  EXPECT_EQ(cache->used_bytes(), 100u);
}

TEST_F(ArtifactCacheTest, EvictsLeastRecentlyUsedToStayUnderTheCap) {
  const std::string a = Add('a', 100), b = Add('b', 100), c = Add('c', 100), d = Add('d', 100);
  auto cache = OpenCache(300);
  Use(*cache, a);
  Use(*cache, b);
  Use(*cache, c);
  Use(*cache, a);  // b is now the least recently used.
  Use(*cache, d);
  EXPECT_THAT(cache->CachedIds(), ElementsAre(c, a, d));
  EXPECT_LE(cache->used_bytes(), 300u);
  EXPECT_FALSE(std::filesystem::exists(PathOf(b)));
  Use(*cache, b);  // Fetched again; c goes.
  EXPECT_EQ(fetches_[b], 2);
  EXPECT_THAT(cache->CachedIds(), ElementsAre(a, d, b));
}

TEST_F(ArtifactCacheTest, AFileInUseIsNeverEvicted) {
  const std::string a = Add('a', 100), b = Add('b', 100), c = Add('c', 100);
  auto cache = OpenCache(200);
  auto held = cache->Acquire(a);  // Oldest, but a task is reading it.
  ASSERT_TRUE(held.ok());
  Use(*cache, b);
  Use(*cache, c);
  EXPECT_TRUE(std::filesystem::exists(PathOf(a)));
  EXPECT_THAT(cache->CachedIds(), ElementsAre(a, c));
  // Held files alone over the cap: the cache runs over until they are released.
  auto held_c = cache->Acquire(c);
  auto held_b = cache->Acquire(b);
  ASSERT_TRUE(held_c.ok() && held_b.ok());
  EXPECT_EQ(cache->used_bytes(), 300u);
}

TEST_F(ArtifactCacheTest, AnArtifactLargerThanTheCapIsRefused) {
  const std::string big = Add('x', 500);
  auto cache = OpenCache(300);
  auto lease = cache->Acquire(big);
  EXPECT_TRUE(absl::IsResourceExhausted(lease.status())) << lease.status();
  EXPECT_FALSE(std::filesystem::exists(PathOf(big)));
  EXPECT_EQ(cache->used_bytes(), 0u);
}

TEST_F(ArtifactCacheTest, ATruncatedFileIsFetchedAgain) {
  const std::string a = Add('a', 100);
  auto cache = OpenCache(1000);
  Use(*cache, a);
  std::filesystem::resize_file(PathOf(a), 50);
  auto lease = cache->Acquire(a);
  ASSERT_TRUE(lease.ok()) << lease.status();
  EXPECT_EQ(fetches_[a], 2);
  EXPECT_EQ(std::filesystem::file_size(PathOf(a)), 100u);
}

TEST_F(ArtifactCacheTest, AfterARestartFilesAreRehashedOnceAndKeepTheirOrder) {
  const std::string a = Add('a', 100), b = Add('b', 100), c = Add('c', 100);
  {
    auto cache = OpenCache(1000);
    Use(*cache, a);
    Use(*cache, b);
    Use(*cache, c);
  }
  EXPECT_THAT(OpenCache(1000)->CachedIds(), ElementsAre(a, b, c));
  // Damage b in place, keeping its size: only its hash can tell.
  std::ofstream(PathOf(b), std::ios::binary | std::ios::trunc) << std::string(100, 'B');
  auto cache = OpenCache(1000);
  Use(*cache, a);
  Use(*cache, b);
  EXPECT_EQ(fetches_[a], 1);
  EXPECT_EQ(fetches_[b], 2);
  std::ifstream in(PathOf(b), std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), std::string(100, 'b'));
}

TEST_F(ArtifactCacheTest, AMalformedIdIsRefused) {
  auto cache = OpenCache(1000);
  auto lease = cache->Acquire("sha256:../../etc/passwd");
  EXPECT_TRUE(absl::IsInvalidArgument(lease.status())) << lease.status();
}

}  // namespace
}  // namespace gridbench::worker
