#include "worker/file_read_task.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/artifact_id.h"
#include "common/blob_file.h"
#include "common/sample_summary.h"
#include "common/status_macros.h"
#include "common/task_params.h"

namespace gridbench::worker {
namespace {

constexpr size_t kReadBytes = 1 << 20;
constexpr char kSamplesName[] = "samples.txt";

// Reads the whole file once, hashing it so that the read cannot be skipped.
// Returns the id of what was read.
absl::StatusOr<std::string> ReadOnce(const std::string& path) {
  GB_ASSIGN_OR_RETURN(const ReadOnlyFile file, ReadOnlyFile::Open(path));
  ArtifactHasher hasher;
  for (uint64_t offset = 0; offset < file.size();) {
    GB_ASSIGN_OR_RETURN(const std::string data, file.ReadAt(offset, kReadBytes));
    if (data.empty()) break;
    offset += data.size();
    hasher.Update(data);
  }
  return hasher.FinishId();
}

// Writes one line per sample to output_dir/samples.txt and lists it.
absl::Status WriteSamples(const std::string& output_dir, gridbench::v1::ResultPayload& out) {
  std::string text;
  for (double s : out.samples_seconds()) absl::StrAppend(&text, s, "\n");
  GB_ASSIGN_OR_RETURN(AppendFile file,
                      AppendFile::Open(absl::StrCat(output_dir, "/", kSamplesName), true));
  GB_RETURN_IF_ERROR(file.Append(text));
  GB_RETURN_IF_ERROR(file.SyncAndClose());
  ArtifactHasher hasher;
  hasher.Update(text);
  gridbench::v1::ArtifactUse& use = *out.add_artifacts();
  use.set_artifact_id(hasher.FinishId());
  use.set_role("output");
  use.set_name(kSamplesName);
  use.set_size_bytes(text.size());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<gridbench::v1::ResultPayload> FileReadTask::Run(const gridbench::v1::TaskSpec& spec,
                                                               const TaskInputs& inputs,
                                                               ProgressReporter& progress) const {
  const int64_t started = absl::GetCurrentTimeNanos();
  GB_ASSIGN_OR_RETURN(const FileReadParams p, ParseFileReadParams(spec));
  GB_ASSIGN_OR_RETURN(const std::string input, inputs.LocalPath(p.input));
  gridbench::v1::ResultPayload out;
  out.set_kind("file_read");
  std::string read_id;
  for (int i = 0; i < p.repetitions; ++i) {
    const absl::Time begin = absl::Now();
    GB_ASSIGN_OR_RETURN(read_id, ReadOnce(input));
    out.add_samples_seconds(absl::ToDoubleSeconds(absl::Now() - begin));
    progress.Report(static_cast<double>(i + 1) / p.repetitions, "reading");
  }
  if (read_id != p.input) {
    return absl::DataLossError(absl::StrCat("input ", p.input, " read back as ", read_id));
  }
  GB_ASSIGN_OR_RETURN(const uint64_t size, FileSize(input));
  if (p.write_samples) GB_RETURN_IF_ERROR(WriteSamples(inputs.output_dir, out));
  *out.mutable_summary() = SummarizeSamples(
      std::vector<double>(out.samples_seconds().begin(), out.samples_seconds().end()));
  const double median = out.summary().median();
  (*out.mutable_metrics())["size_bytes"] = static_cast<double>(size);
  if (median > 0) {
    (*out.mutable_metrics())["gbps_median"] = static_cast<double>(size) / median / 1e9;
  }
  out.set_checksum(read_id);
  out.set_started_unix_nanos(started);
  out.set_finished_unix_nanos(absl::GetCurrentTimeNanos());
  return out;
}

}  // namespace gridbench::worker
