#pragma once
// ClientRateLimiter: a token bucket per client address, for the public report form (POST
// /api/v1/web/reports), which needs no key and so must limit each client instead. A client may
// send `burst` requests at once and `per_minute` a minute after that.
//
// Bounded: at most `max_clients` buckets. When full, buckets that have refilled completely are
// forgotten (they hold no information: a new bucket starts full too); if none has, the request is
// refused (fail closed), so a flood of addresses cannot grow memory or disable the limit.
//
// Thread-safety: Allow() from any thread (one mutex; held for a hash lookup).

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "base/mutex.h"
#include "base/time.h"

namespace om::api {

struct RateLimitOptions {
  // Sustained requests per minute per client.
  double per_minute = 10;
  // Requests a client may make at once.
  double burst = 5;
  // Most clients tracked at once.
  size_t max_clients = 100000;
};

class ClientRateLimiter {
 public:
  explicit ClientRateLimiter(RateLimitOptions options);

  // Takes `cost` tokens (a request: 1; a batch: its lines) from `client`'s bucket at time `now`.
  // True when allowed; otherwise false with `*retry_after_seconds` (>= 1) set to when enough
  // tokens are due. REQUIRES: 0 < cost <= burst (a larger cost can never be allowed).
  bool Allow(std::string_view client, Timestamp now, int* retry_after_seconds, double cost = 1);

  // Whether `client` holds at least one token at `now`, taking none: false (with
  // `*retry_after_seconds`) when any request of it would be refused. The report intake asks this
  // before parsing a batch, so that an address far over its limit costs a header, not a parse.
  // An unknown client: true.
  bool HasToken(std::string_view client, Timestamp now, int* retry_after_seconds) const;

  double burst() const { return options_.burst; }

  size_t clients() const;

 private:
  struct Bucket {
    double tokens;
    int64_t updated_ms;
  };
  // The tokens `b` holds at `now_ms`, refilled since it was last updated (up to the burst).
  double TokensAt(const Bucket& b, int64_t now_ms) const;
  // The Retry-After, in whole seconds (at least 1), for `missing_tokens` to be refilled.
  int SecondsUntil(double missing_tokens) const;
  // Removes buckets that would be full at `now_ms`. Returns how many.
  size_t ForgetFull(int64_t now_ms) OM_REQUIRES(mu_);

  const RateLimitOptions options_;
  mutable Mutex mu_;
  absl::flat_hash_map<std::string, Bucket> buckets_ OM_GUARDED_BY(mu_);
};

}  // namespace om::api
