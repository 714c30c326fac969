// Following a job live with the WatchJob stream, for `gridbench watch`,
// `submit --wait` and `demo`.
#ifndef GRIDBENCH_CLI_JOB_WATCH_H_
#define GRIDBENCH_CLI_JOB_WATCH_H_

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/connection.h"
#include "gridbench/v1/gridbench.pb.h"

namespace gridbench::cli {

// True for succeeded, failed and cancelled.
bool IsFinalJobState(gridbench::v1::JobState state);

// Streams the job's task events to `out` until the job reaches a final
// state, then returns that state (read back with GetJob). With `redraw`
// (a terminal) it redraws one table of tasks in place; otherwise it prints a
// line each time a task changes state.
// Errors: the stream's status (NOT_FOUND for an unknown job, UNAVAILABLE
// when the coordinator goes away, DEADLINE_EXCEEDED after `limit`), or
// UNAVAILABLE when the stream ends before the job is final.
absl::StatusOr<gridbench::v1::JobState> FollowJob(Connection& conn, const std::string& job_id,
                                                  std::ostream& out, bool redraw,
                                                  absl::Duration limit = absl::InfiniteDuration());

}  // namespace gridbench::cli

#endif  // GRIDBENCH_CLI_JOB_WATCH_H_
