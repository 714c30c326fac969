// artifact put, artifact ls, artifact get, artifact rm.
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "cli/command.h"
#include "cli/connection.h"
#include "cli/format.h"
#include "common/artifact_transfer.h"
#include "common/grpc_channel.h"
#include "common/status_macros.h"
#include "google/protobuf/util/json_util.h"

namespace gridbench::cli {
namespace {

using gridbench::v1::ArtifactInfo;

std::string FormatBytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? absl::StrCat(bytes, " B") : absl::StrFormat("%.1f %s", value, units[unit]);
}

absl::StatusOr<ExitCode> PutArtifact(CommandContext& ctx) {
  const std::string& path = ctx.args.positionals[0];
  const std::string name = ctx.args.Value("name", std::filesystem::path(path).filename().string());
  GB_ASSIGN_OR_RETURN(Connection conn, Connection::Open(ctx.global));
  auto stub = gridbench::v1::Artifacts::NewStub(conn.channel());
  GB_ASSIGN_OR_RETURN(ArtifactInfo info,
                      UploadArtifactFile(*stub, conn.TransferOptions(), path, name));
  ctx.out << info.artifact_id() << "\n";
  ctx.err << "stored " << info.name() << " (" << FormatBytes(info.size_bytes()) << ")\n";
  return ExitCode::kOk;
}

absl::StatusOr<ExitCode> ListArtifacts(CommandContext& ctx) {
  GB_ASSIGN_OR_RETURN(Connection conn, Connection::Open(ctx.global));
  auto stub = gridbench::v1::Artifacts::NewStub(conn.channel());
  grpc::ClientContext context;
  conn.Prepare(context, /*with_deadline=*/true);
  gridbench::v1::ListArtifactsResponse response;
  GB_RETURN_IF_ERROR(FromGrpcStatus(
      stub->ListArtifacts(&context, gridbench::v1::ListArtifactsRequest(), &response)));
  if (ctx.args.Value("format", "table") == "json") {
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    options.preserve_proto_field_names = true;
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(response, &json, options).ok()) {
      return absl::InternalError("artifact names are not valid UTF-8");
    }
    ctx.out << json;
    return ExitCode::kOk;
  }
  const int64_t now = absl::GetCurrentTimeNanos();
  Table table({"ID", "NAME", "SIZE", "UPLOADER", "CREATED"});
  for (const ArtifactInfo& a : response.artifacts()) {
    table.AddRow({a.artifact_id(), a.name(), FormatBytes(a.size_bytes()), a.uploader(),
                  FormatAge(a.created_unix_nanos(), now)});
  }
  table.Print(ctx.out);
  return ExitCode::kOk;
}

absl::StatusOr<ExitCode> GetArtifact(CommandContext& ctx) {
  if (!ctx.args.Has("output")) return UsageError("-o/--output FILE is required");
  GB_ASSIGN_OR_RETURN(Connection conn, Connection::Open(ctx.global));
  auto stub = gridbench::v1::Artifacts::NewStub(conn.channel());
  GB_ASSIGN_OR_RETURN(DownloadStats stats,
                      DownloadArtifact(*stub, conn.TransferOptions(), ctx.args.positionals[0],
                                       ctx.args.Value("output")));
  ctx.err << "wrote " << ctx.args.Value("output") << " (" << FormatBytes(stats.size_bytes)
          << ", hash verified"
          << (stats.resumed_from > 0
                  ? absl::StrCat("; resumed after ", FormatBytes(stats.resumed_from))
                  : "")
          << ")\n";
  return ExitCode::kOk;
}

absl::StatusOr<ExitCode> RemoveArtifact(CommandContext& ctx) {
  GB_ASSIGN_OR_RETURN(Connection conn, Connection::Open(ctx.global));
  auto stub = gridbench::v1::Artifacts::NewStub(conn.channel());
  grpc::ClientContext context;
  conn.Prepare(context, /*with_deadline=*/true);
  gridbench::v1::DeleteArtifactRequest request;
  request.set_artifact_id(ctx.args.positionals[0]);
  gridbench::v1::DeleteArtifactResponse response;
  GB_RETURN_IF_ERROR(FromGrpcStatus(stub->DeleteArtifact(&context, request, &response)));
  ctx.out << "artifact " << request.artifact_id() << " removed\n";
  return ExitCode::kOk;
}

}  // namespace

std::vector<Command> ArtifactCommands() {
  return {
      {"artifact put",
       "FILE",
       "Upload a file; prints its sha256: id (submitter)",
       "The id is the SHA-256 of the bytes: uploading the same bytes again is a no-op,\n"
       "and the coordinator refuses bytes that do not match it.",
       {{"name", "NAME", "Stored with the artifact (default: the file's name)", {}}},
       1,
       1,
       PutArtifact},
      {"artifact ls",
       "",
       "List the coordinator's artifacts (viewer)",
       "",
       {{"format", "FORMAT", "table (default) or json", {"table", "json"}}},
       0,
       0,
       ListArtifacts},
      {"artifact get",
       "ID",
       "Download an artifact and verify its hash (viewer)",
       "Bytes go to FILE.part first; an interrupted download continues from there\n"
       "when run again. FILE appears only once the whole hash has been verified.",
       {{"output", "FILE", "Where to write it (required)", {}, 'o'}},
       1,
       1,
       GetArtifact},
      {"artifact rm",
       "ID",
       "Remove an artifact from the coordinator (admin)",
       "",
       {},
       1,
       1,
       RemoveArtifact},
  };
}

}  // namespace gridbench::cli
