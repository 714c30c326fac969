#include "coordinator/store/row_ids.h"

#include "absl/strings/str_cat.h"
#include "common/crypto.h"

namespace gridbench::coordinator {

std::string RandomRowId(absl::string_view prefix) {
  return absl::StrCat(prefix, ToHex(RandomBytes(8)));
}

std::string TimeOrderedRowId(absl::string_view prefix, int64_t now_unix_nanos) {
  const auto millis = static_cast<uint64_t>(now_unix_nanos / 1'000'000);
  return absl::StrCat(prefix, absl::Hex(millis, absl::kZeroPad12), ToHex(RandomBytes(8)));
}

}  // namespace gridbench::coordinator
