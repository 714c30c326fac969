#include "worker/artifact_fetch.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/artifact_id.h"
#include "common/status_macros.h"
#include "common/task_params.h"

namespace gridbench::worker {
namespace {

absl::Status Annotate(const absl::Status& status, const std::string& what) {
  return absl::Status(status.code(), absl::StrCat(what, ": ", status.message()));
}

bool IsPlainFileName(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

}  // namespace

AttemptArtifacts::~AttemptArtifacts() {
  std::error_code ec;
  if (!inputs_.output_dir.empty()) std::filesystem::remove_all(inputs_.output_dir, ec);
}

absl::StatusOr<std::unique_ptr<TaskArtifacts>> TaskArtifacts::Open(
    ArtifactCache* cache, gridbench::v1::Artifacts::StubInterface* stub, std::string work_dir,
    ArtifactCallOptions call_options) {
  std::error_code ec;
  std::filesystem::remove_all(work_dir, ec);
  if (!ec) std::filesystem::create_directories(work_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("emptying ", work_dir, ": ", ec.message()));
  return std::unique_ptr<TaskArtifacts>(
      new TaskArtifacts(cache, stub, std::move(work_dir), std::move(call_options)));
}

absl::StatusOr<std::unique_ptr<AttemptArtifacts>> TaskArtifacts::Prepare(
    const gridbench::v1::Assignment& assignment) {
  std::unique_ptr<AttemptArtifacts> attempt(new AttemptArtifacts());
  for (const ArtifactParam& param : ArtifactParamsOf(assignment.spec())) {
    absl::StatusOr<ArtifactLease> lease = cache_->Acquire(param.artifact_id);
    if (!lease.ok()) {
      return Annotate(lease.status(), absl::StrCat("fetching artifact ", param.artifact_id,
                                                   " (params.", param.param, ")"));
    }
    attempt->inputs_.artifact_paths[param.artifact_id] = lease->path();
    gridbench::v1::ArtifactUse& use = attempt->uses_.emplace_back();
    use.set_artifact_id(param.artifact_id);
    use.set_role(param.param == "reference" ? "reference" : "input");
    use.set_name(param.param);
    use.set_size_bytes(lease->size_bytes());
    attempt->leases_.push_back(*std::move(lease));
  }
  const std::string output_dir = absl::StrCat(work_dir_, "/", assignment.attempt_id());
  std::error_code ec;
  std::filesystem::remove_all(output_dir, ec);
  if (!ec) std::filesystem::create_directories(output_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("creating ", output_dir, ": ", ec.message()));
  attempt->inputs_.output_dir = output_dir;
  return attempt;
}

absl::Status TaskArtifacts::Upload(const std::string& output_dir,
                                   const gridbench::v1::ArtifactUse& use) {
  if (!IsPlainFileName(use.name())) {
    return absl::InternalError(
        absl::StrCat("output \"", use.name(), "\" is not a file name in the output directory"));
  }
  const std::string path = absl::StrCat(output_dir, "/", use.name());
  GB_ASSIGN_OR_RETURN(const FileArtifactId file, ArtifactIdOfFile(path));
  if (file.id != use.artifact_id() || file.size_bytes != use.size_bytes()) {
    return absl::InternalError(absl::StrCat(
        "output ", use.name(), " is listed as ", use.artifact_id(), " (", use.size_bytes(),
        " bytes) but the file is ", file.id, " (", file.size_bytes, " bytes)"));
  }
  absl::StatusOr<gridbench::v1::ArtifactInfo> stored =
      UploadArtifactFile(*stub_, call_options_, path, use.name());
  if (!stored.ok()) return Annotate(stored.status(), absl::StrCat("uploading output ", use.name()));
  return absl::OkStatus();
}

absl::Status TaskArtifacts::Deliver(const AttemptArtifacts& attempt,
                                    gridbench::v1::ResultPayload& payload) {
  for (const gridbench::v1::ArtifactUse& use : payload.artifacts()) {
    if (use.role() != "output") {
      return absl::InvalidArgumentError(
          absl::StrCat("the task listed artifact ", use.artifact_id(), " with role \"", use.role(),
                       "\"; a task lists only its outputs (the agent lists the inputs)"));
    }
    GB_RETURN_IF_ERROR(Upload(attempt.inputs_.output_dir, use));
  }
  // Inputs first, then the outputs, in the order the task gave them.
  google::protobuf::RepeatedPtrField<gridbench::v1::ArtifactUse> all(attempt.uses_.begin(),
                                                                     attempt.uses_.end());
  for (auto& use : *payload.mutable_artifacts()) *all.Add() = std::move(use);
  payload.mutable_artifacts()->Swap(&all);
  return absl::OkStatus();
}

}  // namespace gridbench::worker
