// Writes a GGUF version 3 file, streaming: the header (metadata and tensor
// infos) is written first, then each tensor's bytes in declaration order,
// one tensor or one chunk at a time, so a model larger than memory can be
// written. The bytes go to a temporary file beside the target, which is
// renamed over it only by Finish(); a writer destroyed before that removes
// its temporary file and leaves the target untouched.
//
// The same metadata, tensors and bytes give the same file (see
// gguf_encoder.h), so outputs can be compared by hash.
//
// Typical use, copying a model's metadata (e.g. to quantize it):
//   GgufMetadata metadata = input.metadata();
//   GB_ASSIGN_OR_RETURN(GgufWriter out, GgufWriter::Create(path, metadata, specs));
//   for (...) GB_RETURN_IF_ERROR(out.Append(bytes_of_next_tensor));
//   GB_RETURN_IF_ERROR(out.Finish());
//
// Thread-safety: thread-compatible (one thread at a time).
#ifndef GRIDBENCH_KERNELS_GGUF_GGUF_WRITER_H_
#define GRIDBENCH_KERNELS_GGUF_GGUF_WRITER_H_

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kernels/gguf/gguf_encoder.h"
#include "kernels/gguf/gguf_format.h"
#include "kernels/gguf/gguf_value.h"

namespace gridbench::kernels::gguf {

class GgufWriter {
 public:
  // Lays out the file (errors of LayOutGguf), creates the temporary file in
  // `path`'s directory and writes the header. I/O errors come from errno and
  // name the path.
  static absl::StatusOr<GgufWriter> Create(const std::string& path, const GgufMetadata& metadata,
                                           const std::vector<GgufTensorSpec>& tensors);

  GgufWriter(GgufWriter&& other) noexcept;
  GgufWriter& operator=(GgufWriter&&) = delete;
  GgufWriter(const GgufWriter&) = delete;
  GgufWriter& operator=(const GgufWriter&) = delete;
  ~GgufWriter();

  // Appends the next `bytes` of tensor data, which may end mid-tensor or run
  // into the following tensors (padding between tensors is added here).
  // FAILED_PRECONDITION if more bytes are given than the tensors take, or
  // after Finish().
  absl::Status Append(std::span<const uint8_t> bytes);

  // The tensor the next Append() writes into, or nullptr when all are
  // complete.
  const GgufTensorInfo* next_tensor() const;

  // Flushes, syncs and renames the temporary file over `path`.
  // FAILED_PRECONDITION naming the first incomplete tensor if not every
  // tensor's bytes were appended.
  absl::Status Finish();

  // Tensors with their offsets and byte sizes, in file order.
  const std::vector<GgufTensorInfo>& tensors() const { return layout_.tensors; }
  // The size the finished file has.
  uint64_t file_size() const { return layout_.header.size() + layout_.data_bytes; }

 private:
  GgufWriter(std::string path, std::string temp_path, std::FILE* file, GgufLayout layout);
  absl::Status Write(const void* data, size_t n);
  void Abandon();

  std::string path_;
  std::string temp_path_;
  std::FILE* file_ = nullptr;  // Null once finished or abandoned.
  GgufLayout layout_;
  size_t tensor_ = 0;            // Index of the tensor being written.
  uint64_t tensor_written_ = 0;  // Bytes of it written so far.
};

}  // namespace gridbench::kernels::gguf

#endif  // GRIDBENCH_KERNELS_GGUF_GGUF_WRITER_H_
