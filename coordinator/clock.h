// Time as the coordinator sees it, injected so tests control it.
#ifndef GRIDBENCH_COORDINATOR_CLOCK_H_
#define GRIDBENCH_COORDINATOR_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "absl/time/clock.h"

namespace gridbench::coordinator {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowNanos() = 0;
};

// The wall clock. Thread-safe.
class RealClock final : public Clock {
 public:
  int64_t NowNanos() override { return absl::GetCurrentTimeNanos(); }
};

// A clock that moves only when told to. Thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_nanos = 1'700'000'000'000'000'000) : now_(start_nanos) {}
  int64_t NowNanos() override { return now_.load(); }
  void Advance(double seconds) { now_ += static_cast<int64_t>(seconds * 1e9); }

 private:
  std::atomic<int64_t> now_;
};

inline int64_t SecondsToNanos(double seconds) { return static_cast<int64_t>(seconds * 1e9); }

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_CLOCK_H_
