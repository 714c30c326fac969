// Reads a task's `params` map field by field, collecting one message per
// problem (each naming the field, as "params.<name>: ...") instead of
// stopping at the first. Each task kind's parser in task_params.cc is a plain
// sequence of reads; every name read counts as known, so Finish() can report
// the names nobody asked for.
//
// Not thread-safe; one reader per parse.
#ifndef GRIDBENCH_COMMON_PARAM_READER_H_
#define GRIDBENCH_COMMON_PARAM_READER_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/struct.pb.h"

namespace gridbench {

class ParamReader {
 public:
  // `errors` collects the messages; it must outlive the reader.
  ParamReader(const google::protobuf::Struct& params, std::vector<std::string>& errors);

  // An integer in [min, max]; `fallback` when absent, or an error
  // ("required (an integer in 1..32768)") when there is no fallback.
  int64_t Integer(std::string_view name, int64_t min, int64_t max,
                  std::optional<int64_t> fallback = std::nullopt);
  // A finite number in [min, max]; errors as Integer.
  double Number(std::string_view name, double min, double max, std::optional<double> fallback);
  // true or false.
  bool Bool(std::string_view name, bool fallback);
  // One of `choices` (exact match), or `fallback` when absent.
  std::string Choice(std::string_view name, std::initializer_list<std::string_view> choices,
                     std::string_view fallback);
  // Any string, or an integer in [0, max_index] (returned as its digits);
  // `""` when absent. For parameters that take a name or an index.
  std::string NameOrIndex(std::string_view name, int64_t max_index);

  // A required artifact id ("sha256:" + 64 lowercase hex digits; see
  // common/artifact_id.h), for parameters that name an uploaded file.
  std::string ArtifactId(std::string_view name);

  // A list of non-empty strings (at most `max_items`), or `fallback` when
  // absent. For parameters such as tensor-name patterns.
  std::vector<std::string> StringList(std::string_view name, size_t max_items,
                                      std::vector<std::string> fallback);

  // Records `name` as known but refused here, with `why` (e.g. "only for
  // backend quant"), if the task sets it.
  void Refuse(std::string_view name, std::string_view why);

  // Whether the task sets `name`.
  bool Has(std::string_view name) const;

  // Adds "params.x: unknown parameter (known: ...)" for every name that no
  // read above asked for. Call once, after every read.
  void Finish();

  // Adds "params.<name>: <message>".
  void Fail(std::string_view name, std::string_view message);

 private:
  const google::protobuf::Value* Find(std::string_view name);

  const google::protobuf::Struct& params_;
  std::vector<std::string>& errors_;
  std::vector<std::string> known_;  // In the order asked for.
};

}  // namespace gridbench

#endif  // GRIDBENCH_COMMON_PARAM_READER_H_
