#include "coordinator/store/row_ids.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"

namespace gridbench::coordinator {

std::string RandomRowId(absl::string_view prefix) {
  return absl::StrCat(prefix, ToHex(RandomBytes(8)));
}

std::string TimeOrderedRowId(absl::string_view prefix, int64_t now_unix_nanos) {
  // Orders the ids made within one millisecond (a job's tasks are made
  // together); it wraps after 65536, long after the millisecond has passed.
  static std::atomic<uint16_t> sequence{0};
  const auto millis = static_cast<uint64_t>(now_unix_nanos / 1'000'000);
  return absl::StrCat(prefix, absl::Hex(millis, absl::kZeroPad12),
                      absl::Hex(sequence.fetch_add(1, std::memory_order_relaxed), absl::kZeroPad4),
                      ToHex(RandomBytes(6)));
}

}  // namespace gridbench::coordinator
