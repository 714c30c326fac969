// LinkFlusher: threads that write what the scheduler queued on worker links.
//
// The store's callback thread runs every commit's callbacks one after
// another, and for each stored result the scheduler queues an
// acknowledgement and the worker's next assignment. Writing them out costs a
// system call on the worker's own connection, and with one connection per
// worker that was the larger part of the callback thread's time, capping the
// results per second however many cores the coordinator had
// (docs/OPERATIONS.md, Throughput). So the scheduler hands those links to
// these threads instead of writing on the callback thread.
//
// Thread-safety: all methods are thread-safe. A link handed over twice is
// flushed twice, which is harmless (WorkerLink::Flush is idempotent).
#ifndef GRIDBENCH_COORDINATOR_LINK_FLUSHER_H_
#define GRIDBENCH_COORDINATOR_LINK_FLUSHER_H_

#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/annotated_mutex.h"
#include "coordinator/worker_link.h"

namespace gridbench::coordinator {

class LinkFlusher {
 public:
  explicit LinkFlusher(int threads);
  // Flushes every link handed over, then joins the threads.
  ~LinkFlusher();
  LinkFlusher(const LinkFlusher&) = delete;
  LinkFlusher& operator=(const LinkFlusher&) = delete;

  // Flushes `links` soon, on one of the threads; never blocks on a write.
  void Flush(std::vector<std::shared_ptr<WorkerLink>> links);

 private:
  void Run();

  const size_t thread_count_;
  StdMutex mu_;
  StdCondVar queued_;
  std::vector<std::shared_ptr<WorkerLink>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_LINK_FLUSHER_H_
