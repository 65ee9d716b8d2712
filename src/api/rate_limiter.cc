#include "api/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace om::api {

ClientRateLimiter::ClientRateLimiter(RateLimitOptions options) : options_(options) {}

size_t ClientRateLimiter::ForgetFull(int64_t now_ms) {
  size_t before = buckets_.size();
  absl::erase_if(buckets_, [&](const auto& entry) {
    return TokensAt(entry.second, now_ms) >= options_.burst;
  });
  return before - buckets_.size();
}

bool ClientRateLimiter::Allow(std::string_view client, Timestamp now, int* retry_after_seconds,
                              double cost) {
  int64_t now_ms = ToUnixMillis(now);
  MutexLock lock(mu_);
  // Debian's Abseil has its own string_view type, not std::string_view.
  auto it = buckets_.find(absl::string_view(client.data(), client.size()));
  if (it == buckets_.end()) {
    if (buckets_.size() >= options_.max_clients && ForgetFull(now_ms) == 0) {
      *retry_after_seconds = SecondsUntil(1);
      return false;
    }
    it = buckets_.emplace(std::string(client), Bucket{options_.burst, now_ms}).first;
  }
  Bucket& b = it->second;
  b.tokens = TokensAt(b, now_ms);
  b.updated_ms = std::max(b.updated_ms, now_ms);
  if (b.tokens >= cost) {
    b.tokens -= cost;
    return true;
  }
  *retry_after_seconds = SecondsUntil(cost - b.tokens);
  return false;
}

double ClientRateLimiter::TokensAt(const Bucket& b, int64_t now_ms) const {
  // Clocks may step back (a fake or demo clock): never refill by a negative time.
  int64_t elapsed = std::max<int64_t>(0, now_ms - b.updated_ms);
  return std::min(options_.burst,
                  b.tokens + static_cast<double>(elapsed) * options_.per_minute / 60000.0);
}

int ClientRateLimiter::SecondsUntil(double missing_tokens) const {
  double wait_ms = missing_tokens / std::max(options_.per_minute / 60000.0, 1e-12);
  return std::max(1, static_cast<int>(std::ceil(wait_ms / 1000)));
}

bool ClientRateLimiter::HasToken(std::string_view client, Timestamp now,
                                 int* retry_after_seconds) const {
  MutexLock lock(mu_);
  auto it = buckets_.find(absl::string_view(client.data(), client.size()));
  if (it == buckets_.end()) return true;
  double tokens = TokensAt(it->second, ToUnixMillis(now));
  if (tokens >= 1) return true;
  *retry_after_seconds = SecondsUntil(1 - tokens);
  return false;
}

size_t ClientRateLimiter::clients() const {
  MutexLock lock(mu_);
  return buckets_.size();
}

}  // namespace om::api
