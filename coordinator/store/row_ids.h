// Ids of the coordinator's rows: a prefix naming the kind ("t-" task, "a-"
// attempt, "j-" job, "l-" lease, "w-" worker) and hex digits.
//
// Tasks and attempts are written at the rate of results, and their ids are
// keys of several indexes (tasks, attempts, results). Random ids put each new
// index entry on another B-tree page, so a group commit writes about one page
// per id; ids in creation order keep new entries beside each other.
// bench/coordinator/writer_sql_bench measures the store writer's CPU per
// result both ways, side by side.
#ifndef GRIDBENCH_COORDINATOR_STORE_ROW_IDS_H_
#define GRIDBENCH_COORDINATOR_STORE_ROW_IDS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace gridbench::coordinator {

// `prefix` + 16 random hex digits (64 bits).
std::string RandomRowId(absl::string_view prefix);

// `prefix` + the time in milliseconds (12 hex digits) + a sequence number (4
// hex digits) + 12 random hex digits: in creation order, also within one
// millisecond, and unique across restarts and clock steps by the random
// digits.
std::string TimeOrderedRowId(absl::string_view prefix, int64_t now_unix_nanos);

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_STORE_ROW_IDS_H_
