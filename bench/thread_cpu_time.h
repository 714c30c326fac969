// CPU seconds the calling thread has used, for benchmarks that time one
// stage of work on its own thread (the clock counts neither other threads
// nor time spent waiting).
#ifndef GRIDBENCH_BENCH_THREAD_CPU_TIME_H_
#define GRIDBENCH_BENCH_THREAD_CPU_TIME_H_

#include <time.h>

namespace gridbench::bench {

inline double CallingThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace gridbench::bench

#endif  // GRIDBENCH_BENCH_THREAD_CPU_TIME_H_
