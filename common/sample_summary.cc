#include "common/sample_summary.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace gridbench {
namespace {

// `sorted` must be non-empty and ascending; q in [0, 1].
double Quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

}  // namespace

gridbench::v1::Summary SummarizeSamples(std::span<const double> samples) {
  gridbench::v1::Summary s;
  if (samples.empty()) return s;
  std::vector<double> sorted(samples.begin(), samples.end());
  std::sort(sorted.begin(), sorted.end());
  const double n = static_cast<double>(sorted.size());
  double sum = 0;
  for (double x : sorted) sum += x;
  const double mean = sum / n;
  double sq = 0;
  for (double x : sorted) sq += (x - mean) * (x - mean);
  s.set_count(static_cast<uint32_t>(sorted.size()));
  s.set_median(Quantile(sorted, 0.5));
  s.set_mean(mean);
  s.set_stddev(sorted.size() > 1 ? std::sqrt(sq / (n - 1)) : 0.0);
  s.set_min(sorted.front());
  s.set_max(sorted.back());
  s.set_p90(Quantile(sorted, 0.9));
  s.set_p99(Quantile(sorted, 0.99));
  return s;
}

}  // namespace gridbench
