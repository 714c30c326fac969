#include "kernels/gguf/gguf_reader.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace gridbench::kernels::gguf {

absl::StatusOr<GgufReader> GgufReader::Open(const std::string& path) {
  GB_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  absl::StatusOr<GgufContents> contents = ParseGguf(file.bytes());
  if (!contents.ok()) {
    return absl::Status(contents.status().code(),
                        absl::StrCat(path, ": ", contents.status().message()));
  }
  return GgufReader(std::move(file), *std::move(contents));
}

absl::StatusOr<const GgufTensorInfo*> GgufReader::FindTensor(std::string_view name) const {
  for (const GgufTensorInfo& t : contents_.tensors) {
    if (t.name == name) return &t;
  }
  return absl::NotFoundError(absl::StrCat("no tensor named '", std::string(name), "'"));
}

}  // namespace gridbench::kernels::gguf
