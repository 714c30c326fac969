// JobWatch: the server-streaming reactor behind WatchJob. It subscribes to
// the scheduler's task events for one job, writes them one at a time, and
// finishes once the job has reached a final state and every event is out.
#ifndef GRIDBENCH_COORDINATOR_JOB_WATCH_H_
#define GRIDBENCH_COORDINATOR_JOB_WATCH_H_

#include <deque>
#include <string>

#include "absl/base/thread_annotations.h"
#include "common/annotated_mutex.h"
#include "coordinator/task_scheduler.h"
#include "grpcpp/support/server_callback.h"

namespace gridbench::coordinator {

class JobWatch final : public grpc::ServerWriteReactor<gridbench::v1::TaskEvent> {
 public:
  // Starts watching; finishes at once with NOT_FOUND for an unknown job.
  JobWatch(TaskScheduler* scheduler, const std::string& job_id);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  void Push(const gridbench::v1::TaskEvent& event);
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  TaskScheduler* const scheduler_;
  int64_t watch_id_ = 0;  // Set once in the constructor.

  StdMutex mu_;
  std::deque<gridbench::v1::TaskEvent> queue_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool job_final_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_JOB_WATCH_H_
