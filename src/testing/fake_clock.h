#pragma once
// FakeClock: a Clock that only moves when a test says so. Thread-safe.

#include <atomic>

#include "base/time.h"

namespace om::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(Timestamp start = FromUnixMillis(1768867200000))
      : now_ms_(ToUnixMillis(start)) {}
  Timestamp Now() const override { return FromUnixMillis(now_ms_.load()); }
  void Advance(Duration d) { now_ms_.fetch_add(d.count()); }
  void Set(Timestamp t) { now_ms_.store(ToUnixMillis(t)); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace om::testing
