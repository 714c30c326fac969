#include "coordinator/job_watch.h"

#include "common/grpc_status.h"

namespace gridbench::coordinator {
JobWatch::JobWatch(TaskScheduler* scheduler, const std::string& job_id) : scheduler_(scheduler) {
  absl::StatusOr<int64_t> id =
      scheduler_->Watch(job_id, [this](const gridbench::v1::TaskEvent& e) { Push(e); });
  // Asked before taking mu_: the scheduler calls Push with its own lock held.
  const bool final_already = id.ok() && scheduler_->JobIsFinal(job_id);
  StdMutexLock lock(mu_);
  if (!id.ok()) {
    finished_ = true;
    Finish(ToGrpcStatus(id.status()));
    return;
  }
  watch_id_ = *id;
  if (final_already) job_final_ = true;
  if (!writing_) WriteNextLocked();
}

void JobWatch::Push(const gridbench::v1::TaskEvent& event) {
  StdMutexLock lock(mu_);
  if (finished_) return;
  queue_.push_back(event);
  if (IsFinalJobState(event.job_state())) job_final_ = true;
  if (!writing_ && watch_id_ != 0) WriteNextLocked();
}

void JobWatch::WriteNextLocked() {
  if (queue_.empty()) {
    if (job_final_ && !finished_) {
      finished_ = true;
      Finish(grpc::Status::OK);
    }
    return;
  }
  writing_ = true;
  StartWrite(&queue_.front());
}

void JobWatch::OnWriteDone(bool ok) {
  StdMutexLock lock(mu_);
  writing_ = false;
  queue_.pop_front();
  if (!ok) {
    queue_.clear();
    if (!finished_) {
      finished_ = true;
      Finish(grpc::Status::CANCELLED);
    }
    return;
  }
  WriteNextLocked();
}

void JobWatch::OnCancel() {
  StdMutexLock lock(mu_);
  if (!finished_ && !writing_) {
    finished_ = true;
    Finish(grpc::Status::CANCELLED);
  }
}

void JobWatch::OnDone() {
  if (watch_id_ != 0) scheduler_->Unwatch(watch_id_);
  delete this;
}

}  // namespace gridbench::coordinator
