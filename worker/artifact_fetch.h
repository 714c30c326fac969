// TaskArtifacts: the agent's artifact work around one attempt. Before the
// task child starts, every artifact the task names (ArtifactParamsOf) is
// fetched into the worker's cache and verified, and the attempt gets a
// fresh output directory. After the child succeeds, the inputs are recorded
// in the payload and every output the child lists is checked against its
// file and uploaded to the coordinator, so the result the agent then signs
// names only bytes the coordinator holds.
//
// Thread-safety: Prepare() and Deliver() may be called from any thread (the
// agent calls them from its task thread).
#ifndef GRIDBENCH_WORKER_ARTIFACT_FETCH_H_
#define GRIDBENCH_WORKER_ARTIFACT_FETCH_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/artifact_transfer.h"
#include "gridbench/v1/artifact.grpc.pb.h"
#include "gridbench/v1/worker.pb.h"
#include "worker/artifact_cache.h"
#include "worker/task_kind.h"

namespace gridbench::worker {

// What one attempt holds while it runs: leases on its inputs (so they are
// not evicted) and its output directory, removed with this object.
class AttemptArtifacts {
 public:
  ~AttemptArtifacts();
  const TaskInputs& inputs() const { return inputs_; }

 private:
  friend class TaskArtifacts;
  AttemptArtifacts() = default;
  TaskInputs inputs_;
  std::vector<ArtifactLease> leases_;
  std::vector<gridbench::v1::ArtifactUse> uses_;  // The inputs, for the payload.
};

class TaskArtifacts {
 public:
  // `work_dir` holds one output directory per attempt; whatever is in it
  // now is left over from an earlier process and removed.
  static absl::StatusOr<std::unique_ptr<TaskArtifacts>> Open(
      ArtifactCache* cache, gridbench::v1::Artifacts::StubInterface* stub, std::string work_dir,
      ArtifactCallOptions call_options);

  // Fetches and verifies every artifact `assignment` names and makes its
  // output directory. Errors name the artifact: NOT_FOUND when the
  // coordinator does not have it (retrying cannot help), else the fetch's
  // error (a retry may succeed).
  absl::StatusOr<std::unique_ptr<AttemptArtifacts>> Prepare(
      const gridbench::v1::Assignment& assignment);

  // Lists the inputs in `payload` and uploads each output it lists (role
  // "output", name a file in the output directory). INTERNAL when an output
  // is missing, is not a plain file name, or its bytes do not match the id
  // the child gave; INVALID_ARGUMENT when the child listed a role other
  // than "output"; the upload's error otherwise.
  absl::Status Deliver(const AttemptArtifacts& attempt, gridbench::v1::ResultPayload& payload);

 private:
  TaskArtifacts(ArtifactCache* cache, gridbench::v1::Artifacts::StubInterface* stub,
                std::string work_dir, ArtifactCallOptions call_options)
      : cache_(cache),
        stub_(stub),
        work_dir_(std::move(work_dir)),
        call_options_(std::move(call_options)) {}
  absl::Status Upload(const std::string& output_dir, const gridbench::v1::ArtifactUse& use);

  ArtifactCache* const cache_;
  gridbench::v1::Artifacts::StubInterface* const stub_;
  const std::string work_dir_;
  const ArtifactCallOptions call_options_;
};

}  // namespace gridbench::worker

#endif  // GRIDBENCH_WORKER_ARTIFACT_FETCH_H_
