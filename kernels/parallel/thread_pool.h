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
//
// Waiting spins briefly before it blocks. A model's token step is a few
// hundred ParallelFor calls of a few hundred microseconds each, with only
// serial microseconds between them; waking a blocked thread costs a futex
// call and, in a VM, an inter-processor interrupt to a halted vCPU, tens of
// microseconds that the other threads spend waiting. So a worker that
// finished a job watches for the next one for kSpinMicros before it sleeps,
// and the caller watches for the workers to finish for as long before it
// sleeps. An idle pool costs nothing after that. The caller waits only for
// workers that joined the job before its last chunk was handed out, so a
// worker that is not running (a machine shared with other work) delays
// nothing: it finds the job closed when it wakes.
#ifndef GRIDBENCH_KERNELS_PARALLEL_THREAD_POOL_H_
#define GRIDBENCH_KERNELS_PARALLEL_THREAD_POOL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace gridbench::kernels {

class ThreadPool {
 public:
  // `num_threads` is the total number of threads that run work, the caller
  // included; values below 1 are treated as 1, above kMaxThreads as
  // kMaxThreads.
  explicit ThreadPool(int num_threads);
  // Joins the worker threads. No ParallelFor may be running.
  ~ThreadPool();

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  // How long a waiting thread spins before it blocks.
  static constexpr int64_t kSpinMicros = 100;
  // The workers inside a job are counted in 16 bits (see job_state_).
  static constexpr int kMaxThreads = 1 << 16;

  // Calls fn(begin, end) on disjoint ranges that together cover [0, n), from
  // up to num_threads() threads, and returns when every call has returned.
  // Ranges are handed out dynamically in chunks of at least `min_chunk`
  // indices, so which thread runs which range is not fixed; fn must therefore
  // write only to outputs owned by its range. n <= 0 does nothing. fn must not
  // throw.
  void ParallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                   int64_t min_chunk = 1);

 private:
  // job_state_ packs the current job's generation, whether it is closed
  // (all its chunks handed out: no worker may join any more), and how many
  // workers are inside it. Joining and closing are single atomic updates, so
  // the caller waits only for workers that really took part: a worker that
  // wakes late finds the job closed and leaves it alone.
  static constexpr uint64_t kActiveMask = 0xFFFF;
  static constexpr uint64_t kClosed = uint64_t{1} << 16;
  static constexpr int kGenerationShift = 17;
  static_assert(kMaxThreads - 1 <= kActiveMask, "a full pool's workers must fit in the count");

  void WorkerLoop();
  // Runs chunks of the current job until none are left.
  void RunChunks();
  // Waits until the job state shows a generation other than `seen`, or the
  // pool stops; returns that state, or nothing when stopping.
  std::optional<uint64_t> AwaitJob(uint64_t seen);
  // Joins the job of `state`'s generation if it is still open, runs its
  // chunks, and leaves it.
  void TakePart(uint64_t state);
  // Closes the current job and waits until the workers inside it have left.
  void CloseJob();
  // Waits until ready(): spins for kSpinMicros, then blocks on `cv`.
  template <typename Ready>
  void Await(std::condition_variable& cv, const Ready& ready);
  // Wakes the threads blocked on `cv` after the caller changed what they wait
  // for. Taking mu_ first orders that change before any sleeper's last check.
  void Wake(std::condition_variable& cv);

  // Constant after construction.
  const int num_threads_;
  std::vector<std::thread> workers_;

  // Held for the whole of a ParallelFor, so calls from different threads
  // take turns.
  std::mutex call_mu_;

  // The current job. Written by the caller before the release store that
  // publishes its generation, read by workers only after joining it.
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t n_ = 0;
  int64_t chunk_ = 1;
  std::atomic<int64_t> next_{0};  // The first index not handed out yet.

  std::atomic<uint64_t> job_state_{0};
  std::atomic<bool> stopping_{false};

  // For the blocking half of each wait only. std::mutex rather than
  // absl::Mutex so ThreadSanitizer sees the synchronisation (the system
  // abseil is not built with TSan annotations).
  std::mutex mu_;
  std::condition_variable job_published_;  // Generation bumped or stopping_ set.
  std::condition_variable workers_left_;   // A closed job's last worker left.
};

}  // namespace gridbench::kernels

#endif  // GRIDBENCH_KERNELS_PARALLEL_THREAD_POOL_H_
