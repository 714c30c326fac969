#include "coordinator/store/column_encoding.h"

#include <bit>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace gridbench::coordinator {

namespace {

// Appends `text` as a JSON string literal (RFC 8259: quote, backslash and
// control characters escaped; UTF-8 passes through).
void AppendJsonString(absl::string_view text, std::string& out) {
  out.push_back('"');
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&out, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

}  // namespace

// Written by hand, and read back with SQLite's json_each, rather than through
// google::protobuf::Struct: Struct's maps misbehave under ThreadSanitizer
// with the system (uninstrumented) libprotobuf.
std::string EncodeLabels(const StringMap& labels) {
  std::string json = "{";
  for (const auto& [key, value] : labels) {
    if (json.size() > 1) json.push_back(',');
    AppendJsonString(key, json);
    json.push_back(':');
    AppendJsonString(value, json);
  }
  json.push_back('}');
  return json;
}

std::string EncodeSamples(const google::protobuf::RepeatedField<double>& samples) {
  std::string blob(samples.size() * 8, '\0');
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(blob.data(), samples.data(), blob.size());  // Already the stored layout.
    return blob;
  }
  char* out = blob.data();
  for (const double sample : samples) {
    const auto bits = std::bit_cast<uint64_t>(sample);
    for (int byte = 0; byte < 8; ++byte) *out++ = static_cast<char>(bits >> (8 * byte));
  }
  return blob;
}

absl::StatusOr<std::vector<double>> DecodeSamples(absl::string_view blob) {
  if (blob.size() % 8 != 0) {
    return absl::DataLossError(
        absl::StrCat("samples blob has ", blob.size(), " bytes, not a multiple of 8"));
  }
  std::vector<double> samples;
  samples.reserve(blob.size() / 8);
  for (size_t i = 0; i < blob.size(); i += 8) {
    uint64_t bits = 0;
    for (int byte = 0; byte < 8; ++byte) {
      bits |= static_cast<uint64_t>(static_cast<unsigned char>(blob[i + byte])) << (8 * byte);
    }
    samples.push_back(std::bit_cast<double>(bits));
  }
  return samples;
}

}  // namespace gridbench::coordinator
