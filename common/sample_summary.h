// Summary statistics over a list of timed samples, as stored in every result.
#ifndef GRIDBENCH_COMMON_SAMPLE_SUMMARY_H_
#define GRIDBENCH_COMMON_SAMPLE_SUMMARY_H_

#include <span>

#include "gridbench/v1/common.pb.h"

namespace gridbench {

// Count, median, mean, sample standard deviation (n - 1 in the denominator;
// 0 for a single sample), min, max, p90 and p99. Percentiles interpolate
// linearly between the two nearest ranks (the "type 7" definition used by
// NumPy and R), so the median of an even count is the mean of the middle two.
// An empty input gives an all-zero summary. Thread-safe.
gridbench::v1::Summary SummarizeSamples(std::span<const double> samples);

}  // namespace gridbench

#endif  // GRIDBENCH_COMMON_SAMPLE_SUMMARY_H_
