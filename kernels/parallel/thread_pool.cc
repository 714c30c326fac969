#include "kernels/parallel/thread_pool.h"

#include <algorithm>

namespace gridbench::kernels {
namespace {

// The pool whose worker the current thread is, so nested calls run inline.
thread_local const ThreadPool* current_pool = nullptr;

}  // namespace

ThreadPool::ThreadPool(int num_threads) : num_threads_(std::max(1, num_threads)) {
  workers_.reserve(num_threads_ - 1);
  for (int i = 1; i < num_threads_; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::RunChunks(Job& job) {
  for (;;) {
    const int64_t begin = job.next.fetch_add(job.chunk, std::memory_order_relaxed);
    if (begin >= job.n) return;
    (*job.fn)(begin, std::min(job.n, begin + job.chunk));
  }
}

void ThreadPool::WorkerLoop() {
  current_pool = this;
  uint64_t seen = 0;  // The generation this worker last ran.
  for (;;) {
    Job* job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      work_ready_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      job = job_;
    }
    RunChunks(*job);
    // Notify under the lock: once the caller sees 0 it may return and destroy
    // the pool, so this thread must not touch work_done_ after unlocking.
    std::lock_guard<std::mutex> lock(mu_);
    if (--busy_workers_ == 0) work_done_.notify_one();
  }
}

void ThreadPool::ParallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                             int64_t min_chunk) {
  if (n <= 0) return;
  if (workers_.empty() || current_pool == this) {
    fn(0, n);
    return;
  }
  // About 16 chunks per thread: a thread that falls behind (uneven work, or
  // descheduled on a shared machine) leaves little for the others to wait
  // on, and one atomic add per chunk is still negligible.
  Job job;
  job.fn = &fn;
  job.n = n;
  job.chunk = std::max<int64_t>({1, min_chunk, n / (16 * num_threads_)});
  std::lock_guard<std::mutex> call_lock(call_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = &job;
    ++generation_;
    busy_workers_ = static_cast<int>(workers_.size());
  }
  work_ready_.notify_all();
  // While the caller runs chunks it counts as a pool thread, so a nested call
  // from fn runs inline instead of waiting for call_mu_, which it holds.
  const ThreadPool* outer = current_pool;
  current_pool = this;
  RunChunks(job);
  current_pool = outer;
  std::unique_lock<std::mutex> lock(mu_);
  work_done_.wait(lock, [&] { return busy_workers_ == 0; });
  job_ = nullptr;
}

}  // namespace gridbench::kernels
