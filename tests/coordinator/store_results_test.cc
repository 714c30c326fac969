// Results: stored once per attempt, exact signed bytes kept, summary decoded.
#include <memory>
#include <string>
#include <vector>

#include "coordinator/store/column_encoding.h"
#include "coordinator/store/coordinator_store.h"
#include "coordinator/store/sqlite_db.h"
#include "gtest/gtest.h"
#include "tests/coordinator/store_testing.h"

namespace gridbench::coordinator {
namespace {

using testing::DoneLog;
using testing::MakeResult;
using testing::ScratchDir;
using testing::SeedAttempt;

class StoreResultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = CoordinatorStore::Open(dir_.File("g.db"));
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    SeedAttempt(*store_, "w1", "j1", "t1", "a1");
    ASSERT_TRUE(store_->Flush().ok());
  }

  ScratchDir dir_;
  std::unique_ptr<CoordinatorStore> store_;
};

TEST_F(StoreResultsTest, SecondResultForAnAttemptIsAlreadyExists) {
  DoneLog log;
  store_->InsertResult(MakeResult("j1", "t1", "a1", "w1"), log.Callback(1));
  store_->InsertResult(MakeResult("j1", "t1", "a1", "w1"), log.Callback(2));
  ASSERT_TRUE(store_->Flush().ok());
  const auto entries = log.entries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_TRUE(entries[0].second.ok()) << entries[0].second;
  EXPECT_EQ(entries[1].second.code(), absl::StatusCode::kAlreadyExists) << entries[1].second;
  EXPECT_NE(entries[1].second.message().find("a1"), absl::string_view::npos);
  auto count = store_->CountResultsForTask("t1");
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(*count, 1);
}

TEST_F(StoreResultsTest, GetResultsCarriesExactBytesAndTheWorkersKey) {
  // A second attempt of the same task on a second worker.
  store_->UpsertWorker(testing::MakeWorker("w2"));
  store_->UpsertAttempt("t1", testing::MakeAttempt("a2", "w2", 20));
  const auto first = MakeResult("j1", "t1", "a1", "w1");
  const auto second = MakeResult("j1", "t1", "a2", "w2");
  store_->InsertResult(first);
  store_->InsertResult(second);
  ASSERT_TRUE(store_->Flush().ok());

  auto results = store_->GetResults("j1");
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 2u);
  const auto& got = (*results)[0];
  EXPECT_EQ(got.signed_().payload(), first.signed_().payload());
  EXPECT_EQ(got.signed_().signature(), first.signed_().signature());
  EXPECT_EQ(got.signed_().sequence(), 5u);
  EXPECT_EQ(got.signed_().lease_id(), "lease-a1");
  EXPECT_EQ(got.signed_().key_id(), "kid-w1");
  EXPECT_EQ(got.job_id(), "j1");
  EXPECT_EQ(got.task_name(), "task t1");
  EXPECT_EQ(got.worker_name(), "name-w1");
  EXPECT_EQ(got.worker_public_key(), testing::MakeWorker("w1").public_key());
  EXPECT_EQ(got.stored_unix_nanos(), 777);
  EXPECT_EQ((*results)[1].signed_().attempt_id(), "a2");
  EXPECT_EQ((*results)[1].worker_name(), "name-w2");

  auto other = store_->GetResults("other-job");
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_TRUE(other->empty());
}

TEST_F(StoreResultsTest, SummaryAndSamplesAreDecodedIntoColumns) {
  auto result = MakeResult("j1", "t1", "a1", "w1");
  result.set_stored_unix_nanos(0);  // The store fills in the time.
  store_->InsertResult(result);
  ASSERT_TRUE(store_->Flush().ok());

  auto db = SqliteDb::Open(dir_.File("g.db"), SqliteDb::Mode::kReadOnly);
  ASSERT_TRUE(db.ok()) << db.status();
  auto stmt =
      (*db)->Prepare("test", "SELECT kind, median, p99, count, samples, stored FROM results");
  ASSERT_TRUE(stmt.ok()) << stmt.status();
  ASSERT_TRUE(*stmt->Step());
  EXPECT_EQ(stmt->ColumnText(0), "gemm");
  EXPECT_EQ(stmt->ColumnDouble(1), 0.5);
  EXPECT_EQ(stmt->ColumnDouble(2), 0.99);
  EXPECT_EQ(stmt->ColumnInt(3), 3);
  auto samples = DecodeSamples(stmt->ColumnBlob(4));
  ASSERT_TRUE(samples.ok()) << samples.status();
  EXPECT_EQ(*samples, (std::vector<double>{0.5, 0.25, 1.0}));
  EXPECT_GT(stmt->ColumnInt(5), 0);
}

TEST_F(StoreResultsTest, UnparseablePayloadIsInvalidArgument) {
  auto result = MakeResult("j1", "t1", "a1", "w1");
  result.mutable_signed_()->set_payload("\xff\xff\xff not a proto");
  DoneLog log;
  store_->InsertResult(result, log.Callback(1));
  ASSERT_TRUE(store_->Flush().ok());
  ASSERT_EQ(log.entries().size(), 1u);
  EXPECT_EQ(log.entries()[0].second.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*store_->CountResultsForTask("t1"), 0);
}

TEST(SampleEncodingTest, RejectsTruncatedBlobs) {
  EXPECT_EQ(DecodeSamples("1234567").status().code(), absl::StatusCode::kDataLoss);
  auto empty = DecodeSamples("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace gridbench::coordinator
