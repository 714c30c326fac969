// How long a failed task waits before its next attempt.
#ifndef GRIDBENCH_COORDINATOR_RETRY_BACKOFF_H_
#define GRIDBENCH_COORDINATOR_RETRY_BACKOFF_H_

#include <cstdint>

#include "gridbench/v1/common.pb.h"

namespace gridbench::coordinator {

// Exponential backoff with "equal jitter": after the n-th failed attempt
// (n >= 1) the base is initial * multiplier^(n-1), capped at max; the wait is
// half the base plus a uniformly random part of the other half, so retries
// of many tasks spread out but never come sooner than half the base.
// `uniform01` is a random number in [0, 1), injected so tests fix it.
double BackoffSeconds(const gridbench::v1::RetryPolicy& policy, uint32_t failed_attempts,
                      double uniform01);

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_RETRY_BACKOFF_H_
