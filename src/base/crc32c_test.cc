#include "base/crc32c.h"

#include <string>

#include <gtest/gtest.h>

namespace om::crc32c {
namespace {

TEST(Crc32cTest, KnownVectors) {
  // From RFC 3720 appendix B.4.
  char zeros[32] = {};
  EXPECT_EQ(Value(zeros, sizeof zeros), 0x8a9136aau);
  std::string digits = "123456789";
  EXPECT_EQ(Value(digits.data(), digits.size()), 0xe3069283u);
}

TEST(Crc32cTest, ExtendEqualsWhole) {
  std::string s = "hello outage world, a longer string than eight bytes";
  EXPECT_EQ(Extend(Value(s.data(), 10), s.data() + 10, s.size() - 10), Value(s.data(), s.size()));
}

TEST(Crc32cTest, MaskRoundTrips) {
  uint32_t c = Value("foo", 3);
  EXPECT_NE(Mask(c), c);
  EXPECT_EQ(Unmask(Mask(c)), c);
}

}  // namespace
}  // namespace om::crc32c
