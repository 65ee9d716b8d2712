#include "base/time.h"

#include <gtest/gtest.h>

namespace om {
namespace {

TEST(TimeTest, ParsesUtcAndOffsets) {
  auto t = ParseRfc3339("2026-01-22T14:37:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(ToUnixMillis(*t), 1769092620000);
  auto t2 = ParseRfc3339("2026-01-22T09:37:00.5-05:00");
  ASSERT_TRUE(t2);
  EXPECT_EQ(ToUnixMillis(*t2), 1769092620500);
}

TEST(TimeTest, RejectsMalformed) {
  EXPECT_FALSE(ParseRfc3339("2026-01-22"));
  EXPECT_FALSE(ParseRfc3339("2026-02-30T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-01-22T14:37:00"));
  EXPECT_FALSE(ParseRfc3339("2026-01-22T25:37:00Z"));
  EXPECT_FALSE(ParseRfc3339("2026-01-22T14:37:00Zjunk"));
}

TEST(TimeTest, FormatRoundTrips) {
  auto t = FromUnixMillis(1769092620000);
  EXPECT_EQ(FormatRfc3339(t), "2026-01-22T14:37:00Z");
  EXPECT_EQ(*ParseRfc3339(FormatRfc3339(FromUnixMillis(1769092620123))),
            FromUnixMillis(1769092620123));
}

TEST(TimeTest, MinuteOfFloorsNegative) {
  EXPECT_EQ(MinuteOf(FromUnixMillis(59999)), 0);
  EXPECT_EQ(MinuteOf(FromUnixMillis(-1)), -1);
}

}  // namespace
}  // namespace om

namespace om {
namespace {

TEST(FormatRfc3339WithOffsetTest, WritesLocalTimeThatParsesBackToTheSameInstant) {
  const Timestamp t = FromUnixMillis(1769092620000);  // 2026-01-22T14:37:00Z
  EXPECT_EQ(FormatRfc3339(t, -300), "2026-01-22T09:37:00-05:00");
  EXPECT_EQ(FormatRfc3339(t, 330), "2026-01-22T20:07:00+05:30");
  EXPECT_EQ(FormatRfc3339(t, 0), "2026-01-22T14:37:00Z");
  EXPECT_EQ(FormatRfc3339(t + std::chrono::milliseconds(5), 600), "2026-01-23T00:37:00.005+10:00");
  for (int offset : {-720, -300, 0, 60, 330, 840}) {
    EXPECT_EQ(ParseRfc3339(FormatRfc3339(t, offset)), t) << offset;
  }
}

}  // namespace
}  // namespace om
