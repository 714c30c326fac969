#include "coordinator/retry_backoff.h"

#include "gtest/gtest.h"

namespace gridbench::coordinator {
namespace {

gridbench::v1::RetryPolicy Policy() {
  gridbench::v1::RetryPolicy p;
  p.set_max_attempts(5);
  p.set_initial_backoff_seconds(1);
  p.set_max_backoff_seconds(10);
  p.set_multiplier(2);
  return p;
}

TEST(RetryBackoffTest, GrowsExponentiallyWithinJitterBounds) {
  EXPECT_DOUBLE_EQ(BackoffSeconds(Policy(), 1, 0.0), 0.5);
  EXPECT_DOUBLE_EQ(BackoffSeconds(Policy(), 1, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(BackoffSeconds(Policy(), 2, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(BackoffSeconds(Policy(), 3, 1.0), 4.0);
}

TEST(RetryBackoffTest, CappedAtMax) {
  EXPECT_DOUBLE_EQ(BackoffSeconds(Policy(), 20, 1.0), 10.0);
  EXPECT_DOUBLE_EQ(BackoffSeconds(Policy(), 20, 0.0), 5.0);
}

TEST(RetryBackoffTest, NoFailureNoWait) { EXPECT_EQ(BackoffSeconds(Policy(), 0, 0.7), 0.0); }

}  // namespace
}  // namespace gridbench::coordinator
