// Runs a kernel on N pinned std::threads and times it; the harness shared by
// the peak probes (peak_probe.cc). Internal to kernels/cpu.
#ifndef GRIDBENCH_KERNELS_CPU_TIMED_THREADS_H_
#define GRIDBENCH_KERNELS_CPU_TIMED_THREADS_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"

namespace gridbench::kernels {

// The CPUs of this process's affinity mask, in increasing order.
std::vector<int> AllowedCpus();

// Work done by thread `thread` (0-based) for `iterations` rounds.
using ThreadBody = std::function<void(int thread, int64_t iterations)>;

struct TimedThreadsRun {
  double seconds = 0;      // from all threads starting to the last finishing
  int64_t iterations = 0;  // rounds each thread ran in the timed run
  bool pinned = false;     // every thread was pinned to its own CPU
};

// Runs body(t, iterations) on `threads` threads (thread t pinned to the t-th
// allowed CPU) and times it. Thread start-up is excluded: threads wait at a
// barrier before the clock starts. `threads` must be in 1..AllowedCpus().size().
TimedThreadsRun RunOnThreads(int threads, int64_t iterations, const ThreadBody& body);

// Doubles the iteration count from 1 until a run takes a measurable time,
// then runs the count that should take `target_seconds`, and returns that
// last, timed run. body's results from the last call are the ones to check.
TimedThreadsRun RunForDuration(int threads, double target_seconds, const ThreadBody& body);

}  // namespace gridbench::kernels

#endif  // GRIDBENCH_KERNELS_CPU_TIMED_THREADS_H_
