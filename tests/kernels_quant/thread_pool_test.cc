#include "kernels/parallel/thread_pool.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace gridbench::kernels {
namespace {

// Every index in [0, n) is visited exactly once, whatever the pool size.
class ThreadPoolCoverage : public ::testing::TestWithParam<int> {};

TEST_P(ThreadPoolCoverage, VisitsEachIndexOnce) {
  ThreadPool pool(GetParam());
  for (int64_t n : {1, 2, 7, 1000, 100003}) {
    std::vector<std::atomic<int>> hits(n);
    pool.ParallelFor(n, [&](int64_t begin, int64_t end) {
      ASSERT_LT(begin, end);
      for (int64_t i = begin; i < end; ++i) hits[i].fetch_add(1);
    });
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, ThreadPoolCoverage, ::testing::Values(0, 1, 2, 4, 8));

TEST(ThreadPool, SizeIsAtLeastOne) {
  EXPECT_EQ(ThreadPool(0).num_threads(), 1);
  EXPECT_EQ(ThreadPool(-3).num_threads(), 1);
  EXPECT_EQ(ThreadPool(3).num_threads(), 3);
}

TEST(ThreadPool, EmptyRangeCallsNothing) {
  ThreadPool pool(2);
  int calls = 0;
  pool.ParallelFor(0, [&](int64_t, int64_t) { ++calls; });
  pool.ParallelFor(-5, [&](int64_t, int64_t) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(ThreadPool, MinChunkIsRespected) {
  ThreadPool pool(4);
  std::atomic<int> short_chunks{0};
  pool.ParallelFor(
      1000,
      [&](int64_t begin, int64_t end) {
        if (end - begin < 100 && end != 1000) short_chunks.fetch_add(1);
      },
      100);
  EXPECT_EQ(short_chunks.load(), 0);
}

TEST(ThreadPool, UsesMoreThanOneThread) {
  ThreadPool pool(2);
  // Each chunk waits until two distinct threads have entered, which can only
  // happen if the pool really runs chunks concurrently; with one thread the
  // second chunk would never start and the test would hang (ctest timeout).
  std::atomic<int> entered{0};
  pool.ParallelFor(
      2,
      [&](int64_t, int64_t) {
        entered.fetch_add(1);
        while (entered.load() < 2) std::this_thread::yield();
      },
      1);
  EXPECT_EQ(entered.load(), 2);
}

TEST(ThreadPool, NestedCallRunsInline) {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  pool.ParallelFor(4, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      pool.ParallelFor(10, [&](int64_t b, int64_t e) { total.fetch_add(e - b); });
    }
  });
  EXPECT_EQ(total.load(), 40);
}

TEST(ThreadPool, ConcurrentCallersTakeTurns) {
  ThreadPool pool(3);
  std::atomic<int64_t> sum{0};
  auto work = [&] {
    for (int rep = 0; rep < 50; ++rep) {
      pool.ParallelFor(1000, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) sum.fetch_add(i);
      });
    }
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  EXPECT_EQ(sum.load(), 2 * 50 * (999 * 1000 / 2));
}

// Jobs far shorter than a thread wake-up: workers often find a job already
// closed and must skip it without touching it, then join a later one. Each
// job's outputs are checked before the next one starts, so a worker still
// writing into a finished job shows as a wrong count.
TEST(ThreadPool, BackToBackShortJobsEachCoverTheirRangeOnce) {
  ThreadPool pool(4);
  std::vector<std::atomic<int>> hits(3);
  for (int job = 0; job < 20000; ++job) {
    pool.ParallelFor(3, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) hits[i].fetch_add(1);
    });
    for (int64_t i = 0; i < 3; ++i) {
      ASSERT_EQ(hits[i].exchange(0), 1) << "job " << job << " index " << i;
    }
  }
}

// A worker may still be leaving the last job when the caller returns; the
// destructor must wait for it rather than free what it touches.
TEST(ThreadPool, DestroyedRightAfterAJob) {
  for (int round = 0; round < 300; ++round) {
    std::atomic<int64_t> total{0};
    {
      ThreadPool pool(3);
      pool.ParallelFor(64, [&](int64_t b, int64_t e) { total.fetch_add(e - b); });
    }
    ASSERT_EQ(total.load(), 64);
  }
}

}  // namespace
}  // namespace gridbench::kernels
