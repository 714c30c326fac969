#include "coordinator/store/artifact_rows.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace gridbench::coordinator {

absl::Status WriteArtifact(SqliteDb& db, const gridbench::v1::ArtifactInfo& artifact) {
  if (artifact.artifact_id().empty()) return absl::InvalidArgumentError("artifact_id is empty");
  GB_ASSIGN_OR_RETURN(Statement stmt,
                      db.Prepare("storing artifact " + artifact.artifact_id(), R"sql(
      INSERT INTO artifacts (id, size, name, uploader, created) VALUES (?1, ?2, ?3, ?4, ?5)
      ON CONFLICT (id) DO NOTHING)sql"));
  return stmt.BindText(1, artifact.artifact_id())
      .BindInt(2, static_cast<int64_t>(artifact.size_bytes()))
      .BindText(3, artifact.name())
      .BindText(4, artifact.uploader())
      .BindInt(5, artifact.created_unix_nanos())
      .Run();
}

absl::Status WriteArtifactDeletion(SqliteDb& db, const std::string& artifact_id) {
  GB_ASSIGN_OR_RETURN(Statement stmt, db.Prepare("deleting artifact " + artifact_id,
                                                 "DELETE FROM artifacts WHERE id = ?1"));
  GB_RETURN_IF_ERROR(stmt.BindText(1, artifact_id).Run());
  if (db.changes() == 0)
    return absl::NotFoundError(absl::StrCat("artifact ", artifact_id, " not found"));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<gridbench::v1::ArtifactInfo>> ReadArtifacts(SqliteDb& db) {
  GB_ASSIGN_OR_RETURN(Statement stmt, db.Prepare("listing artifacts", R"sql(
      SELECT id, size, name, uploader, created FROM artifacts ORDER BY created DESC, id)sql"));
  std::vector<gridbench::v1::ArtifactInfo> artifacts;
  GB_RETURN_IF_ERROR(stmt.ForEachRow([&]() -> absl::Status {
    gridbench::v1::ArtifactInfo& a = artifacts.emplace_back();
    a.set_artifact_id(stmt.ColumnText(0));
    a.set_size_bytes(static_cast<uint64_t>(stmt.ColumnInt(1)));
    a.set_name(stmt.ColumnText(2));
    a.set_uploader(stmt.ColumnText(3));
    a.set_created_unix_nanos(stmt.ColumnInt(4));
    return absl::OkStatus();
  }));
  return artifacts;
}

}  // namespace gridbench::coordinator
