// Reads a GGUF version 3 file: maps it read-only, validates every header
// field, count, string, offset, alignment and tensor extent against the
// file's size (gguf_parser.h lists what is refused), then gives the metadata
// and each tensor's bytes without copying them.
//
// Typical use:
//   GB_ASSIGN_OR_RETURN(GgufReader model, GgufReader::Open(path));
//   GB_ASSIGN_OR_RETURN(uint32_t layers, model.metadata().Get<uint32_t>("llama.block_count"));
//   for (const GgufTensorInfo& t : model.tensors()) Use(t, model.TensorBytes(t));
//
// Thread-safety: immutable after Open; every method may be called from any
// thread.
#ifndef GRIDBENCH_KERNELS_GGUF_GGUF_READER_H_
#define GRIDBENCH_KERNELS_GGUF_GGUF_READER_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "kernels/gguf/gguf_format.h"
#include "kernels/gguf/gguf_parser.h"
#include "kernels/gguf/gguf_value.h"
#include "kernels/gguf/mapped_file.h"

namespace gridbench::kernels::gguf {

class GgufReader {
 public:
  // Opens and validates `path`. Errors from MappedFile::Open, or
  // INVALID_ARGUMENT from ParseGguf with the path in front of the message.
  static absl::StatusOr<GgufReader> Open(const std::string& path);

  const GgufMetadata& metadata() const { return contents_.metadata; }
  const std::vector<GgufTensorInfo>& tensors() const { return contents_.tensors; }
  uint32_t alignment() const { return contents_.alignment; }
  uint64_t data_offset() const { return contents_.data_offset; }
  uint64_t file_size() const { return file_.bytes().size(); }

  // The tensor named `name`; NOT_FOUND naming it otherwise.
  absl::StatusOr<const GgufTensorInfo*> FindTensor(std::string_view name) const;

  // The bytes of `tensor`, one of tensors(), inside the mapping; valid while
  // this reader lives.
  std::span<const uint8_t> TensorBytes(const GgufTensorInfo& tensor) const {
    return file_.bytes().subspan(contents_.data_offset + tensor.offset, tensor.byte_size);
  }

 private:
  GgufReader(MappedFile file, GgufContents contents)
      : file_(std::move(file)), contents_(std::move(contents)) {}

  MappedFile file_;
  GgufContents contents_;
};

}  // namespace gridbench::kernels::gguf

#endif  // GRIDBENCH_KERNELS_GGUF_GGUF_READER_H_
