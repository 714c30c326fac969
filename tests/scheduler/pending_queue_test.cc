#include "coordinator/pending_queue.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace gridbench::coordinator {
namespace {

std::vector<std::string> DrainAll(PendingQueue& queue) {
  std::vector<std::string> order;
  while (auto id = queue.TakeFirst([](const std::string&) { return true; })) order.push_back(*id);
  return order;
}

TEST(PendingQueueTest, HigherPriorityFirstThenFifo) {
  PendingQueue queue;
  queue.Add({0, "alice", 1, "low-1"});
  queue.Add({5, "alice", 2, "high-1"});
  queue.Add({0, "alice", 3, "low-2"});
  queue.Add({5, "alice", 4, "high-2"});
  EXPECT_EQ(DrainAll(queue), (std::vector<std::string>{"high-1", "high-2", "low-1", "low-2"}));
}

TEST(PendingQueueTest, SubmittersTakeTurnsWithinAPriority) {
  PendingQueue queue;
  for (int i = 0; i < 3; ++i) queue.Add({0, "alice", i, "a" + std::to_string(i)});
  queue.Add({0, "bob", 10, "b0"});
  const std::vector<std::string> order = DrainAll(queue);
  // Bob's single task is not stuck behind all of Alice's.
  EXPECT_EQ(order[0], "a0");
  EXPECT_EQ(order[1], "b0");
  EXPECT_EQ(order.size(), 4u);
}

TEST(PendingQueueTest, SkipsUnacceptableTasksAndKeepsThem) {
  PendingQueue queue;
  queue.Add({0, "alice", 1, "gpu-task"});
  queue.Add({0, "alice", 2, "cpu-task"});
  auto taken = queue.TakeFirst([](const std::string& id) { return id == "cpu-task"; });
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(*taken, "cpu-task");
  EXPECT_TRUE(queue.Contains("gpu-task"));
  EXPECT_FALSE(queue.TakeFirst([](const std::string&) { return false; }).has_value());
  queue.Remove("gpu-task");
  EXPECT_EQ(queue.size(), 0u);
}

}  // namespace
}  // namespace gridbench::coordinator
