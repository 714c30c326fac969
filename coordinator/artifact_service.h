// The Artifacts gRPC service (proto/gridbench/v1/artifact.proto): uploads
// and downloads stream through one small reactor per call; the bytes and
// their catalogue are the ArtifactStore's.
//
// Reactions do file I/O on gRPC's callback threads: a chunk write or read
// (at most kMaxArtifactChunkBytes) per reaction, and the fsync and rename
// of a finished upload.
#ifndef GRIDBENCH_COORDINATOR_ARTIFACT_SERVICE_H_
#define GRIDBENCH_COORDINATOR_ARTIFACT_SERVICE_H_

#include <cstddef>

#include "coordinator/artifact_store.h"
#include "coordinator/clock.h"
#include "coordinator/task_scheduler.h"
#include "coordinator/token_authority.h"
#include "gridbench/v1/artifact.grpc.pb.h"

namespace gridbench::coordinator {

// The most bytes one upload message may carry; downloads send this much per
// message (well under the 16 MiB message limit).
inline constexpr size_t kMaxArtifactChunkBytes = 4 << 20;
inline constexpr size_t kArtifactDownloadChunkBytes = 1 << 20;

class ArtifactService final : public gridbench::v1::Artifacts::CallbackService {
 public:
  ArtifactService(ArtifactStore* artifacts, TokenAuthority* tokens, TaskScheduler* scheduler,
                  Clock* clock)
      : artifacts_(artifacts), tokens_(tokens), scheduler_(scheduler), clock_(clock) {}

  using Ctx = grpc::CallbackServerContext;
  grpc::ServerReadReactor<gridbench::v1::PutArtifactRequest>* PutArtifact(
      Ctx* c, gridbench::v1::ArtifactInfo* resp) override;
  grpc::ServerWriteReactor<gridbench::v1::ArtifactChunk>* GetArtifact(
      Ctx* c, const gridbench::v1::GetArtifactRequest* req) override;
  grpc::ServerUnaryReactor* ListArtifacts(Ctx* c, const gridbench::v1::ListArtifactsRequest* req,
                                          gridbench::v1::ListArtifactsResponse* resp) override;
  grpc::ServerUnaryReactor* DeleteArtifact(Ctx* c, const gridbench::v1::DeleteArtifactRequest* req,
                                           gridbench::v1::DeleteArtifactResponse* resp) override;

 private:
  ArtifactStore* const artifacts_;
  TokenAuthority* const tokens_;
  TaskScheduler* const scheduler_;
  Clock* const clock_;
};

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_ARTIFACT_SERVICE_H_
