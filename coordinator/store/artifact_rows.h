// The artifacts table (migration 2) as SQL: the catalogue of the artifact
// files the coordinator holds. Rows carry metadata only; the bytes are
// files (coordinator/artifact_blobs.h).
//
// Thread-safety: as for SqliteDb.
#ifndef GRIDBENCH_COORDINATOR_STORE_ARTIFACT_ROWS_H_
#define GRIDBENCH_COORDINATOR_STORE_ARTIFACT_ROWS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "coordinator/store/sqlite_db.h"
#include "gridbench/v1/artifact.pb.h"

namespace gridbench::coordinator {

// Inserts the row; an existing row with the same id is kept as it is (the
// same id is the same bytes). INVALID_ARGUMENT for an empty id.
absl::Status WriteArtifact(SqliteDb& db, const gridbench::v1::ArtifactInfo& artifact);

// Deletes the row; NOT_FOUND when there is none.
absl::Status WriteArtifactDeletion(SqliteDb& db, const std::string& artifact_id);

// Every row, newest first.
absl::StatusOr<std::vector<gridbench::v1::ArtifactInfo>> ReadArtifacts(SqliteDb& db);

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_STORE_ARTIFACT_ROWS_H_
