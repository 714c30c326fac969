#include "coordinator/link_flusher.h"

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace gridbench::coordinator {
namespace {

// Counts its flushes and remembers whether any ran on `caller`.
class CountingLink : public WorkerLink {
 public:
  explicit CountingLink(std::thread::id caller) : caller_(caller) {}
  void Send(gridbench::v1::CoordinatorMessage) override {}
  void Close(absl::Status) override {}
  void Flush() override {
    ++flushes;
    if (std::this_thread::get_id() == caller_) flushed_by_caller = true;
  }
  std::atomic<int> flushes{0};
  std::atomic<bool> flushed_by_caller{false};

 private:
  const std::thread::id caller_;
};

// A link whose Flush waits until the test releases it, as a write to a slow
// connection would.
class BlockingLink : public WorkerLink {
 public:
  void Send(gridbench::v1::CoordinatorMessage) override {}
  void Close(absl::Status) override {}
  void Flush() override {
    entered.set_value();
    release.get_future().wait();
  }
  std::promise<void> entered;
  std::promise<void> release;
};

TEST(LinkFlusherTest, EveryLinkHandedOverIsFlushedOnceOffTheCallersThread) {
  std::vector<std::shared_ptr<CountingLink>> links;
  for (int i = 0; i < 500; ++i) {
    links.push_back(std::make_shared<CountingLink>(std::this_thread::get_id()));
  }
  {
    LinkFlusher flusher(2);
    for (size_t start = 0; start < links.size(); start += 7) {
      std::vector<std::shared_ptr<WorkerLink>> batch(
          links.begin() + start, links.begin() + std::min(start + 7, links.size()));
      flusher.Flush(std::move(batch));
    }
  }  // The destructor flushes whatever is still queued.
  for (size_t i = 0; i < links.size(); ++i) {
    EXPECT_EQ(links[i]->flushes, 1) << "link " << i;
    EXPECT_FALSE(links[i]->flushed_by_caller) << "link " << i;
  }
}

TEST(LinkFlusherTest, HandingOverDoesNotWaitForASlowWrite) {
  auto slow = std::make_shared<BlockingLink>();
  auto other = std::make_shared<CountingLink>(std::this_thread::get_id());
  LinkFlusher flusher(2);
  flusher.Flush({slow});
  ASSERT_EQ(slow->entered.get_future().wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  // One thread is stuck in the slow write; the other still flushes.
  flusher.Flush({other});
  for (int i = 0; i < 1000 && other->flushes == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(other->flushes, 1);
  slow->release.set_value();
}

}  // namespace
}  // namespace gridbench::coordinator
