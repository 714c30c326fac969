// Keeps the fuzzing seed corpus valid, and runs a small deterministic fuzz
// with every compiler (the libFuzzer target needs clang): every seed parses;
// every truncation of it and every single-byte change in its first bytes
// gives contents or an error, never a crash or (under ASan) an over-read.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "kernels/gguf/gguf_parser.h"
#include "kernels/gguf/gguf_reader.h"

namespace gridbench::kernels::gguf {
namespace {

std::vector<std::filesystem::path> Seeds() {
  std::vector<std::filesystem::path> seeds;
  for (const auto& entry : std::filesystem::directory_iterator(GGUF_CORPUS_DIR)) {
    seeds.push_back(entry.path());
  }
  std::sort(seeds.begin(), seeds.end());
  return seeds;
}

std::vector<uint8_t> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Parses `bytes` from a buffer of exactly that size, so ASan sees any read
// past its end.
void ParseExactly(const std::vector<uint8_t>& bytes, size_t n) {
  std::vector<uint8_t> copy(bytes.begin(), bytes.begin() + n);
  copy.shrink_to_fit();
  (void)ParseGguf(copy).ok();
}

TEST(GgufCorpusTest, EverySeedIsAValidFile) {
  const std::vector<std::filesystem::path> seeds = Seeds();
  ASSERT_GE(seeds.size(), 5u);
  for (const auto& seed : seeds) {
    absl::StatusOr<GgufReader> reader = GgufReader::Open(seed.string());
    EXPECT_TRUE(reader.ok()) << reader.status();
  }
}

TEST(GgufCorpusTest, TruncatedAndMutatedSeedsNeverCrash) {
  constexpr size_t kMutatedPrefix = 1024;
  for (const auto& seed : Seeds()) {
    const std::vector<uint8_t> bytes = ReadFile(seed);
    for (size_t n = 0; n < bytes.size(); ++n) {
      std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + n);
      EXPECT_FALSE(ParseGguf(cut).ok() && n < 24) << seed << " cut at " << n;
    }
    std::vector<uint8_t> mutated = bytes;
    for (size_t i = 0; i < std::min(bytes.size(), kMutatedPrefix); ++i) {
      for (uint8_t v : {uint8_t{0x00}, uint8_t{0xFF}, static_cast<uint8_t>(bytes[i] ^ 0x80)}) {
        mutated[i] = v;
        ParseExactly(mutated, mutated.size());
      }
      mutated[i] = bytes[i];
    }
  }
}

}  // namespace
}  // namespace gridbench::kernels::gguf
