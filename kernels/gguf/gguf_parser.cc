#include "kernels/gguf/gguf_parser.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace gridbench::kernels::gguf {
namespace {

// Field names are built only when an error needs one, so that reading a
// 32000-entry vocabulary does not format 32000 strings.
using FieldName = absl::FunctionRef<std::string()>;

// Reads little-endian values from `bytes`, never past its end.
class Cursor {
 public:
  explicit Cursor(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  uint64_t pos() const { return pos_; }
  uint64_t size() const { return bytes_.size(); }
  uint64_t remaining() const { return bytes_.size() - pos_; }

  absl::Status Error(FieldName field, uint64_t at, std::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(field(), ": ", std::string(what), " at offset ", at));
  }

  template <typename T>
  absl::StatusOr<T> Read(FieldName field) {
    if (remaining() < sizeof(T)) {
      return Error(field, pos_,
                   absl::StrCat("needs ", sizeof(T), " bytes but the file ends at ", size(),
                                " (truncated?)"));
    }
    T value;
    std::memcpy(&value, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }

  // Copies `n` values of T; the caller has checked that they are there.
  template <typename T>
  std::vector<T> ReadVector(uint64_t n) {
    std::vector<T> values(n);
    if (n == 0) return values;  // memcpy from or to null is undefined even for 0 bytes.
    std::memcpy(values.data(), bytes_.data() + pos_, n * sizeof(T));
    pos_ += n * sizeof(T);
    return values;
  }

  absl::StatusOr<std::string> ReadString(FieldName field) {
    const uint64_t at = pos_;
    GB_ASSIGN_OR_RETURN(const uint64_t length, Read<uint64_t>(field));
    if (length > remaining()) {
      return Error(field, at,
                   absl::StrCat("string length ", length, " runs past the end of the file (",
                                size(), " bytes)"));
    }
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), length);
    pos_ += length;
    return s;
  }

 private:
  std::span<const uint8_t> bytes_;
  uint64_t pos_ = 0;
};

// The fewest bytes one value of `type` takes in a file.
uint64_t MinValueBytes(GgufValueType type) {
  switch (type) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kBool:
      return 1;
    case GgufValueType::kUint16:
    case GgufValueType::kInt16:
      return 2;
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kFloat32:
      return 4;
    case GgufValueType::kString:
    case GgufValueType::kUint64:
    case GgufValueType::kInt64:
    case GgufValueType::kFloat64:
      return 8;
    case GgufValueType::kArray:
      return 12;  // u32 element type + u64 count.
  }
  return 1;
}

absl::StatusOr<GgufValueType> ReadValueType(Cursor& c, FieldName field) {
  const uint64_t at = c.pos();
  GB_ASSIGN_OR_RETURN(const uint32_t id, c.Read<uint32_t>(field));
  if (id >= kGgufValueTypeCount) {
    return c.Error(field, at, absl::StrCat("unknown value type ", id));
  }
  return static_cast<GgufValueType>(id);
}

absl::StatusOr<bool> ReadBool(Cursor& c, FieldName field) {
  const uint64_t at = c.pos();
  GB_ASSIGN_OR_RETURN(const uint8_t b, c.Read<uint8_t>(field));
  if (b > 1) return c.Error(field, at, absl::StrCat("boolean is ", b, ", not 0 or 1"));
  return b == 1;
}

template <typename T>
absl::StatusOr<GgufValue> ReadScalar(Cursor& c, FieldName field) {
  GB_ASSIGN_OR_RETURN(const T v, c.Read<T>(field));
  return GgufValue{GgufValue::Storage(std::in_place_type<T>, v)};
}

template <typename T>
GgufArray NumberArray(Cursor& c, uint64_t n) {
  return GgufArray{GgufArray::Storage(std::in_place_type<std::vector<T>>, c.ReadVector<T>(n))};
}

