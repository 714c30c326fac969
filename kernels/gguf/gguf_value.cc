#include "kernels/gguf/gguf_value.h"

#include "absl/strings/str_cat.h"

namespace gridbench::kernels::gguf {

std::string GgufValueTypeName(GgufValueType type) {
  static constexpr std::string_view kNames[kGgufValueTypeCount] = {
      "UINT8", "INT8",   "UINT16", "INT16",  "UINT32", "INT32",  "FLOAT32",
      "BOOL",  "STRING", "ARRAY",  "UINT64", "INT64",  "FLOAT64"};
  const auto id = static_cast<uint32_t>(type);
  if (id >= kGgufValueTypeCount) return absl::StrCat("type ", id);
  return std::string(kNames[id]);
}

size_t GgufArray::size() const {
  return std::visit([](const auto& v) { return v.size(); }, items);
}

absl::Status GgufMetadata::Add(std::string key, GgufValue value) {
  if (key.empty()) return absl::InvalidArgumentError("metadata key is empty");
  if (index_.count(key) > 0) {
    return absl::InvalidArgumentError(absl::StrCat("metadata key '", key, "' appears twice"));
  }
  index_.emplace(key, entries_.size());
  entries_.emplace_back(std::move(key), std::move(value));
  return absl::OkStatus();
}

const GgufValue* GgufMetadata::Find(std::string_view key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

absl::StatusOr<const GgufValue*> GgufMetadata::Lookup(std::string_view key,
                                                      GgufValueType want) const {
  const GgufValue* value = Find(key);
  if (value == nullptr) {
    return absl::NotFoundError(absl::StrCat("metadata key '", std::string(key), "' is missing"));
  }
  if (value->type() != want) {
    return absl::InvalidArgumentError(absl::StrCat("metadata key '", std::string(key), "' is ",
                                                   GgufValueTypeName(value->type()), ", expected ",
                                                   GgufValueTypeName(want)));
  }
  return value;
}

absl::Status GgufMetadata::ArrayTypeMismatch(std::string_view key, const GgufArray& array,
                                             GgufValueType want) {
  return absl::InvalidArgumentError(absl::StrCat(
      "metadata key '", std::string(key), "' is an array of ",
      GgufValueTypeName(array.element_type()), ", expected an array of ", GgufValueTypeName(want)));
}

}  // namespace gridbench::kernels::gguf
