// Builds GGUF bytes field by field, so tests can write valid files and files
// with exactly one thing wrong.
#ifndef GRIDBENCH_TESTS_KERNELS_GGUF_GGUF_TEST_FILES_H_
#define GRIDBENCH_TESTS_KERNELS_GGUF_GGUF_TEST_FILES_H_

#include <cstdint>
#include <cstring>
#include <span>
#include <string>

namespace gridbench::kernels::gguf::testing {

class GgufBytes {
 public:
  GgufBytes& U8(uint8_t v) { return Raw(&v, 1); }
  GgufBytes& U32(uint32_t v) { return Raw(&v, 4); }
  GgufBytes& U64(uint64_t v) { return Raw(&v, 8); }
  GgufBytes& Str(const std::string& s) {
    U64(s.size());
    return Raw(s.data(), s.size());
  }
  GgufBytes& Raw(const void* p, size_t n) {
    bytes_.append(static_cast<const char*>(p), n);
    return *this;
  }
  GgufBytes& PadTo(size_t alignment) {
    bytes_.resize((bytes_.size() + alignment - 1) / alignment * alignment, '\0');
    return *this;
  }
  // Overwrites 4 or 8 bytes at `at`, for corrupting a field of a valid file.
  void Patch32(size_t at, uint32_t v) { std::memcpy(bytes_.data() + at, &v, 4); }
  void Patch64(size_t at, uint64_t v) { std::memcpy(bytes_.data() + at, &v, 8); }

  size_t size() const { return bytes_.size(); }
  std::string& str() { return bytes_; }
  std::span<const uint8_t> span() const {
    return {reinterpret_cast<const uint8_t*>(bytes_.data()), bytes_.size()};
  }

 private:
  std::string bytes_;
};

}  // namespace gridbench::kernels::gguf::testing

#endif  // GRIDBENCH_TESTS_KERNELS_GGUF_GGUF_TEST_FILES_H_
