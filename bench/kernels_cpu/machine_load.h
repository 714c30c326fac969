// A warning for benchmark programs run while other work competes for the
// CPUs: their figures then measure the contention, not the kernels.
#ifndef GRIDBENCH_BENCH_KERNELS_CPU_MACHINE_LOAD_H_
#define GRIDBENCH_BENCH_KERNELS_CPU_MACHINE_LOAD_H_

#include <cstdio>
#include <cstdlib>

#include "kernels/cpu/peak_probe.h"

namespace gridbench::kernels {

// Prints a warning to stderr when the 1-minute load average exceeds half the
// CPUs this process may use (the benchmark itself has not started yet, so
// that load is someone else's).
inline void WarnIfMachineBusy(const char* program) {
  double load = 0;
  if (getloadavg(&load, 1) != 1) return;  // unknown load: nothing to warn about
  const int cpus = ProbeCpuCount();
  if (load > 0.5 * cpus) {
    std::fprintf(stderr,
                 "%s: warning: 1-minute load average is %.1f on %d CPUs; other work competes "
                 "with this benchmark and its figures will be low and noisy\n",
                 program, load, cpus);
  }
}

}  // namespace gridbench::kernels

#endif  // GRIDBENCH_BENCH_KERNELS_CPU_MACHINE_LOAD_H_
