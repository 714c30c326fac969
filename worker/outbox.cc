#include "worker/outbox.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "worker/durable_file.h"

namespace gridbench::worker {
namespace {

constexpr char kResultSuffix[] = ".result";

}  // namespace

Outbox::Outbox(std::string dir, uint64_t last_sequence)
    : dir_(std::move(dir)), results_dir_(dir_ + "/outbox"), last_sequence_(last_sequence) {}

absl::StatusOr<std::unique_ptr<Outbox>> Outbox::Open(const std::string& dir) {
  GB_RETURN_IF_ERROR(MakeDirectories(dir + "/outbox"));
  const std::string counter_path = dir + "/sequence";
  uint64_t last = 0;
  absl::StatusOr<std::string> text = ReadWholeFile(counter_path);
  if (text.ok()) {
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &last)) {
      return absl::DataLossError(
          absl::StrCat(counter_path, " does not hold a sequence number: \"", *text, "\""));
    }
  } else if (!absl::IsNotFound(text.status())) {
    return text.status();
  }
  auto outbox = std::unique_ptr<Outbox>(new Outbox(dir, last));
  // A result file newer than the counter cannot exist (the counter is written
  // first), but guard against a hand-edited counter reusing a number.
  GB_ASSIGN_OR_RETURN(std::vector<gridbench::v1::SignedResult> stored, outbox->List());
  absl::MutexLock lock(&outbox->mu_);
  for (const auto& r : stored) {
    last = std::max(last, r.sequence());
    outbox->stored_.insert(r.sequence());
  }
  outbox->last_sequence_ = last;
  return outbox;
}

std::string Outbox::ResultPath(uint64_t sequence) const {
  return absl::StrCat(results_dir_, "/", sequence, kResultSuffix);
}

absl::StatusOr<uint64_t> Outbox::NextSequence() {
  absl::MutexLock lock(&mu_);
  const uint64_t next = last_sequence_ + 1;
  GB_RETURN_IF_ERROR(WriteFileDurably(dir_ + "/sequence", absl::StrCat(next, "\n")));
  last_sequence_ = next;
  return next;
}

absl::Status Outbox::Put(const gridbench::v1::SignedResult& result) {
  std::string bytes;
  if (!result.SerializeToString(&bytes)) {
    return absl::InternalError(absl::StrCat("cannot serialize result ", result.sequence()));
  }
  GB_RETURN_IF_ERROR(WriteFileDurably(ResultPath(result.sequence()), bytes));
  absl::MutexLock lock(&mu_);
  stored_.insert(result.sequence());
  return absl::OkStatus();
}

absl::Status Outbox::Remove(uint64_t sequence) {
  GB_RETURN_IF_ERROR(RemoveFileDurably(ResultPath(sequence)));
  absl::MutexLock lock(&mu_);
  stored_.erase(sequence);
  return absl::OkStatus();
}

size_t Outbox::Size() const {
  absl::MutexLock lock(&mu_);
  return stored_.size();
}

absl::StatusOr<std::vector<gridbench::v1::SignedResult>> Outbox::List() const {
  std::vector<gridbench::v1::SignedResult> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(results_dir_, ec)) {
    const std::string name = entry.path().filename().string();
    // Skips "<n>.result.tmp" left by a crash mid-write: never sent, never acked.
    if (!name.ends_with(kResultSuffix)) continue;
    GB_ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(entry.path().string()));
    gridbench::v1::SignedResult result;
    if (!result.ParseFromString(bytes)) {
      return absl::DataLossError(absl::StrCat(entry.path().string(), " is not a stored result"));
    }
    out.push_back(std::move(result));
  }
  if (ec)
    return absl::InternalError(absl::StrCat("cannot list ", results_dir_, ": ", ec.message()));
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.sequence() < b.sequence(); });
  return out;
}

}  // namespace gridbench::worker
