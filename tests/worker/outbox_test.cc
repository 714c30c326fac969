#include "worker/outbox.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace gridbench::worker {
namespace {

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/outbox_test_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
           std::to_string(getpid());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

gridbench::v1::SignedResult Result(uint64_t sequence, std::string attempt) {
  gridbench::v1::SignedResult r;
  r.set_sequence(sequence);
  r.set_attempt_id(std::move(attempt));
  r.set_payload("payload bytes");
  return r;
}

TEST_F(OutboxTest, SurvivesRestartAndNeverReusesSequences) {
  {
    absl::StatusOr<std::unique_ptr<Outbox>> box = Outbox::Open(dir_);
    ASSERT_TRUE(box.ok()) << box.status();
    for (uint64_t want = 1; want <= 3; ++want) {
      absl::StatusOr<uint64_t> seq = (*box)->NextSequence();
      ASSERT_TRUE(seq.ok()) << seq.status();
      EXPECT_EQ(*seq, want);
      ASSERT_TRUE((*box)->Put(Result(*seq, "attempt-" + std::to_string(*seq))).ok());
    }
    ASSERT_TRUE((*box)->Remove(2).ok());
    EXPECT_EQ((*box)->Size(), 2u);
  }
  // A "restart": a new object over the same directory.
  absl::StatusOr<std::unique_ptr<Outbox>> box = Outbox::Open(dir_);
  ASSERT_TRUE(box.ok()) << box.status();
  absl::StatusOr<std::vector<gridbench::v1::SignedResult>> stored = (*box)->List();
  ASSERT_TRUE(stored.ok()) << stored.status();
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[0].sequence(), 1u);
  EXPECT_EQ((*stored)[0].attempt_id(), "attempt-1");
  EXPECT_EQ((*stored)[0].payload(), "payload bytes");
  EXPECT_EQ((*stored)[1].sequence(), 3u);
  EXPECT_EQ((*box)->Size(), 2u);
  absl::StatusOr<uint64_t> next = (*box)->NextSequence();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, 4u);  // Not 3 again, though 3 is the last stored.
}

TEST_F(OutboxTest, SequenceAdvancesEvenWhenNothingIsStored) {
  {
    auto box = Outbox::Open(dir_);
    ASSERT_TRUE(box.ok());
    ASSERT_TRUE((*box)->NextSequence().ok());
    ASSERT_TRUE((*box)->NextSequence().ok());
  }
  auto box = Outbox::Open(dir_);
  ASSERT_TRUE(box.ok());
  EXPECT_EQ(*(*box)->NextSequence(), 3u);
}

TEST_F(OutboxTest, RemovingAnUnknownSequenceIsNotAnError) {
  auto box = Outbox::Open(dir_);
  ASSERT_TRUE(box.ok());
  EXPECT_TRUE((*box)->Remove(42).ok());
}

TEST_F(OutboxTest, CorruptFilesAreReportedNotIgnored) {
  ASSERT_TRUE(Outbox::Open(dir_).ok());
  std::ofstream(dir_ + "/sequence") << "seven";
  absl::StatusOr<std::unique_ptr<Outbox>> box = Outbox::Open(dir_);
  EXPECT_TRUE(absl::IsDataLoss(box.status())) << box.status();
  EXPECT_NE(box.status().message().find("sequence"), std::string::npos);

  std::ofstream(dir_ + "/sequence") << "1\n";
  std::ofstream(dir_ + "/outbox/1.result") << "\xff\xff not a protobuf";
  box = Outbox::Open(dir_);
  EXPECT_TRUE(absl::IsDataLoss(box.status())) << box.status();
  EXPECT_NE(box.status().message().find("1.result"), std::string::npos);
}

TEST_F(OutboxTest, IgnoresHalfWrittenTempFiles) {
  ASSERT_TRUE(Outbox::Open(dir_).ok());
  std::ofstream(dir_ + "/outbox/5.result.tmp") << "partial";
  auto box = Outbox::Open(dir_);
  ASSERT_TRUE(box.ok()) << box.status();
  EXPECT_EQ((*box)->Size(), 0u);
}

}  // namespace
}  // namespace gridbench::worker
