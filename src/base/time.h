#pragma once
// Time: om::Timestamp is milliseconds since the Unix epoch (UTC). All code reads time through an
// injected Clock so tests and backtests run in event time (testing::FakeClock).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace om {

using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;
using Duration = std::chrono::milliseconds;

// Millisecond spans as 64-bit constants, so that products such as `30 * kMillisPerMinute` are
// computed in 64 bits.
constexpr int64_t kMillisPerMinute = 60'000;
constexpr int64_t kMillisPerHour = 60 * kMillisPerMinute;
constexpr int64_t kMillisPerDay = 24 * kMillisPerHour;
constexpr int64_t kMinutesPerDay = int64_t{24} * 60;

// a / b rounded towards negative infinity (minutes before the epoch fall in the bucket below).
// REQUIRES: b > 0.
constexpr int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

inline int64_t ToUnixMillis(Timestamp t) { return t.time_since_epoch().count(); }
inline Timestamp FromUnixMillis(int64_t ms) { return Timestamp(Duration(ms)); }
// Minutes since the epoch, rounding towards negative infinity.
inline int64_t MinuteOf(Timestamp t) {
  int64_t ms = ToUnixMillis(t);
  return ms >= 0 ? ms / 60000 : -((-ms + 59999) / 60000);
}

// Parses RFC 3339 ("2026-01-22T14:37:00Z", "2026-01-22T09:37:00.5-05:00"). Returns nullopt when
// the text is not a valid RFC 3339 date-time with a zone.
std::optional<Timestamp> ParseRfc3339(std::string_view text);
// Formats as "2026-01-22T14:37:00Z" (milliseconds shown only when non-zero).
std::string FormatRfc3339(Timestamp t);
// Formats in the local time of a zone `offset_minutes` east of UTC: "2026-01-22T09:37:00-05:00".
// REQUIRES: |offset_minutes| < 24 * 60.
std::string FormatRfc3339(Timestamp t, int offset_minutes);

// Clock is the source of "now". Thread-safe implementations only.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp Now() const = 0;
};

// The wall clock. Process-wide instance; stateless.
class SystemClock final : public Clock {
 public:
  Timestamp Now() const override;
  static SystemClock& Instance();
};

}  // namespace om
