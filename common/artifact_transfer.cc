#include "common/artifact_transfer.h"

#include <unistd.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/artifact_id.h"
#include "common/blob_file.h"
#include "common/grpc_status.h"
#include "common/status_macros.h"

namespace gridbench {
namespace {

void Prepare(const ArtifactCallOptions& options, grpc::ClientContext& context, const char* method) {
  if (options.prepare) options.prepare(context, method);
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(options.timeout));
}

// Streams the file's bytes after the header; DATA_LOSS if it no longer has
// the size it had when its id was computed.
absl::Status SendChunks(grpc::ClientWriterInterface<gridbench::v1::PutArtifactRequest>& writer,
                        const ReadOnlyFile& file, uint64_t size, const std::string& path) {
  if (file.size() != size) {
    return absl::DataLossError(absl::StrCat(path, " changed while it was being uploaded"));
  }
  gridbench::v1::PutArtifactRequest request;
  for (uint64_t offset = 0; offset < size;) {
    GB_ASSIGN_OR_RETURN(std::string data, file.ReadAt(offset, kArtifactUploadChunkBytes));
    if (data.empty()) {
      return absl::DataLossError(absl::StrCat(path, " shrank while it was being uploaded"));
    }
    offset += data.size();
    *request.mutable_chunk() = std::move(data);
    // A failed write means the server ended the call; Finish() says why.
    if (!writer.Write(request)) break;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<gridbench::v1::ArtifactInfo> UploadArtifactFile(
    gridbench::v1::Artifacts::StubInterface& stub, const ArtifactCallOptions& options,
    const std::string& path, const std::string& name) {
  GB_ASSIGN_OR_RETURN(const FileArtifactId hashed, ArtifactIdOfFile(path));
  GB_ASSIGN_OR_RETURN(const ReadOnlyFile file, ReadOnlyFile::Open(path));
  grpc::ClientContext context;
  Prepare(options, context, "PutArtifact");
  gridbench::v1::ArtifactInfo info;
  auto writer = stub.PutArtifact(&context, &info);
  gridbench::v1::PutArtifactRequest header;
  header.mutable_header()->set_name(name);
  header.mutable_header()->set_size_bytes(hashed.size_bytes);
  header.mutable_header()->set_artifact_id(hashed.id);
  absl::Status sent = absl::OkStatus();
  if (writer->Write(header)) sent = SendChunks(*writer, file, hashed.size_bytes, path);
  if (!sent.ok()) {
    context.TryCancel();
    (void)writer->Finish();
    return sent;
  }
  writer->WritesDone();
  GB_RETURN_IF_ERROR(FromGrpcStatus(writer->Finish()));
  return info;
}

absl::StatusOr<DownloadStats> DownloadArtifact(gridbench::v1::Artifacts::StubInterface& stub,
                                               const ArtifactCallOptions& options,
                                               const std::string& artifact_id,
                                               const std::string& dest) {
  GB_RETURN_IF_ERROR(ValidateArtifactId(artifact_id));
  const std::string part = dest + ".part";
  GB_ASSIGN_OR_RETURN(AppendFile file, AppendFile::Open(part, /*truncate=*/false));
  DownloadStats stats;
  stats.resumed_from = file.size();
  gridbench::v1::GetArtifactRequest request;
  request.set_artifact_id(artifact_id);
  request.set_offset(stats.resumed_from);
  grpc::ClientContext context;
  Prepare(options, context, "GetArtifact");
  auto reader = stub.GetArtifact(&context, request);
  gridbench::v1::ArtifactChunk chunk;
  absl::Status received = absl::OkStatus();
  while (received.ok() && reader->Read(&chunk)) {
    stats.size_bytes = chunk.size_bytes();
    if (chunk.offset() != file.size() || file.size() + chunk.data().size() > stats.size_bytes) {
      received = absl::DataLossError(
          absl::StrCat("artifact ", artifact_id, ": the coordinator sent bytes at offset ",
                       chunk.offset(), " (", chunk.data().size(), " bytes of ", stats.size_bytes,
                       ") when ", file.size(), " were expected next"));
      break;
    }
    received = file.Append(chunk.data());
    stats.transferred += chunk.data().size();
  }
  if (!received.ok()) {
    context.TryCancel();
    (void)reader->Finish();
    ::unlink(part.c_str());
    return received;
  }
  absl::Status finished = FromGrpcStatus(reader->Finish());
  // A .part longer than the artifact is useless; an empty one is clutter.
  if (absl::IsOutOfRange(finished) || (!finished.ok() && file.size() == 0)) {
    ::unlink(part.c_str());
  }
  GB_RETURN_IF_ERROR(finished);
  if (file.size() != stats.size_bytes) {
    return absl::UnavailableError(absl::StrCat("download of ", artifact_id, " ended after ",
                                               file.size(), " of ", stats.size_bytes, " bytes"));
  }
  GB_RETURN_IF_ERROR(file.SyncAndClose());
  GB_ASSIGN_OR_RETURN(const FileArtifactId got, ArtifactIdOfFile(part));
  if (got.id != artifact_id) {
    ::unlink(part.c_str());
    return absl::DataLossError(absl::StrCat("downloaded bytes do not match their id: expected ",
                                            artifact_id, ", got ", got.id));
  }
  GB_RETURN_IF_ERROR(RenameDurably(part, dest));
  return stats;
}

}  // namespace gridbench