absl::StatusOr<GgufArray> ReadArray(Cursor& c, int depth, FieldName field) {
  if (depth > kMaxArrayDepth) {
    return c.Error(field, c.pos(), absl::StrCat("arrays nested deeper than ", kMaxArrayDepth));
  }
  GB_ASSIGN_OR_RETURN(const GgufValueType type,
                      ReadValueType(c, [&] { return field() + ".element_type"; }));
  const uint64_t count_at = c.pos();
  auto count_field = [&] { return field() + ".count"; };
  GB_ASSIGN_OR_RETURN(const uint64_t n, c.Read<uint64_t>(count_field));
  if (n > c.remaining() / MinValueBytes(type)) {
    return c.Error(
        count_field, count_at,
        absl::StrCat(n, " ", GgufValueTypeName(type), " elements need at least ",
                     MinValueBytes(type), " bytes each but only ", c.remaining(), " bytes remain"));
  }
  switch (type) {
    case GgufValueType::kUint8:
      return NumberArray<uint8_t>(c, n);
    case GgufValueType::kInt8:
      return NumberArray<int8_t>(c, n);
    case GgufValueType::kUint16:
      return NumberArray<uint16_t>(c, n);
    case GgufValueType::kInt16:
      return NumberArray<int16_t>(c, n);
    case GgufValueType::kUint32:
      return NumberArray<uint32_t>(c, n);
    case GgufValueType::kInt32:
      return NumberArray<int32_t>(c, n);
    case GgufValueType::kFloat32:
      return NumberArray<float>(c, n);
    case GgufValueType::kUint64:
      return NumberArray<uint64_t>(c, n);
    case GgufValueType::kInt64:
      return NumberArray<int64_t>(c, n);
    case GgufValueType::kFloat64:
      return NumberArray<double>(c, n);
    case GgufValueType::kBool: {
      std::vector<bool> values(n);
      for (uint64_t i = 0; i < n; ++i) {
        GB_ASSIGN_OR_RETURN(values[i],
                            ReadBool(c, [&] { return absl::StrCat(field(), "[", i, "]"); }));
      }
      return GgufArray{std::move(values)};
    }
    case GgufValueType::kString: {
      std::vector<std::string> values(n);
      for (uint64_t i = 0; i < n; ++i) {
        GB_ASSIGN_OR_RETURN(values[i],
                            c.ReadString([&] { return absl::StrCat(field(), "[", i, "]"); }));
      }
      return GgufArray{std::move(values)};
    }
    case GgufValueType::kArray: {
      std::vector<GgufArray> values(n);
      for (uint64_t i = 0; i < n; ++i) {
        GB_ASSIGN_OR_RETURN(
            values[i], ReadArray(c, depth + 1, [&] { return absl::StrCat(field(), "[", i, "]"); }));
      }
      return GgufArray{std::move(values)};
    }
  }
  return c.Error(field, count_at, "unreachable value type");
}

absl::StatusOr<GgufValue> ReadValue(Cursor& c, GgufValueType type, FieldName field) {
  switch (type) {
    case GgufValueType::kUint8:
      return ReadScalar<uint8_t>(c, field);
    case GgufValueType::kInt8:
      return ReadScalar<int8_t>(c, field);
    case GgufValueType::kUint16:
      return ReadScalar<uint16_t>(c, field);
    case GgufValueType::kInt16:
      return ReadScalar<int16_t>(c, field);
    case GgufValueType::kUint32:
      return ReadScalar<uint32_t>(c, field);
    case GgufValueType::kInt32:
      return ReadScalar<int32_t>(c, field);
    case GgufValueType::kFloat32:
      return ReadScalar<float>(c, field);
    case GgufValueType::kUint64:
      return ReadScalar<uint64_t>(c, field);
    case GgufValueType::kInt64:
      return ReadScalar<int64_t>(c, field);
    case GgufValueType::kFloat64:
      return ReadScalar<double>(c, field);
    case GgufValueType::kBool: {
      GB_ASSIGN_OR_RETURN(const bool b, ReadBool(c, field));
      return GgufValue{b};
    }
    case GgufValueType::kString: {
      GB_ASSIGN_OR_RETURN(std::string s, c.ReadString(field));
      return GgufValue{std::move(s)};
    }
    case GgufValueType::kArray: {
      GB_ASSIGN_OR_RETURN(GgufArray a, ReadArray(c, 1, field));
      return GgufValue{std::move(a)};
    }
  }
  return c.Error(field, c.pos(), "unreachable value type");
}

// Refuses a count of items needing at least `item_bytes` each that cannot fit
// in what is left of the file.
absl::Status CheckCount(const Cursor& c, uint64_t count, uint64_t item_bytes, uint64_t at,
                        std::string_view field, std::string_view items) {
  if (count <= c.remaining() / item_bytes) return absl::OkStatus();
  return c.Error([&] { return std::string(field); }, at,
                 absl::StrCat(count, " ", std::string(items), " need at least ", item_bytes,
                              " bytes each but only ", c.remaining(), " bytes remain"));
}

