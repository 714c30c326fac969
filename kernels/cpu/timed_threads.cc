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
  const std::vector<int> cpus = AllowedCpus();
  std::atomic<bool> all_pinned{true};
  // Phase 1: everyone ready, clock starts. Phase 2: everyone done.
  std::barrier sync(threads + 1);
  std::vector<std::thread> workers;
  workers.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      if (!PinCurrentThread(cpus[t])) all_pinned = false;
      sync.arrive_and_wait();
      body(t, iterations);
      sync.arrive_and_wait();
    });
  }
  sync.arrive_and_wait();
  const auto start = std::chrono::steady_clock::now();
  sync.arrive_and_wait();
  const auto end = std::chrono::steady_clock::now();
  for (std::thread& w : workers) w.join();
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
