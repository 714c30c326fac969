// The order in which waiting tasks are offered to an idle worker: higher
// priority first; within a priority, submitters take turns (so one team's
// thousand-task sweep does not starve another's single task); within a
// submitter, first in first out.
#ifndef GRIDBENCH_COORDINATOR_PENDING_QUEUE_H_
#define GRIDBENCH_COORDINATOR_PENDING_QUEUE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace gridbench::coordinator {

struct PendingKey {
  int32_t priority = 0;
  std::string submitter;
  int64_t seq = 0;  // Submission order.
  std::string task_id;
};

// Not thread-safe: TaskScheduler guards it with its own mutex.
class PendingQueue {
 public:
  // Adding a task already present is a no-op.
  void Add(const PendingKey& key);
  void Remove(const std::string& task_id);
  bool Contains(const std::string& task_id) const { return keys_.contains(task_id); }
  size_t size() const { return keys_.size(); }

  // Offers tasks in dispatch order to `acceptable` until it returns true;
  // that task is removed and returned, and its submitter's turn is used.
  std::optional<std::string> TakeFirst(const std::function<bool(const std::string&)>& acceptable);

 private:
  using Fifo = std::set<std::pair<int64_t, std::string>>;
  struct Level {
    std::map<std::string, Fifo> by_submitter;
    std::string last_served;
  };
  std::map<int32_t, Level, std::greater<>> levels_;
  // Hashed: looked up for every task assigned or finished, never walked.
  absl::flat_hash_map<std::string, PendingKey> keys_;
};

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_PENDING_QUEUE_H_
