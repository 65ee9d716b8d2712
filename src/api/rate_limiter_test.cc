#include "api/rate_limiter.h"

#include <gtest/gtest.h>

namespace om::api {
namespace {

constexpr int64_t kT0 = 1769092620000;

TEST(RateLimiterTest, BurstThenSustainedRate) {
  ClientRateLimiter limiter({.per_minute = 6, .burst = 3, .max_clients = 10});
  int retry = 0;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow("a", FromUnixMillis(kT0), &retry)) << i;
  EXPECT_FALSE(limiter.Allow("a", FromUnixMillis(kT0), &retry));
  EXPECT_EQ(retry, 10);  // 6 a minute: one token every 10 s
  // Another client is not affected.
  EXPECT_TRUE(limiter.Allow("b", FromUnixMillis(kT0), &retry));
  EXPECT_FALSE(limiter.Allow("a", FromUnixMillis(kT0 + 9000), &retry));
  EXPECT_EQ(retry, 1);
  EXPECT_TRUE(limiter.Allow("a", FromUnixMillis(kT0 + 10000), &retry));
  EXPECT_FALSE(limiter.Allow("a", FromUnixMillis(kT0 + 10000), &retry));
  // A long pause refills to the burst, not beyond.
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(limiter.Allow("a", FromUnixMillis(kT0 + 3600000), &retry));
  EXPECT_FALSE(limiter.Allow("a", FromUnixMillis(kT0 + 3600000), &retry));
}

TEST(RateLimiterTest, HasTokenLooksWithoutTaking) {
  ClientRateLimiter limiter({.per_minute = 6, .burst = 2, .max_clients = 10});
  int retry = 0;
  EXPECT_TRUE(limiter.HasToken("a", FromUnixMillis(kT0), &retry)) << "unknown: yes";
  EXPECT_TRUE(limiter.Allow("a", FromUnixMillis(kT0), &retry, 2));
  EXPECT_FALSE(limiter.HasToken("a", FromUnixMillis(kT0), &retry));
  EXPECT_EQ(retry, 10);
  EXPECT_FALSE(limiter.HasToken("a", FromUnixMillis(kT0 + 9000), &retry));
  EXPECT_EQ(retry, 1);
  EXPECT_TRUE(limiter.HasToken("a", FromUnixMillis(kT0 + 10000), &retry));
  EXPECT_TRUE(limiter.HasToken("a", FromUnixMillis(kT0 + 10000), &retry)) << "nothing taken";
  EXPECT_TRUE(limiter.Allow("a", FromUnixMillis(kT0 + 10000), &retry));
  EXPECT_FALSE(limiter.Allow("a", FromUnixMillis(kT0 + 10000), &retry));
}

TEST(RateLimiterTest, ClockGoingBackDoesNotRefill) {
  ClientRateLimiter limiter({.per_minute = 60, .burst = 1, .max_clients = 10});
  int retry = 0;
  EXPECT_TRUE(limiter.Allow("a", FromUnixMillis(kT0), &retry));
  EXPECT_FALSE(limiter.Allow("a", FromUnixMillis(kT0 - 600000), &retry));
  EXPECT_FALSE(limiter.Allow("a", FromUnixMillis(kT0 + 500), &retry));
  EXPECT_TRUE(limiter.Allow("a", FromUnixMillis(kT0 + 1000), &retry));
}

TEST(RateLimiterTest, BoundedClientsForgetRefilledBucketsAndFailClosed) {
  ClientRateLimiter limiter({.per_minute = 1, .burst = 2, .max_clients = 3});
  int retry = 0;
  for (const char* c : {"a", "b", "c"}) EXPECT_TRUE(limiter.Allow(c, FromUnixMillis(kT0), &retry));
  EXPECT_EQ(limiter.clients(), 3u);
  // Full, and no bucket has refilled: a new client is refused rather than tracked.
  EXPECT_FALSE(limiter.Allow("d", FromUnixMillis(kT0), &retry));
  EXPECT_GE(retry, 1);
  EXPECT_EQ(limiter.clients(), 3u);
  // A minute later every bucket is full again and may be forgotten.
  EXPECT_TRUE(limiter.Allow("d", FromUnixMillis(kT0 + 60000), &retry));
  EXPECT_EQ(limiter.clients(), 1u);
}

}  // namespace
}  // namespace om::api