absl::Status ReadHeader(Cursor& c, uint64_t& tensor_count, uint64_t& kv_count) {
  GB_ASSIGN_OR_RETURN(const uint32_t magic, c.Read<uint32_t>([] { return "header.magic"; }));
  if (magic != kGgufMagic) {
    return c.Error(
        [] { return "header.magic"; }, 0,
        absl::StrCat("expected \"GGUF\" (0x", absl::Hex(kGgufMagic, absl::kZeroPad8), "), got 0x",
                     absl::Hex(magic, absl::kZeroPad8), "; not a GGUF file"));
  }
  GB_ASSIGN_OR_RETURN(const uint32_t version, c.Read<uint32_t>([] { return "header.version"; }));
  if (version != kGgufVersion) {
    return c.Error([] { return "header.version"; }, 4,
                   version == 1 || version == 2
                       ? absl::StrCat("GGUF version ", version,
                                      " is not supported; only version 3 is (convert the file "
                                      "with a current GGUF tool)")
                       : absl::StrCat("unknown GGUF version ", version,
                                      "; only version 3 is "
                                      "supported"));
  }
  GB_ASSIGN_OR_RETURN(tensor_count, c.Read<uint64_t>([] { return "header.tensor_count"; }));
  GB_ASSIGN_OR_RETURN(kv_count, c.Read<uint64_t>([] { return "header.kv_count"; }));
  // Minimum sizes: a key/value pair with an empty key and a one-byte value,
  // and a tensor info with an empty name and one dimension.
  GB_RETURN_IF_ERROR(
      CheckCount(c, tensor_count, 8 + 4 + 8 + 4 + 8, 8, "header.tensor_count", "tensor infos"));
  return CheckCount(c, kv_count, 8 + 4 + 1, 16, "header.kv_count", "key/value pairs");
}

// Reads the key/value section; `value_at[i]` is where the i-th value starts.
absl::Status ReadMetadata(Cursor& c, uint64_t kv_count, GgufMetadata& metadata,
                          std::vector<uint64_t>& value_at) {
  for (uint64_t i = 0; i < kv_count; ++i) {
    const uint64_t key_at = c.pos();
    auto key_field = [&] { return absl::StrCat("kv[", i, "].key"); };
    GB_ASSIGN_OR_RETURN(std::string key, c.ReadString(key_field));
    if (key.empty()) return c.Error(key_field, key_at, "key is empty");
    if (metadata.Find(key) != nullptr) {
      return c.Error(key_field, key_at, absl::StrCat("'", key, "' appears twice"));
    }
    auto field = [&] { return absl::StrCat("kv[", i, "] '", key, "'"); };
    GB_ASSIGN_OR_RETURN(const GgufValueType type,
                        ReadValueType(c, [&] { return field() + ".type"; }));
    value_at.push_back(c.pos());
    GB_ASSIGN_OR_RETURN(GgufValue value, ReadValue(c, type, [&] { return field() + ".value"; }));
    GB_RETURN_IF_ERROR(metadata.Add(std::move(key), std::move(value)));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> AlignmentOf(const Cursor& c, const GgufMetadata& metadata,
                                     const std::vector<uint64_t>& value_at) {
  const auto& entries = metadata.entries();
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].first != kGgufAlignmentKey) continue;
    auto field = [&] { return absl::StrCat("kv[", i, "] '", kGgufAlignmentKey, "'.value"); };
    const auto* alignment = std::get_if<uint32_t>(&entries[i].second.value);
    if (alignment == nullptr) {
      return c.Error(
          field, value_at[i],
          absl::StrCat("is ", GgufValueTypeName(entries[i].second.type()), ", must be UINT32"));
    }
    if (*alignment == 0 || (*alignment & (*alignment - 1)) != 0) {
      return c.Error(field, value_at[i],
                     absl::StrCat("alignment ", *alignment, " is not a power of two"));
    }
    return *alignment;
  }
  return kGgufDefaultAlignment;
}

absl::StatusOr<quant::QuantType> ReadTensorType(Cursor& c, FieldName field) {
  const uint64_t at = c.pos();
  GB_ASSIGN_OR_RETURN(const uint32_t id, c.Read<uint32_t>(field));
  if (id == kGgmlTypeBf16) {
    return c.Error(field, at, "ggml type BF16 (30) is not supported");
  }
  if (id > static_cast<uint32_t>(std::numeric_limits<int>::max())) {
    return c.Error(field, at, absl::StrCat("unknown ggml type ", id));
  }
  absl::StatusOr<quant::QuantType> type = quant::QuantTypeFromGgmlId(static_cast<int>(id));
  if (!type.ok()) return c.Error(field, at, std::string(type.status().message()));
  return *type;
}

