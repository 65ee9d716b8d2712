#pragma once
// Report counts of one service over the windows every service answer shows.

#include <cstdint>
#include <optional>

#include "store/aggregates.h"

namespace om::api {

struct RecentCounts {
  uint64_t last_minute = 0, last_15m = 0, last_60m = 0, last_24h = 0;
};

// Counted reports of the service at `index` in the 1, 15, 60 and 1440 minutes ending with
// `now_minute` (included: the minute in progress counts). All zero when `index` is empty (a
// service with no report yet).
RecentCounts CountRecent(const store::Aggregates& a, std::optional<uint32_t> index,
                         int64_t now_minute);

}  // namespace om::api
