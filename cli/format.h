// Turning coordinator replies into text: aligned tables, CSV fields, state
// names and times. Pure functions; thread-safe.
#ifndef GRIDBENCH_CLI_FORMAT_H_
#define GRIDBENCH_CLI_FORMAT_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "google/protobuf/struct.pb.h"
#include "gridbench/v1/gridbench.pb.h"

namespace gridbench::cli {

// A table printed with each column as wide as its widest cell.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  // Header, then rows; two spaces between columns, no trailing blanks.
  void Print(std::ostream& out) const;
  size_t line_count() const { return rows_.size(); }

 private:
  std::vector<std::vector<std::string>> rows_;
};

// `field` quoted for CSV (RFC 4180) when it needs to be.
std::string CsvField(const std::string& field);

// Lower-case state names without the enum prefix: "running", "succeeded".
std::string StateName(gridbench::v1::JobState state);
std::string StateName(gridbench::v1::TaskState state);
std::string StateName(gridbench::v1::WorkerState state);
std::string StateName(gridbench::v1::AttemptState state);

// "2026-11-22 11:30:05" (UTC), or "-" for 0.
std::string FormatUnixNanos(int64_t unix_nanos);
// "3s ago", "5m ago", "2h ago", or "-" for 0, relative to `now_unix_nanos`.
std::string FormatAge(int64_t unix_nanos, int64_t now_unix_nanos);

// A task's parameters in a few characters: "1024x1024x1024" for gemm,
// otherwise "name=value ..." sorted by name.
std::string ParamsSummary(const std::string& kind, const google::protobuf::Struct& params);

// A value of a google.protobuf.Value as plain text (numbers without ".0").
std::string ValueText(const google::protobuf::Value& value);

// Seconds with four significant digits: "0.01234", "12.35".
std::string FormatSeconds(double seconds);

}  // namespace gridbench::cli

#endif  // GRIDBENCH_CLI_FORMAT_H_
