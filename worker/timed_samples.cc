#include "worker/timed_samples.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace gridbench::worker {
namespace {

using Clock = std::chrono::steady_clock;

// Progress is reported at most this often, so a run of many tiny
// repetitions does not flood the pipe.
constexpr auto kProgressInterval = std::chrono::milliseconds(200);

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Fraction of the run done: both the repetition count and the minimum time
// must be reached, so progress is the lesser of the two.
double Fraction(const TimingParams& t, size_t done, double elapsed) {
  double f = static_cast<double>(done) / t.repetitions;
  if (t.min_time_seconds > 0) f = std::min(f, elapsed / t.min_time_seconds);
  return std::min(f, 1.0);
}

}  // namespace

absl::StatusOr<std::vector<double>> TimeRepetitions(
    const TimingParams& timing, ProgressReporter& progress,
    absl::FunctionRef<absl::StatusOr<double>()> run_once) {
  progress.Report(0, "warming up");
  for (int i = 0; i < timing.warmup; ++i) GB_RETURN_IF_ERROR(run_once().status());
  std::vector<double> samples;
  const Clock::time_point begin = Clock::now();
  Clock::time_point last_report = begin;
  while (samples.size() < static_cast<size_t>(timing.repetitions) ||
         Seconds(Clock::now() - begin) < timing.min_time_seconds) {
    GB_ASSIGN_OR_RETURN(const double seconds, run_once());
    samples.push_back(seconds);
    const Clock::time_point now = Clock::now();
    if (now - last_report >= kProgressInterval) {
      last_report = now;
      progress.Report(Fraction(timing, samples.size(), Seconds(now - begin)),
                      absl::StrCat(samples.size(), " repetitions"));
    }
  }
  progress.Report(1, absl::StrCat(samples.size(), " repetitions done"));
  return samples;
}

absl::StatusOr<std::vector<double>> TimeHostRepetitions(
    const TimingParams& timing, ProgressReporter& progress,
    absl::FunctionRef<absl::Status()> run_once) {
  return TimeRepetitions(timing, progress, [&]() -> absl::StatusOr<double> {
    const Clock::time_point t0 = Clock::now();
    GB_RETURN_IF_ERROR(run_once());
    return Seconds(Clock::now() - t0);
  });
}

}  // namespace gridbench::worker
