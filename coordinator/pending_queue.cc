#include "coordinator/pending_queue.h"

namespace gridbench::coordinator {

void PendingQueue::Add(const PendingKey& key) {
  if (!keys_.emplace(key.task_id, key).second) return;
  levels_[key.priority].by_submitter[key.submitter].emplace(key.seq, key.task_id);
}

void PendingQueue::Remove(const std::string& task_id) {
  auto it = keys_.find(task_id);
  if (it == keys_.end()) return;
  const PendingKey& key = it->second;
  auto level = levels_.find(key.priority);
  auto fifo = level->second.by_submitter.find(key.submitter);
  fifo->second.erase({key.seq, key.task_id});
  if (fifo->second.empty()) level->second.by_submitter.erase(fifo);
  if (level->second.by_submitter.empty()) levels_.erase(level);
  keys_.erase(it);
}

std::optional<std::string> PendingQueue::TakeFirst(
    const std::function<bool(const std::string&)>& acceptable) {
  for (auto& [priority, level] : levels_) {
    auto& queues = level.by_submitter;
    // Start with the submitter after the one served last, wrapping around.
    auto start = queues.upper_bound(level.last_served);
    if (start == queues.end()) start = queues.begin();
    auto it = start;
    do {
      for (const auto& [seq, task_id] : it->second) {
        if (!acceptable(task_id)) continue;
        level.last_served = it->first;
        std::string taken = task_id;
        Remove(taken);
        return taken;
      }
      if (++it == queues.end()) it = queues.begin();
    } while (it != start);
  }
  return std::nullopt;
}

}  // namespace gridbench::coordinator
