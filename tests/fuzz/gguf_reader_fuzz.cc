// libFuzzer target for the GGUF parser: any input must give contents or an
// error, never a crash, a hang or a read outside the input (ASan checks).
// Seeds: gguf_corpus/ (regenerate with gguf_make_seeds). Build and run:
//   CXX=clang++ cmake -S . -B build-gguf-fuzz -G Ninja && ninja -C build-gguf-fuzz gguf_reader_fuzz
//   build-gguf-fuzz/bin/gguf_reader_fuzz -max_total_time=60 NEW_DIR tests/fuzz/gguf_corpus
#include <cstddef>
#include <cstdint>
#include <span>

#include "kernels/gguf/gguf_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  absl::StatusOr<gridbench::kernels::gguf::GgufContents> contents =
      gridbench::kernels::gguf::ParseGguf(bytes);
  if (!contents.ok()) return 0;
  // Touch the first and last byte of every tensor: the parser promised they
  // are inside the input.
  volatile uint8_t sink = 0;
  for (const auto& t : contents->tensors) {
    const uint64_t begin = contents->data_offset + t.offset;
    sink = sink + bytes[begin] + bytes[begin + t.byte_size - 1];
  }
  return 0;
}
