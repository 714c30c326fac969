// GGUF metadata: the typed values of the key/value section and an ordered
// key -> value table (GgufMetadata) that the reader fills and the writer
// writes out in order.
//
// Values mirror GGUF's value types one to one: the index of each alternative
// in GgufValue::Storage is the GGUF type id (GgufValueType), so a value's
// type is never stored twice. Arrays keep their elements in a typed vector,
// so a vocabulary of 32000 strings is one std::vector<std::string>.
//
// Thread-safety: plain values; const methods may be called concurrently.
#ifndef GRIDBENCH_KERNELS_GGUF_GGUF_VALUE_H_
#define GRIDBENCH_KERNELS_GGUF_GGUF_VALUE_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/status_macros.h"

namespace gridbench::kernels::gguf {

// GGUF's gguf_metadata_value_type ids.
enum class GgufValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};
inline constexpr uint32_t kGgufValueTypeCount = 13;

// "UINT8", "STRING", "ARRAY", ...; "type 99" for ids outside the enum.
std::string GgufValueTypeName(GgufValueType type);

struct GgufArray;

// An array value: one typed vector, the alternative's index being the element
// type id.
struct GgufArray {
  using Storage = std::variant<std::vector<uint8_t>, std::vector<int8_t>, std::vector<uint16_t>,
                               std::vector<int16_t>, std::vector<uint32_t>, std::vector<int32_t>,
                               std::vector<float>, std::vector<bool>, std::vector<std::string>,
                               std::vector<GgufArray>, std::vector<uint64_t>, std::vector<int64_t>,
                               std::vector<double>>;
  Storage items;

  GgufValueType element_type() const { return static_cast<GgufValueType>(items.index()); }
  size_t size() const;
  bool operator==(const GgufArray&) const = default;
};

struct GgufValue {
  using Storage = std::variant<uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, float, bool,
                               std::string, GgufArray, uint64_t, int64_t, double>;
  Storage value;

  GgufValueType type() const { return static_cast<GgufValueType>(value.index()); }
  bool operator==(const GgufValue&) const = default;
};

// `value` as one line of text for people: numbers as numbers, strings quoted
// (C escapes for quotes, backslashes and control bytes), arrays as
// "[N x TYPE] a, b, c, ..." showing at most `max_items` elements.
std::string GgufValueText(const GgufValue& value, size_t max_items = 8);

// The metadata key/value pairs of one file, in file order, with lookup by key.
class GgufMetadata {
 public:
  // Appends `key` = `value`. INVALID_ARGUMENT if the key is empty or already
  // present (GGUF keys are unique).
  absl::Status Add(std::string key, GgufValue value);

  // The value of `key`, or nullptr.
  const GgufValue* Find(std::string_view key) const;

  // The value of `key` as T, one of GgufValue's scalar alternatives or
  // std::string. NOT_FOUND naming the key if it is missing; INVALID_ARGUMENT
  // naming the key and both types if it holds another type.
  template <typename T>
  absl::StatusOr<T> Get(std::string_view key) const {
    GB_ASSIGN_OR_RETURN(const GgufValue* v, Lookup(key, TypeOf<T>()));
    return std::get<T>(v->value);
  }

  // The elements of array `key`, whose element type must be T (one of
  // GgufArray::Storage's vector element types). Errors as Get. The pointer
  // lives as long as this table is not modified.
  template <typename T>
  absl::StatusOr<const std::vector<T>*> GetArray(std::string_view key) const {
    GB_ASSIGN_OR_RETURN(const GgufValue* v, Lookup(key, GgufValueType::kArray));
    const GgufArray& array = std::get<GgufArray>(v->value);
    const auto* items = std::get_if<std::vector<T>>(&array.items);
    if (items == nullptr) return ArrayTypeMismatch(key, array, TypeOf<std::vector<T>>());
    return items;
  }

  const std::vector<std::pair<std::string, GgufValue>>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  bool operator==(const GgufMetadata& other) const { return entries_ == other.entries_; }

 private:
  template <typename T>
  static constexpr GgufValueType TypeOf() {
    if constexpr (std::is_same_v<T, std::vector<uint8_t>> || std::is_same_v<T, uint8_t>) {
      return GgufValueType::kUint8;
    } else if constexpr (std::is_same_v<T, std::vector<int8_t>> || std::is_same_v<T, int8_t>) {
      return GgufValueType::kInt8;
    } else if constexpr (std::is_same_v<T, std::vector<uint16_t>> || std::is_same_v<T, uint16_t>) {
      return GgufValueType::kUint16;
    } else if constexpr (std::is_same_v<T, std::vector<int16_t>> || std::is_same_v<T, int16_t>) {
      return GgufValueType::kInt16;
    } else if constexpr (std::is_same_v<T, std::vector<uint32_t>> || std::is_same_v<T, uint32_t>) {
      return GgufValueType::kUint32;
    } else if constexpr (std::is_same_v<T, std::vector<int32_t>> || std::is_same_v<T, int32_t>) {
      return GgufValueType::kInt32;
    } else if constexpr (std::is_same_v<T, std::vector<float>> || std::is_same_v<T, float>) {
      return GgufValueType::kFloat32;
    } else if constexpr (std::is_same_v<T, std::vector<bool>> || std::is_same_v<T, bool>) {
      return GgufValueType::kBool;
    } else if constexpr (std::is_same_v<T, std::vector<std::string>> ||
                         std::is_same_v<T, std::string>) {
      return GgufValueType::kString;
    } else if constexpr (std::is_same_v<T, std::vector<GgufArray>> ||
                         std::is_same_v<T, GgufArray>) {
      return GgufValueType::kArray;
    } else if constexpr (std::is_same_v<T, std::vector<uint64_t>> || std::is_same_v<T, uint64_t>) {
      return GgufValueType::kUint64;
    } else if constexpr (std::is_same_v<T, std::vector<int64_t>> || std::is_same_v<T, int64_t>) {
      return GgufValueType::kInt64;
    } else {
      static_assert(std::is_same_v<T, std::vector<double>> || std::is_same_v<T, double>);
      return GgufValueType::kFloat64;
    }
  }

  absl::StatusOr<const GgufValue*> Lookup(std::string_view key, GgufValueType want) const;
  static absl::Status ArrayTypeMismatch(std::string_view key, const GgufArray& array,
                                        GgufValueType want);

  std::vector<std::pair<std::string, GgufValue>> entries_;
  std::map<std::string, size_t, std::less<>> index_;
};

}  // namespace gridbench::kernels::gguf

#endif  // GRIDBENCH_KERNELS_GGUF_GGUF_VALUE_H_
