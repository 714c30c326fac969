// A job's stored results as the CLI shows them (`results`, `verify`, `demo`):
// decoded payloads, tables/CSV/JSON, and local signature checks.
#ifndef GRIDBENCH_CLI_RESULTS_H_
#define GRIDBENCH_CLI_RESULTS_H_

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/connection.h"
#include "gridbench/v1/gridbench.pb.h"

namespace gridbench::cli {

// A job with its results; the job supplies each task's parameters.
struct JobResults {
  gridbench::v1::Job job;
  std::vector<gridbench::v1::StoredResult> results;
};

// GetJob and GetResults for `job_id`; their errors as they come.
absl::StatusOr<JobResults> FetchJobResults(Connection& conn, const std::string& job_id);

enum class ResultFormat { kTable, kJson, kCsv };

// One row per result: task, worker, kind, shape/params, median seconds,
// GFLOP/s, threads, OpenBLAS core name and whether its signature verifies.
// A payload that does not decode shows as kind "undecodable".
// Requires InitCrypto() (common/crypto.h).
void PrintResults(const JobResults& results, ResultFormat format, std::ostream& out);

struct VerifyReport {
  int checked = 0;
  int failed = 0;
};

// Checks every result's Ed25519 signature over its canonical bytes against
// the worker public key stored with it, and that its key id names that key.
// Prints one line per failure to `out`. Requires InitCrypto().
VerifyReport VerifyResults(const JobResults& results, std::ostream& out);

}  // namespace gridbench::cli

#endif  // GRIDBENCH_CLI_RESULTS_H_
