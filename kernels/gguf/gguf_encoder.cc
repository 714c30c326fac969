#include "kernels/gguf/gguf_encoder.h"

#include <set>
#include <type_traits>

#include "absl/strings/str_cat.h"

namespace gridbench::kernels::gguf {
namespace {

template <typename T>
void Put(std::string& out, T value) {
  static_assert(std::is_trivially_copyable_v<T>);
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

void PutString(std::string& out, const std::string& s) {
  Put<uint64_t>(out, s.size());
  out.append(s);
}

void PutArray(std::string& out, const GgufArray& array);

// Writes one element or scalar of any GGUF type.
struct ElementWriter {
  std::string& out;
  template <typename T>
  void operator()(const T& v) const {
    if constexpr (std::is_same_v<T, std::string>) {
      PutString(out, v);
    } else if constexpr (std::is_same_v<T, GgufArray>) {
      PutArray(out, v);
    } else if constexpr (std::is_same_v<T, bool>) {
      Put<uint8_t>(out, v ? 1 : 0);
    } else {
      Put<T>(out, v);
    }
  }
};

void PutArray(std::string& out, const GgufArray& array) {
  Put<uint32_t>(out, static_cast<uint32_t>(array.element_type()));
  Put<uint64_t>(out, array.size());
  std::visit(
      [&](const auto& items) {
        using Item = typename std::decay_t<decltype(items)>::value_type;
        if constexpr (std::is_arithmetic_v<Item> && !std::is_same_v<Item, bool>) {
          out.append(reinterpret_cast<const char*>(items.data()), items.size() * sizeof(Item));
        } else {
          for (const auto& item : items) ElementWriter{out}(static_cast<const Item&>(item));
        }
      },
      array.items);
}

absl::StatusOr<uint32_t> AlignmentOf(const GgufMetadata& metadata) {
  const GgufValue* value = metadata.Find(kGgufAlignmentKey);
  if (value == nullptr) return kGgufDefaultAlignment;
  const auto* alignment = std::get_if<uint32_t>(&value->value);
  if (alignment == nullptr || *alignment == 0 || (*alignment & (*alignment - 1)) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(kGgufAlignmentKey, " must be a UINT32 power of two"));
  }
  return *alignment;
}

uint64_t AlignUp(uint64_t n, uint64_t alignment) {
  return (n + alignment - 1) / alignment * alignment;
}

}  // namespace

absl::StatusOr<GgufLayout> LayOutGguf(const GgufMetadata& metadata,
                                      const std::vector<GgufTensorSpec>& tensors) {
  GgufLayout layout;
  auto alignment = AlignmentOf(metadata);
  if (!alignment.ok()) return alignment.status();
  layout.alignment = *alignment;
  std::set<std::string> names;
  for (const GgufTensorSpec& spec : tensors) {
    if (spec.name.empty() || spec.name.size() > kGgufMaxTensorNameBytes) {
      return absl::InvalidArgumentError(absl::StrCat("tensor name '", spec.name, "' must be 1 to ",
                                                     kGgufMaxTensorNameBytes, " bytes"));
    }
    if (!names.insert(spec.name).second) {
      return absl::InvalidArgumentError(absl::StrCat("tensor '", spec.name, "' appears twice"));
    }
    absl::StatusOr<uint64_t> bytes = TensorByteSize(spec.type, spec.shape);
    if (!bytes.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", spec.name, "': ", bytes.status().message()));
    }
    layout.tensors.push_back({spec.name, spec.type, spec.shape, layout.data_bytes, *bytes});
    layout.data_bytes = AlignUp(layout.data_bytes + *bytes, layout.alignment);
  }
  std::string& out = layout.header;
  Put<uint32_t>(out, kGgufMagic);
  Put<uint32_t>(out, kGgufVersion);
  Put<uint64_t>(out, tensors.size());
  Put<uint64_t>(out, metadata.size());
  for (const auto& [key, value] : metadata.entries()) {
    PutString(out, key);
    Put<uint32_t>(out, static_cast<uint32_t>(value.type()));
    std::visit(ElementWriter{out}, value.value);
  }
  for (const GgufTensorInfo& t : layout.tensors) {
    PutString(out, t.name);
    Put<uint32_t>(out, static_cast<uint32_t>(t.shape.size()));
    for (int64_t d : t.shape) Put<uint64_t>(out, static_cast<uint64_t>(d));
    Put<uint32_t>(out, static_cast<uint32_t>(quant::GgmlTypeId(t.type)));
    Put<uint64_t>(out, t.offset);
  }
  out.resize(AlignUp(out.size(), layout.alignment), '\0');
  return layout;
}

}  // namespace gridbench::kernels::gguf
