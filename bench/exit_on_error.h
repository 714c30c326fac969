// How the benchmarks stop on a setup error or a bad argument: the program's
// name and the message on stderr, exit status 2. A benchmark that cannot
// set up has no number to report, so it stops rather than print one.
#ifndef GRIDBENCH_BENCH_EXIT_ON_ERROR_H_
#define GRIDBENCH_BENCH_EXIT_ON_ERROR_H_

#include <errno.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"

namespace gridbench::bench {

[[noreturn]] inline void Die(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, message.c_str());
  std::exit(2);
}

inline void DieUnlessOk(const absl::Status& status, const std::string& what) {
  if (!status.ok()) Die(what + ": " + status.ToString());
}

}  // namespace gridbench::bench

#endif  // GRIDBENCH_BENCH_EXIT_ON_ERROR_H_
