#include "detect/phrases.h"

#include <gtest/gtest.h>

namespace om::detect {
namespace {

TEST(PhrasesTest, ErrorCodesFirstWithTheirMostCommonText) {
  std::vector<std::string> texts = {
      "451 4.3.2 temporary server issue",
      "451 4.3.2 temporary server issue",
      "Emails stuck in outbox: 451 4.3.2 temporary server issue",
      "can't sign in",
      "Can't sign in!",
      "can't  sign in",
      "teams won't connect",
      "Error 0x80070005 when opening",
  };
  auto top = TopPhrases(texts, 5);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].code, "451 4.3.2");
  EXPECT_EQ(top[0].text, "451 4.3.2 temporary server issue");
  EXPECT_EQ(top[0].count, 3u);
  EXPECT_NEAR(top[0].share, 3.0 / 8, 1e-9);
  EXPECT_EQ(top[1].code, "0x80070005");
  EXPECT_EQ(top[2].code, "");
  EXPECT_EQ(top[2].count, 3u) << "case, blanks and trailing punctuation folded";
}

TEST(PhrasesTest, HttpStyleCodesAndLimits) {
  std::vector<std::string> texts = {"HTTP 503 everywhere", "http 503", "Error: 502", "ok"};
  auto top = TopPhrases(texts, 1);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].code, "http 503");
  EXPECT_EQ(top[0].count, 2u);
  EXPECT_TRUE(TopPhrases({}, 5).empty());
  EXPECT_TRUE(TopPhrases({"just once"}, 5).empty()) << "a phrase needs two reporters";
}

}  // namespace
}  // namespace om::detect
