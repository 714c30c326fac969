// ParseGguf on hand-built files: a valid one, and the same file with one
// field broken at a time. Each refusal must name the field and its offset.
#include "kernels/gguf/gguf_parser.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/kernels_gguf/gguf_test_files.h"

namespace gridbench::kernels::gguf {
namespace {

using testing::GgufBytes;
using ::testing::HasSubstr;

// A small valid file: two key/value pairs, a Q8_0 tensor "a" [32, 2] at data
// offset 0 and an F32 tensor "b" [8] at 96. The *_at members are the offsets
// of fields the tests corrupt.
struct ValidFile {
  GgufBytes bytes;
  size_t arch_value_at, alignment_value_at;
  size_t a_n_dims_at, a_dims_at, a_type_at, a_offset_at, b_name_at, b_offset_at;
  size_t data_offset;

  ValidFile() {
    bytes.U32(0x46554747).U32(3).U64(2).U64(2);
    bytes.Str("general.architecture").U32(8);
    arch_value_at = bytes.size();
    bytes.Str("llama");
    bytes.Str("general.alignment").U32(4);
    alignment_value_at = bytes.size();
    bytes.U32(32);
    bytes.Str("a");
    a_n_dims_at = bytes.size();
    bytes.U32(2);
    a_dims_at = bytes.size();
    bytes.U64(32).U64(2);
    a_type_at = bytes.size();
    bytes.U32(8);
    a_offset_at = bytes.size();
    bytes.U64(0);
    b_name_at = bytes.size();
    bytes.Str("b").U32(1).U64(8).U32(0);
    b_offset_at = bytes.size();
    bytes.U64(96);
    bytes.PadTo(32);
    data_offset = bytes.size();
    bytes.str().resize(data_offset + 128, '\x11');
  }
};

std::string ParseError(const GgufBytes& bytes) {
  absl::StatusOr<GgufContents> contents = ParseGguf(bytes.span());
  EXPECT_FALSE(contents.ok());
  if (contents.ok()) return "";
  EXPECT_EQ(contents.status().code(), absl::StatusCode::kInvalidArgument) << contents.status();
  return std::string(contents.status().message());
}

TEST(GgufParserTest, ReadsAValidFile) {
  ValidFile f;
  absl::StatusOr<GgufContents> contents = ParseGguf(f.bytes.span());
  ASSERT_TRUE(contents.ok()) << contents.status();
  EXPECT_EQ(*contents->metadata.Get<std::string>("general.architecture"), "llama");
  EXPECT_EQ(contents->alignment, 32u);
  EXPECT_EQ(contents->data_offset, f.data_offset);
  ASSERT_EQ(contents->tensors.size(), 2u);
  EXPECT_EQ(contents->tensors[0].name, "a");
  EXPECT_EQ(contents->tensors[0].type, quant::QuantType::kQ8_0);
  EXPECT_EQ(contents->tensors[0].shape, (std::vector<int64_t>{32, 2}));
  EXPECT_EQ(contents->tensors[0].byte_size, 68u);
  EXPECT_EQ(contents->tensors[1].offset, 96u);
  EXPECT_EQ(contents->tensors[1].byte_size, 32u);
}

TEST(GgufParserTest, EveryTruncationIsRefusedWithTheFieldItCut) {
  ValidFile f;
  // The last tensor ends at data offset 128, so any shorter file is missing
  // something it needs.
  for (size_t n = 0; n < f.bytes.size(); ++n) {
    GgufBytes cut = f.bytes;
    cut.str().resize(n);
    const std::string message = ParseError(cut);
    EXPECT_THAT(message, ::testing::AnyOf(HasSubstr("(truncated?)"),
                                          HasSubstr("runs past the end of the file"),
                                          HasSubstr("bytes remain")))
        << "cut at " << n;
    EXPECT_THAT(message, HasSubstr(" at offset ")) << "cut at " << n;
  }
}

TEST(GgufParserTest, TruncationMessageNamesFieldAndOffset) {
  ValidFile f;
  f.bytes.str().resize(f.b_offset_at + 3);
  EXPECT_EQ(ParseError(f.bytes), "tensor_info[1].offset: needs 8 bytes but the file ends at " +
                                     std::to_string(f.b_offset_at + 3) +
                                     " (truncated?) at offset " + std::to_string(f.b_offset_at));
}

TEST(GgufParserTest, BadMagic) {
  ValidFile f;
  f.bytes.Patch32(0, 0x46554746);
  EXPECT_THAT(ParseError(f.bytes), HasSubstr("header.magic: expected \"GGUF\""));
}

TEST(GgufParserTest, OldAndUnknownVersions) {
  ValidFile f;
  f.bytes.Patch32(4, 2);
  EXPECT_THAT(ParseError(f.bytes),
              HasSubstr("header.version: GGUF version 2 is not supported; only version 3"));
  f.bytes.Patch32(4, 1);
  EXPECT_THAT(ParseError(f.bytes), HasSubstr("GGUF version 1 is not supported"));
  f.bytes.Patch32(4, 77);
  EXPECT_THAT(ParseError(f.bytes), HasSubstr("header.version: unknown GGUF version 77"));
}

TEST(GgufParserTest, OversizedCounts) {
  ValidFile f;
  f.bytes.Patch64(8, uint64_t{1} << 60);
  EXPECT_THAT(ParseError(f.bytes),
              HasSubstr("header.tensor_count: 1152921504606846976 tensor infos need at least 32 "
                        "bytes each but only"));
  ValidFile g;
  g.bytes.Patch64(16, 1000);
  EXPECT_THAT(ParseError(g.bytes),
              HasSubstr("header.kv_count: 1000 key/value pairs need at least 13 bytes each"));
}

TEST(GgufParserTest, HugeStringLength) {
  ValidFile f;
  f.bytes.Patch64(f.arch_value_at, ~uint64_t{0});
  EXPECT_EQ(ParseError(f.bytes),
            "kv[0] 'general.architecture'.value: string length 18446744073709551615 runs past "
            "the end of the file (" +
                std::to_string(f.bytes.size()) + " bytes) at offset " +
                std::to_string(f.arch_value_at));
}

TEST(GgufParserTest, MisalignedOffset) {
  ValidFile f;
  f.bytes.Patch64(f.b_offset_at, 100);
  EXPECT_EQ(ParseError(f.bytes),
            "tensor_info[1].offset: 100 is not a multiple of the alignment (32) at offset " +
                std::to_string(f.b_offset_at));
}

TEST(GgufParserTest, OutOfRangeOffset) {
  ValidFile f;
  f.bytes.Patch64(f.b_offset_at, 128);
  EXPECT_EQ(ParseError(f.bytes), "tensor_info[1].offset: " + std::to_string(f.data_offset) +
                                     " + 128 + 32 bytes runs past the end of the file (" +
                                     std::to_string(f.bytes.size()) + " bytes) at offset " +
                                     std::to_string(f.b_offset_at));
  f.bytes.Patch64(f.b_offset_at, ~uint64_t{31});
  EXPECT_THAT(ParseError(f.bytes), HasSubstr("runs past the end of the file"));
}

TEST(GgufParserTest, OverlappingTensors) {
  ValidFile f;
  f.bytes.Patch64(f.b_offset_at, 64);
  EXPECT_THAT(ParseError(f.bytes),
              HasSubstr("tensor_info[1].offset: tensor 'b' at 64 overlaps tensor 'a' (0 + 68 "
                        "bytes)"));
}

TEST(GgufParserTest, DuplicateTensorName) {
  ValidFile f;
  f.bytes.str()[f.b_name_at + 8] = 'a';
  EXPECT_EQ(ParseError(f.bytes), "tensor_info[1].name: tensor 'a' appears twice at offset " +
                                     std::to_string(f.b_name_at));
}

TEST(GgufParserTest, BadTensorShapesAndTypes) {
  ValidFile f;
  f.bytes.Patch32(f.a_n_dims_at, 5);
  EXPECT_THAT(ParseError(f.bytes), HasSubstr("tensor_info[0].n_dims: 5 dimensions; a tensor has "
                                             "1 to 4"));
  ValidFile g;
  g.bytes.Patch32(g.a_type_at, 30);
  EXPECT_THAT(ParseError(g.bytes),
              HasSubstr("tensor_info[0].type: ggml type BF16 (30) is not supported"));
  g.bytes.Patch32(g.a_type_at, 99);
  EXPECT_THAT(ParseError(g.bytes), HasSubstr("tensor_info[0].type: ggml type id 99"));
  ValidFile h;
  h.bytes.Patch64(h.a_dims_at, 33);
  EXPECT_THAT(ParseError(h.bytes),
              HasSubstr("tensor_info[0].dims: row length 33 is not a multiple of Q8_0's block "
                        "size 32 at offset " +
                        std::to_string(h.a_dims_at)));
  h.bytes.Patch64(h.a_dims_at, uint64_t{1} << 40);
  h.bytes.Patch64(h.a_dims_at + 8, uint64_t{1} << 40);
  EXPECT_THAT(ParseError(h.bytes), HasSubstr("has more than 2^63 elements"));
  h.bytes.Patch64(h.a_dims_at, 0);
  EXPECT_THAT(ParseError(h.bytes), HasSubstr("dimension 0 is 0"));
}

TEST(GgufParserTest, AlignmentMustBeAPowerOfTwo) {
  ValidFile f;
  f.bytes.Patch32(f.alignment_value_at, 48);
  EXPECT_EQ(ParseError(f.bytes),
            "kv[1] 'general.alignment'.value: alignment 48 is not a power of two at offset " +
                std::to_string(f.alignment_value_at));
}

TEST(GgufParserTest, BadValues) {
  GgufBytes unknown_type;
  unknown_type.U32(0x46554747).U32(3).U64(0).U64(1).Str("k").U32(13).U32(0);
  EXPECT_THAT(ParseError(unknown_type), HasSubstr("kv[0] 'k'.type: unknown value type 13"));

  GgufBytes bad_bool;
  bad_bool.U32(0x46554747).U32(3).U64(0).U64(1).Str("k").U32(7).U8(2);
  EXPECT_THAT(ParseError(bad_bool), HasSubstr("kv[0] 'k'.value: boolean is 2, not 0 or 1"));

  GgufBytes deep;
  deep.U32(0x46554747).U32(3).U64(0).U64(1).Str("k").U32(9);
  for (int i = 0; i < 6; ++i) deep.U32(9).U64(1);
  deep.U32(4).U64(0);
  EXPECT_THAT(ParseError(deep), HasSubstr("arrays nested deeper than 4"));

  GgufBytes long_array;
  long_array.U32(0x46554747).U32(3).U64(0).U64(1).Str("k").U32(9).U32(8).U64(1'000'000);
  long_array.Str("x");
  EXPECT_THAT(ParseError(long_array),
              HasSubstr("kv[0] 'k'.value.count: 1000000 STRING elements need at least 8 bytes"));

  GgufBytes duplicate;
  duplicate.U32(0x46554747).U32(3).U64(0).U64(2).Str("k").U32(0).U8(1).Str("k").U32(0).U8(1);
  EXPECT_THAT(ParseError(duplicate), HasSubstr("kv[1].key: 'k' appears twice at offset 38"));
}

TEST(GgufParserTest, NestedStringArrays) {
  GgufBytes b;
  b.U32(0x46554747).U32(3).U64(0).U64(1).Str("merges").U32(9).U32(9).U64(2);
  b.U32(8).U64(2).Str("a").Str("b");
  b.U32(8).U64(0);
  absl::StatusOr<GgufContents> contents = ParseGguf(b.span());
  ASSERT_TRUE(contents.ok()) << contents.status();
  absl::StatusOr<const std::vector<GgufArray>*> outer =
      contents->metadata.GetArray<GgufArray>("merges");
  ASSERT_TRUE(outer.ok()) << outer.status();
  ASSERT_EQ((*outer)->size(), 2u);
  EXPECT_EQ(std::get<std::vector<std::string>>((**outer)[0].items),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ((**outer)[1].size(), 0u);
  EXPECT_TRUE(contents->tensors.empty());
}

}  // namespace
}  // namespace gridbench::kernels::gguf
