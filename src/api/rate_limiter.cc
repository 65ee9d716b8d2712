#include "api/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace om::api {

ClientRateLimiter::ClientRateLimiter(RateLimitOptions options) : options_(options) {}

size_t ClientRateLimiter::ForgetFull(int64_t now_ms) {
  size_t before = buckets_.size();
  double per_ms = options_.per_minute / 60000.0;
  absl::erase_if(buckets_, [&](const auto& entry) {
    const Bucket& b = entry.second;
    return b.tokens + static_cast<double>(now_ms - b.updated_ms) * per_ms >= options_.burst;
  });
  return before - buckets_.size();
}

bool ClientRateLimiter::Allow(std::string_view client, Timestamp now, int* retry_after_seconds,
                              double cost) {
  int64_t now_ms = ToUnixMillis(now);
  double per_ms = options_.per_minute / 60000.0;
  MutexLock lock(mu_);
  // Debian's Abseil has its own string_view type, not std::string_view.
  auto it = buckets_.find(absl::string_view(client.data(), client.size()));
  if (it == buckets_.end()) {
    if (buckets_.size() >= options_.max_clients && ForgetFull(now_ms) == 0) {
      *retry_after_seconds = static_cast<int>(std::ceil(1 / std::max(per_ms * 1000, 1e-9)));
      return false;
    }
    it = buckets_.emplace(std::string(client), Bucket{options_.burst, now_ms}).first;
  }
  Bucket& b = it->second;
  // Clocks may step back (a fake or demo clock): never refill by a negative time.
  int64_t elapsed = std::max<int64_t>(0, now_ms - b.updated_ms);
  b.tokens = std::min(options_.burst, b.tokens + static_cast<double>(elapsed) * per_ms);
  b.updated_ms = std::max(b.updated_ms, now_ms);
  if (b.tokens >= cost) {
    b.tokens -= cost;
    return true;
  }
  double wait_ms = (cost - b.tokens) / std::max(per_ms, 1e-12);
  *retry_after_seconds = std::max(1, static_cast<int>(std::ceil(wait_ms / 1000)));
  return false;
}

bool ClientRateLimiter::HasToken(std::string_view client, Timestamp now,
                                 int* retry_after_seconds) const {
  int64_t now_ms = ToUnixMillis(now);
  double per_ms = options_.per_minute / 60000.0;
  MutexLock lock(mu_);
  auto it = buckets_.find(absl::string_view(client.data(), client.size()));
  if (it == buckets_.end()) return true;
  const Bucket& b = it->second;
  int64_t elapsed = std::max<int64_t>(0, now_ms - b.updated_ms);
  double tokens = std::min(options_.burst, b.tokens + static_cast<double>(elapsed) * per_ms);
  if (tokens >= 1) return true;
  double wait_ms = (1 - tokens) / std::max(per_ms, 1e-12);
  *retry_after_seconds = std::max(1, static_cast<int>(std::ceil(wait_ms / 1000)));
  return false;
}

size_t ClientRateLimiter::clients() const {
  MutexLock lock(mu_);
  return buckets_.size();
}

}  // namespace om::api
