// WorkerLink: the scheduler's handle on one worker's open session.
#ifndef GRIDBENCH_COORDINATOR_WORKER_LINK_H_
#define GRIDBENCH_COORDINATOR_WORKER_LINK_H_

#include "absl/status/status.h"
#include "gridbench/v1/worker.pb.h"

namespace gridbench::coordinator {

// Shared, so a link the scheduler queued messages on stays valid until they
// are flushed, even if the session ends meanwhile.
class WorkerLink {
 public:
  virtual ~WorkerLink() = default;
  // Queues a message for the worker; writes nothing and never blocks. By
  // value, so a caller done with its message moves it in.
  virtual void Send(gridbench::v1::CoordinatorMessage message) = 0;
  // Queues the end of the session with `status`, after the queued messages.
  virtual void Close(absl::Status status) = 0;
  // Starts writing what is queued, unless a write is in flight (its
  // completion writes the rest). Any thread may call it, at any time, with
  // no scheduler lock held; after the session has ended it does nothing.
  virtual void Flush() = 0;
};

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_WORKER_LINK_H_
