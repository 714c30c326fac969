#include "coordinator/retry_backoff.h"

#include <algorithm>
#include <cmath>

namespace gridbench::coordinator {

double BackoffSeconds(const gridbench::v1::RetryPolicy& policy, uint32_t failed_attempts,
                      double uniform01) {
  if (failed_attempts == 0) return 0;
  const double multiplier = std::max(1.0, policy.multiplier());
  const double cap = std::max(policy.initial_backoff_seconds(), policy.max_backoff_seconds());
  const double base = std::min(
      cap, policy.initial_backoff_seconds() * std::pow(multiplier, failed_attempts - 1.0));
  return base / 2 + base / 2 * std::clamp(uniform01, 0.0, 1.0);
}

}  // namespace gridbench::coordinator