// Reads one tensor info; `offset_at` is where its offset field starts.
absl::StatusOr<GgufTensorInfo> ReadTensorInfo(Cursor& c, uint64_t i, uint64_t& offset_at) {
  auto field = [&](std::string_view name) {
    return absl::StrCat("tensor_info[", i, "].", std::string(name));
  };
  GgufTensorInfo t;
  GB_ASSIGN_OR_RETURN(t.name, c.ReadString([&] { return field("name"); }));
  const uint64_t n_dims_at = c.pos();
  GB_ASSIGN_OR_RETURN(const uint32_t n_dims, c.Read<uint32_t>([&] { return field("n_dims"); }));
  if (n_dims == 0 || n_dims > kGgufMaxDims) {
    return c.Error([&] { return field("n_dims"); }, n_dims_at,
                   absl::StrCat(n_dims, " dimensions; a tensor has 1 to ", kGgufMaxDims));
  }
  const uint64_t dims_at = c.pos();
  for (uint32_t d = 0; d < n_dims; ++d) {
    const uint64_t at = c.pos();
    auto dim_field = [&] { return absl::StrCat(field("dims"), "[", d, "]"); };
    GB_ASSIGN_OR_RETURN(const uint64_t dim, c.Read<uint64_t>(dim_field));
    if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return c.Error(dim_field, at, absl::StrCat("dimension ", dim, " is past 2^63"));
    }
    t.shape.push_back(static_cast<int64_t>(dim));
  }
  GB_ASSIGN_OR_RETURN(t.type, ReadTensorType(c, [&] { return field("type"); }));
  absl::StatusOr<uint64_t> byte_size = TensorByteSize(t.type, t.shape);
  if (!byte_size.ok()) {
    return c.Error([&] { return field("dims"); }, dims_at,
                   std::string(byte_size.status().message()));
  }
  t.byte_size = *byte_size;
  offset_at = c.pos();
  GB_ASSIGN_OR_RETURN(t.offset, c.Read<uint64_t>([&] { return field("offset"); }));
  return t;
}

// Checks every tensor's offset for alignment and extent, and that no two
// tensors share bytes.
absl::Status CheckExtents(const Cursor& c, const GgufContents& contents,
                          const std::vector<uint64_t>& offset_at) {
  const uint64_t data_bytes = c.size() - std::min(c.size(), contents.data_offset);
  for (size_t i = 0; i < contents.tensors.size(); ++i) {
    const GgufTensorInfo& t = contents.tensors[i];
    auto field = [&] { return absl::StrCat("tensor_info[", i, "].offset"); };
    if (t.offset % contents.alignment != 0) {
      return c.Error(
          field, offset_at[i],
          absl::StrCat(t.offset, " is not a multiple of the alignment (", contents.alignment, ")"));
    }
    if (t.offset > data_bytes || t.byte_size > data_bytes - t.offset) {
      return c.Error(field, offset_at[i],
                     absl::StrCat(contents.data_offset, " + ", t.offset, " + ", t.byte_size,
                                  " bytes runs past the end of the file (", c.size(), " bytes)"));
    }
  }
  std::vector<size_t> order(contents.tensors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return contents.tensors[a].offset < contents.tensors[b].offset;
  });
  for (size_t k = 1; k < order.size(); ++k) {
    const GgufTensorInfo& prev = contents.tensors[order[k - 1]];
    const GgufTensorInfo& next = contents.tensors[order[k]];
    if (prev.offset + prev.byte_size > next.offset) {
      return c.Error([&] { return absl::StrCat("tensor_info[", order[k], "].offset"); },
                     offset_at[order[k]],
                     absl::StrCat("tensor '", next.name, "' at ", next.offset, " overlaps tensor '",
                                  prev.name, "' (", prev.offset, " + ", prev.byte_size, " bytes)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<GgufContents> ParseGguf(std::span<const uint8_t> bytes) {
  Cursor c(bytes);
  uint64_t tensor_count = 0, kv_count = 0;
  GB_RETURN_IF_ERROR(ReadHeader(c, tensor_count, kv_count));
  GgufContents contents;
  std::vector<uint64_t> value_at;
  GB_RETURN_IF_ERROR(ReadMetadata(c, kv_count, contents.metadata, value_at));
  GB_ASSIGN_OR_RETURN(contents.alignment, AlignmentOf(c, contents.metadata, value_at));
  GB_RETURN_IF_ERROR(
      CheckCount(c, tensor_count, 8 + 4 + 8 + 4 + 8, 8, "header.tensor_count", "tensor infos"));
  std::vector<uint64_t> offset_at(tensor_count);
  std::set<std::string, std::less<>> names;
  for (uint64_t i = 0; i < tensor_count; ++i) {
    const uint64_t name_at = c.pos();
    GB_ASSIGN_OR_RETURN(GgufTensorInfo t, ReadTensorInfo(c, i, offset_at[i]));
    if (!names.insert(t.name).second) {
      return c.Error([&] { return absl::StrCat("tensor_info[", i, "].name"); }, name_at,
                     absl::StrCat("tensor '", t.name, "' appears twice"));
    }
    contents.tensors.push_back(std::move(t));
  }
  const uint64_t a = contents.alignment;
  contents.data_offset = (c.pos() + a - 1) / a * a;
  GB_RETURN_IF_ERROR(CheckExtents(c, contents, offset_at));
  return contents;
}

}  // namespace gridbench::kernels::gguf
