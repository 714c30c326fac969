// A small fixed-size thread pool for data-parallel kernels.
//
// The pool owns `num_threads - 1` worker threads; the thread that calls
// ParallelFor is the last participant, so ThreadPool(1) runs everything on
// the caller with no threads at all. The caller picks the size (usually one
// per physical core) so that a benchmark controls exactly how many threads run.
//
// Thread-safety: ParallelFor may be called from any thread. Concurrent calls
// from different threads run one after another (each still uses the whole
// pool). A call made from inside `fn` (on a pool thread) runs inline on that
// thread, so nesting cannot deadlock.
#ifndef GRIDBENCH_KERNELS_PARALLEL_THREAD_POOL_H_
#define GRIDBENCH_KERNELS_PARALLEL_THREAD_POOL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace gridbench::kernels {

class ThreadPool {
 public:
  // `num_threads` is the total number of threads that run work, the caller
  // included; values below 1 are treated as 1.
  explicit ThreadPool(int num_threads);
  // Joins the worker threads. No ParallelFor may be running.
  ~ThreadPool();

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  // Calls fn(begin, end) on disjoint ranges that together cover [0, n), from
  // up to num_threads() threads, and returns when every call has returned.
  // Ranges are handed out dynamically in chunks of at least `min_chunk`
  // indices, so which thread runs which range is not fixed; fn must therefore
  // write only to outputs owned by its range. n <= 0 does nothing. fn must not
  // throw.
  void ParallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                   int64_t min_chunk = 1);

 private:
  // One ParallelFor call, shared by every participant.
  struct Job {
    const std::function<void(int64_t, int64_t)>* fn = nullptr;
    int64_t n = 0;
    int64_t chunk = 1;
    std::atomic<int64_t> next{0};
  };

  void WorkerLoop();
  // Takes chunks of `job` until none are left.
  static void RunChunks(Job& job);

  // Constant after construction.
  const int num_threads_;
  std::vector<std::thread> workers_;

  // Held for the whole of a ParallelFor, so calls from different threads
  // take turns.
  std::mutex call_mu_;

  // std::mutex rather than absl::Mutex so ThreadSanitizer sees the
  // synchronisation (the system abseil is not built with TSan annotations).
  std::mutex mu_;
  std::condition_variable work_ready_;  // generation_ bumped or stopping_ set.
  std::condition_variable work_done_;   // busy_workers_ reached 0.
  // Protected by mu_:
  Job* job_ = nullptr;
  uint64_t generation_ = 0;  // Bumped per job.
  int busy_workers_ = 0;     // Workers still inside the current job.
  bool stopping_ = false;
};

}  // namespace gridbench::kernels

#endif  // GRIDBENCH_KERNELS_PARALLEL_THREAD_POOL_H_
