#include "kernels/parallel/thread_pool.h"

#include <algorithm>
#include <chrono>

namespace gridbench::kernels {
namespace {

// The pool whose worker the current thread is, so nested calls run inline.
thread_local const ThreadPool* current_pool = nullptr;

// Tells the core this thread is spinning, so a sibling hyperthread gets
// the execution units meanwhile.
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// Spins until ready() or until ThreadPool::kSpinMicros have passed; returns
// ready()'s last answer.
template <typename Ready>
bool SpinUntil(const Ready& ready) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::microseconds(ThreadPool::kSpinMicros);
  for (;;) {
    // Reading the clock costs about as much as a dozen pauses; check it
    // every few iterations only.
    for (int i = 0; i < 16; ++i) {
      if (ready()) return true;
      CpuRelax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return ready();
  }
}

}  // namespace

ThreadPool::ThreadPool(int num_threads) : num_threads_(std::clamp(num_threads, 1, kMaxThreads)) {
  workers_.reserve(num_threads_ - 1);
  for (int i = 1; i < num_threads_; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  stopping_.store(true, std::memory_order_release);
  Wake(job_published_);
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::RunChunks() {
  for (;;) {
    const int64_t begin = next_.fetch_add(chunk_, std::memory_order_relaxed);
    if (begin >= n_) return;
    (*fn_)(begin, std::min(n_, begin + chunk_));
  }
}

template <typename Ready>
void ThreadPool::Await(std::condition_variable& cv, const Ready& ready) {
  if (SpinUntil(ready)) return;
  std::unique_lock<std::mutex> lock(mu_);
  cv.wait(lock, ready);
}

void ThreadPool::Wake(std::condition_variable& cv) {
  { std::lock_guard<std::mutex> lock(mu_); }
  cv.notify_all();
}

std::optional<uint64_t> ThreadPool::AwaitJob(uint64_t seen) {
  const auto ready = [&] {
    return stopping_.load(std::memory_order_acquire) ||
           job_state_.load(std::memory_order_acquire) >> kGenerationShift != seen;
  };
  Await(job_published_, ready);
  if (stopping_.load(std::memory_order_acquire)) return std::nullopt;
  return job_state_.load(std::memory_order_acquire);
}

void ThreadPool::TakePart(uint64_t state) {
  const uint64_t generation = state >> kGenerationShift;
  // Join: one more worker inside, unless the job closed (or a newer one
  // replaced it) meanwhile.
  do {
    if ((state & kClosed) != 0 || state >> kGenerationShift != generation) return;
  } while (!job_state_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel));
  RunChunks();
  const uint64_t left = job_state_.fetch_sub(1, std::memory_order_acq_rel) - 1;
  if ((left & kClosed) != 0 && (left & kActiveMask) == 0) {
    // The caller may see the count reach 0 while spinning and return; the
    // pool (and mu_) outlives this thread, which the destructor joins.
    Wake(workers_left_);
  }
}

void ThreadPool::WorkerLoop() {
  current_pool = this;
  uint64_t seen = 0;  // The generation this worker last looked at.
  for (;;) {
    const std::optional<uint64_t> state = AwaitJob(seen);
    if (!state.has_value()) return;
    seen = *state >> kGenerationShift;
    TakePart(*state);
  }
}

void ThreadPool::CloseJob() {
  const uint64_t state = job_state_.fetch_or(kClosed, std::memory_order_acq_rel);
  if ((state & kActiveMask) == 0) return;
  Await(workers_left_,
        [&] { return (job_state_.load(std::memory_order_acquire) & kActiveMask) == 0; });
}

void ThreadPool::ParallelFor(int64_t n, const std::function<void(int64_t, int64_t)>& fn,
                             int64_t min_chunk) {
  if (n <= 0) return;
  if (workers_.empty() || current_pool == this) {
    fn(0, n);
    return;
  }
  std::lock_guard<std::mutex> call_lock(call_mu_);
  // Every worker has left the previous job (CloseJob waited for those that
  // joined; the others can no longer join it), so the job fields are free.
  fn_ = &fn;
  n_ = n;
  // About 16 chunks per thread: a thread that falls behind (uneven work, or
  // descheduled on a shared machine) leaves little for the others to wait
  // on, and one atomic add per chunk is still negligible.
  chunk_ = std::max<int64_t>({1, min_chunk, n / (16 * num_threads_)});
  next_.store(0, std::memory_order_relaxed);
  const uint64_t generation = (job_state_.load(std::memory_order_relaxed) >> kGenerationShift) + 1;
  job_state_.store(generation << kGenerationShift, std::memory_order_release);
  Wake(job_published_);
  // While the caller runs chunks it counts as a pool thread, so a nested call
  // from fn runs inline instead of waiting for call_mu_, which it holds.
  const ThreadPool* outer = current_pool;
  current_pool = this;
  RunChunks();
  current_pool = outer;
  CloseJob();
}

}  // namespace gridbench::kernels
