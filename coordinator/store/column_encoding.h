// Encodings of values that have no SQL type of their own: string maps as
// JSON text, sample lists as blobs of little-endian float64s.
//
// Thread-safe (pure functions).
#ifndef GRIDBENCH_COORDINATOR_STORE_COLUMN_ENCODING_H_
#define GRIDBENCH_COORDINATOR_STORE_COLUMN_ENCODING_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/map.h"
#include "google/protobuf/repeated_field.h"

namespace gridbench::coordinator {

using StringMap = google::protobuf::Map<std::string, std::string>;

// {"key":"value",...}; read back with SQLite's json_each (store_reader.cc).
std::string EncodeLabels(const StringMap& labels);

// 8 bytes per sample, little-endian IEEE 754, whatever the host order.
std::string EncodeSamples(const google::protobuf::RepeatedField<double>& samples);
// DATA_LOSS when the length is not a multiple of 8.
absl::StatusOr<std::vector<double>> DecodeSamples(absl::string_view blob);

}  // namespace gridbench::coordinator

#endif  // GRIDBENCH_COORDINATOR_STORE_COLUMN_ENCODING_H_
