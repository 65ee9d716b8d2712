#include "api/counts.h"

namespace om::api {

RecentCounts CountRecent(const store::Aggregates& a, std::optional<uint32_t> index,
                         int64_t now_minute) {
  RecentCounts c;
  if (!index) return c;
  auto total = [&](int64_t minutes) {
    return a.Total(*index, now_minute - minutes + 1, now_minute + 1);
  };
  c.last_minute = total(1);
  c.last_15m = total(15);
  c.last_60m = total(60);
  c.last_24h = total(1440);
  return c;
}

}  // namespace om::api
