#include "coordinator/store/column_encoding.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <bit>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace gridbench::coordinator {

std::string EncodeLabels(const StringMap& labels) {
  google::protobuf::Struct object;
  for (const auto& [key, value] : labels) {
    (*object.mutable_fields())[key].set_string_value(value);
  }
  std::string json;
  // Cannot fail: a Struct of strings always has a JSON form.
  (void)google::protobuf::util::MessageToJsonString(object, &json);
  return json;
}

absl::StatusOr<StringMap> DecodeLabels(absl::string_view json) {
  google::protobuf::Struct object;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &object);
  if (!status.ok()) {
    return absl::DataLossError(absl::StrCat("labels column is not a JSON object: ", json));
  }
  StringMap labels;
  for (const auto& [key, value] : object.fields()) {
    if (value.kind_case() != google::protobuf::Value::kStringValue) {
      return absl::DataLossError(absl::StrCat("label '", key, "' is not a string in ", json));
    }
    labels[key] = value.string_value();
  }
  return labels;
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
