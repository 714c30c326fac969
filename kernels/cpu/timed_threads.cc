#include "kernels/cpu/timed_threads.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cmath>
#include <thread>

namespace gridbench::kernels {
namespace {

// Runs shorter than this are too close to clock and start-up noise to scale
// from.
constexpr double kCalibrationSeconds = 0.01;

bool PinCurrentThread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

}  // namespace

std::vector<int> AllowedCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) {
    cpus.push_back(sched_getcpu());  // no mask readable: the CPU we are on is usable
    return cpus;
  }
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

TimedThreadsRun RunOnThreads(int threads, int64_t iterations, const ThreadBody& body) {
  using Clock = std::chrono::steady_clock;
  const std::vector<int> cpus = AllowedCpus();
  std::atomic<bool> all_pinned{true};
  // Each thread reads the clock itself around its work: a clock read by
  // another thread after the barrier can be late (that thread preempted on a
  // busy machine while the work already runs), which made short runs look
  // impossibly fast.
  std::vector<Clock::time_point> starts(threads), ends(threads);
  std::barrier ready(threads);
  std::vector<std::thread> workers;
  workers.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      if (!PinCurrentThread(cpus[t])) all_pinned = false;
      ready.arrive_and_wait();
      starts[t] = Clock::now();
      body(t, iterations);
      ends[t] = Clock::now();
    });
  }
  for (std::thread& w : workers) w.join();
  const Clock::time_point start = *std::min_element(starts.begin(), starts.end());
  const Clock::time_point end = *std::max_element(ends.begin(), ends.end());
  return {std::chrono::duration<double>(end - start).count(), iterations, all_pinned.load()};
}

TimedThreadsRun RunForDuration(int threads, double target_seconds, const ThreadBody& body) {
  int64_t iterations = 1;
  TimedThreadsRun run = RunOnThreads(threads, iterations, body);
  while (run.seconds < std::min(kCalibrationSeconds, target_seconds)) {
    iterations *= 2;
    run = RunOnThreads(threads, iterations, body);
  }
  const double scale = target_seconds / std::max(run.seconds, 1e-9);
  const int64_t target_iterations =
      std::max<int64_t>(1, static_cast<int64_t>(std::llround(iterations * scale)));
  return RunOnThreads(threads, target_iterations, body);
}

}  // namespace gridbench::kernels
