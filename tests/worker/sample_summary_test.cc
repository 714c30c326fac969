#include "common/sample_summary.h"

#include <gtest/gtest.h>

#include <vector>

namespace gridbench {
namespace {

TEST(SampleSummaryTest, KnownValues) {
  // Out of order on purpose: the summary must sort.
  const std::vector<double> samples = {4, 1, 3, 2, 5, 10, 9, 8, 7, 6};
  const gridbench::v1::Summary s = SummarizeSamples(samples);
  EXPECT_EQ(s.count(), 10u);
  EXPECT_DOUBLE_EQ(s.median(), 5.5);
  EXPECT_DOUBLE_EQ(s.mean(), 5.5);
  EXPECT_NEAR(s.stddev(), 3.0276503540974917, 1e-12);  // Sample stddev of 1..10.
  EXPECT_DOUBLE_EQ(s.min(), 1);
  EXPECT_DOUBLE_EQ(s.max(), 10);
  EXPECT_DOUBLE_EQ(s.p90(), 9.1);   // Position 0.9 * 9 = 8.1 -> 9 + 0.1.
  EXPECT_DOUBLE_EQ(s.p99(), 9.91);  // Position 8.91.
}

TEST(SampleSummaryTest, SingleAndEmpty) {
  const std::vector<double> one = {0.25};
  const gridbench::v1::Summary s = SummarizeSamples(one);
  EXPECT_EQ(s.count(), 1u);
  EXPECT_DOUBLE_EQ(s.median(), 0.25);
  EXPECT_DOUBLE_EQ(s.p99(), 0.25);
  EXPECT_DOUBLE_EQ(s.stddev(), 0);
  EXPECT_EQ(SummarizeSamples({}).count(), 0u);
}

}  // namespace
}  // namespace gridbench
