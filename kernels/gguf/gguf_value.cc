#include "kernels/gguf/gguf_value.h"

#include "absl/strings/escaping.h"
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

namespace {

std::string Quoted(const std::string& s) { return absl::StrCat("\"", absl::CEscape(s), "\""); }

struct ItemText {
  size_t max_items;
  std::string operator()(const std::string& s) const { return Quoted(s); }
  std::string operator()(bool b) const { return b ? "true" : "false"; }
  std::string operator()(uint8_t v) const { return absl::StrCat(v); }
  std::string operator()(int8_t v) const { return absl::StrCat(v); }
  std::string operator()(const GgufArray& a) const {
    std::string text = absl::StrCat("[", a.size(), " x ", GgufValueTypeName(a.element_type()), "]");
    std::visit(
        [&](const auto& items) {
          for (size_t i = 0; i < items.size() && i < max_items; ++i) {
            using Item = typename std::decay_t<decltype(items)>::value_type;
            absl::StrAppend(&text, i == 0 ? " " : ", ", (*this)(static_cast<Item>(items[i])));
          }
        },
        a.items);
    if (a.size() > max_items) absl::StrAppend(&text, ", ...");
    return text;
  }
  template <typename T>
  std::string operator()(T v) const {
    return absl::StrCat(v);
  }
};

}  // namespace

std::string GgufValueText(const GgufValue& value, size_t max_items) {
  return std::visit(ItemText{max_items}, value.value);
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
