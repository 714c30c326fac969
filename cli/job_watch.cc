#include "cli/job_watch.h"

#include <map>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/format.h"
#include "common/status_macros.h"

namespace gridbench::cli {
namespace {

using gridbench::v1::JobState;
using gridbench::v1::TaskEvent;

bool IsFinalTaskState(gridbench::v1::TaskState state) {
  return state == gridbench::v1::TASK_STATE_SUCCEEDED ||
         state == gridbench::v1::TASK_STATE_FAILED || state == gridbench::v1::TASK_STATE_CANCELLED;
}

// The latest event of each task, in the order tasks first appeared.
class TaskBoard {
 public:
  // `job`'s tasks must all reach a final state before AllFinal() holds.
  explicit TaskBoard(const gridbench::v1::Job& job) {
    for (const auto& task : job.tasks()) unfinished_.insert(task.task_id());
  }

  // True once every task of the job, and every task seen since, is final.
  bool AllFinal() const { return unfinished_.empty(); }

  // Records `event`; true when the task's state changed (or it is new).
  bool Update(const TaskEvent& event) {
    if (IsFinalTaskState(event.state())) {
      unfinished_.erase(event.task_id());
    } else {
      unfinished_.insert(event.task_id());
    }
    auto [it, inserted] = index_.emplace(event.task_id(), latest_.size());
    if (inserted) {
      latest_.push_back(event);
      return true;
    }
    TaskEvent& previous = latest_[it->second];
    const bool changed = previous.state() != event.state();
    previous = event;
    return changed;
  }

  // Replaces the previously drawn table with the current one.
  void Redraw(std::ostream& out, JobState job_state) {
    // Move the cursor up over the last drawing and clear to the end of screen.
    if (drawn_lines_ > 0) out << "\x1b[" << drawn_lines_ << "A\x1b[J";
    Table table({"TASK", "STATE", "WORKER", "PROGRESS", "MESSAGE"});
    for (const TaskEvent& e : latest_) {
      table.AddRow({e.task_name(), StateName(e.state()),
                    e.worker_id().empty() ? "-" : e.worker_id(),
                    absl::StrCat(static_cast<int>(e.progress() * 100 + 0.5), "%"), e.message()});
    }
    out << "job " << StateName(job_state) << "\n";
    table.Print(out);
    out.flush();
    drawn_lines_ = table.line_count() + 1;
  }

 private:
  std::set<std::string> unfinished_;
  std::map<std::string, size_t> index_;
  std::vector<TaskEvent> latest_;
  size_t drawn_lines_ = 0;
};

void PrintEventLine(std::ostream& out, const TaskEvent& e) {
  out << FormatUnixNanos(e.unix_nanos()) << "  " << e.task_name() << "  " << StateName(e.state());
  if (!e.worker_id().empty()) out << "  worker " << e.worker_id();
  if (!e.message().empty()) out << "  " << e.message();
  out << "\n";
  out.flush();
}

}  // namespace

bool IsFinalJobState(JobState state) {
  return state == gridbench::v1::JOB_STATE_SUCCEEDED || state == gridbench::v1::JOB_STATE_FAILED ||
         state == gridbench::v1::JOB_STATE_CANCELLED;
}

absl::StatusOr<JobState> FollowJob(Connection& conn, const std::string& job_id, std::ostream& out,
                                   bool redraw, absl::Duration limit) {
  gridbench::v1::GetJobRequest get;
  get.set_job_id(job_id);
  GB_ASSIGN_OR_RETURN(gridbench::v1::Job job, conn.Call(&Connection::Stub::GetJob, get));
  grpc::ClientContext context;
  conn.Prepare(context, /*with_deadline=*/false);
  if (limit != absl::InfiniteDuration()) {
    context.set_deadline(absl::ToChronoTime(absl::Now() + limit));
  }
  gridbench::v1::WatchJobRequest request;
  request.set_job_id(job_id);
  auto reader = conn.stub().WatchJob(&context, request);
  TaskBoard board(job);
  TaskEvent event;
  // A job is final once all its tasks are: stop then rather than rely on
  // the server closing the stream promptly.
  while (!board.AllFinal() && reader->Read(&event)) {
    const bool changed = board.Update(event);
    if (redraw) {
      board.Redraw(out, event.job_state());
    } else if (changed) {
      PrintEventLine(out, event);
    }
  }
  const bool all_final = board.AllFinal();
  if (all_final) context.TryCancel();
  const absl::Status finished = FromGrpcStatus(reader->Finish());
  if (!all_final) GB_RETURN_IF_ERROR(finished);
  GB_ASSIGN_OR_RETURN(job, conn.Call(&Connection::Stub::GetJob, get));
  if (!IsFinalJobState(job.state())) {
    return absl::UnavailableError(absl::StrCat("the watch stream of job ", job_id,
                                               " ended while the job is ", StateName(job.state())));
  }
  return job.state();
}

}  // namespace gridbench::cli
