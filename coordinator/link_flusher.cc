#include "coordinator/link_flusher.h"

#include <pthread.h>

#include <algorithm>

namespace gridbench::coordinator {

LinkFlusher::LinkFlusher(int threads) : thread_count_(std::max(threads, 1)) {
  for (size_t i = 0; i < thread_count_; ++i) threads_.emplace_back([this] { Run(); });
}

LinkFlusher::~LinkFlusher() {
  {
    StdMutexLock lock(mu_);
    stopping_ = true;
  }
  queued_.SignalAll();
  for (std::thread& thread : threads_) thread.join();
}

void LinkFlusher::Flush(std::vector<std::shared_ptr<WorkerLink>> links) {
  if (links.empty()) return;
  {
    StdMutexLock lock(mu_);
    if (!stopping_) {
      queue_.insert(queue_.end(), std::make_move_iterator(links.begin()),
                    std::make_move_iterator(links.end()));
      links.clear();
    }
  }
  // Once stopping, the threads may be gone: the caller writes them itself.
  for (const std::shared_ptr<WorkerLink>& link : links) link->Flush();
  queued_.Signal();
}

void LinkFlusher::Run() {
  pthread_setname_np(pthread_self(), "link-flusher");
  std::vector<std::shared_ptr<WorkerLink>> batch;
  while (true) {
    {
      StdMutexLock lock(mu_);
      while (queue_.empty() && !stopping_) queued_.Wait(mu_);
      if (queue_.empty()) return;
      // A share of the queue, so the other threads can take the rest.
      const size_t take = (queue_.size() + thread_count_ - 1) / thread_count_;
      batch.assign(std::make_move_iterator(queue_.end() - static_cast<ptrdiff_t>(take)),
                   std::make_move_iterator(queue_.end()));
      queue_.resize(queue_.size() - take);
      if (!queue_.empty()) queued_.Signal();
    }
    for (const std::shared_ptr<WorkerLink>& link : batch) link->Flush();
    batch.clear();
  }
}

}  // namespace gridbench::coordinator
