#include "kernels/quant/error_report.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace gridbench::kernels::quant {
namespace {

TEST(ErrorReport, KnownValues) {
  const float original[] = {1, 2, 3, 4};
  const float reconstructed[] = {1, 2, 3, 6};
  const absl::StatusOr<QuantErrorReport> r = CompareTensors("t", original, reconstructed, 4);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->count, 4);
  EXPECT_DOUBLE_EQ(r->rmse, 1.0);                           // sqrt(4 / 4)
  EXPECT_DOUBLE_EQ(r->relative_rmse, std::sqrt(4.0 / 30));  // sum o^2 = 30
  EXPECT_DOUBLE_EQ(r->max_abs_error, 2.0);
  EXPECT_DOUBLE_EQ(r->snr_db, 10 * std::log10(30.0 / 4));
  EXPECT_DOUBLE_EQ(r->cosine_similarity, 38.0 / std::sqrt(30.0 * 50.0));
}

TEST(ErrorReport, IdenticalAndZeroTensors) {
  const float a[] = {0.5f, -1.5f};
  absl::StatusOr<QuantErrorReport> r = CompareTensors("same", a, a, 2);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rmse, 0.0);
  EXPECT_TRUE(std::isinf(r->snr_db));
  EXPECT_DOUBLE_EQ(r->cosine_similarity, 1.0);
  const float zeros[] = {0, 0};
  r = CompareTensors("zeros", zeros, zeros, 2);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->relative_rmse, 0.0);
  EXPECT_EQ(r->cosine_similarity, 1.0);
  r = CompareTensors("from zero", zeros, a, 2);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(std::isinf(r->relative_rmse));
  EXPECT_EQ(r->cosine_similarity, 0.0);
}

TEST(ErrorReport, NonFiniteInputNamesTensorAndIndex) {
  const float good[] = {1, 2, 3};
  const float bad[] = {1, std::numeric_limits<float>::quiet_NaN(), 3};
  const absl::StatusOr<QuantErrorReport> r = CompareTensors("attn_q", good, bad, 3);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("attn_q (reconstructed)"), std::string::npos) << r.status();
  EXPECT_NE(r.status().message().find("index 1"), std::string::npos) << r.status();
  EXPECT_EQ(CompareTensors("empty", good, good, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Pieces merged give the report of the whole, so a model's error can be
// summed over its tensors.
TEST(ErrorReport, AccumulatorMergeEqualsWhole) {
  const float original[6] = {1, -2, 3, 0.5f, -0.25f, 4};
  const float restored[6] = {1.1f, -2, 2.9f, 0.5f, -0.2f, 3.5f};
  QuantErrorAccumulator first, second;
  first.Add(original, restored, 2);
  second.Add(original + 2, restored + 2, 4);
  first.Merge(second);
  const absl::StatusOr<QuantErrorReport> whole = CompareTensors("t", original, restored, 6);
  ASSERT_TRUE(whole.ok()) << whole.status();
  const QuantErrorReport merged = first.Report();
  EXPECT_EQ(merged.count, 6);
  EXPECT_DOUBLE_EQ(merged.rmse, whole->rmse);
  EXPECT_DOUBLE_EQ(merged.max_abs_error, 0.5);
  EXPECT_DOUBLE_EQ(merged.snr_db, whole->snr_db);
  EXPECT_DOUBLE_EQ(merged.cosine_similarity, whole->cosine_similarity);
  EXPECT_EQ(QuantErrorAccumulator().Report().count, 0);
}

}  // namespace
}  // namespace gridbench::kernels::quant
