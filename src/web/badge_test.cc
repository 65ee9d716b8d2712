#include "web/badge.h"

#include <gtest/gtest.h>

namespace om::web {
namespace {

TEST(BadgeTest, SpellsOutTheStatus) {
  std::string svg = RenderStatusBadge("Microsoft 365", "outage");
  EXPECT_TRUE(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_NE(svg.find(">Microsoft 365</text>"), std::string::npos);
  EXPECT_NE(svg.find(">outage</text>"), std::string::npos);
  EXPECT_NE(svg.find("<title>Microsoft 365: outage</title>"), std::string::npos);
  EXPECT_NE(svg.find("#D55E00"), std::string::npos);
  EXPECT_NE(RenderStatusBadge("X", "normal").find(">no problems</text>"), std::string::npos);
  EXPECT_NE(RenderStatusBadge("X", "possible").find(">possible problems</text>"),
            std::string::npos);
  EXPECT_NE(RenderStatusBadge("X", "bogus").find(">unknown</text>"), std::string::npos);
}

TEST(BadgeTest, HostileLabelIsText) {
  std::string svg = RenderStatusBadge("<script>alert(1)</script>\"' & {}", "normal");
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_NE(svg.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39; &amp; {}"),
            std::string::npos);
}

TEST(BadgeTest, LongLabelIsCutOnACodePoint) {
  std::string name;
  for (int i = 0; i < 50; ++i) name += "\xC3\xA9";  // é
  std::string svg = RenderStatusBadge(name, "normal");
  std::string cut;
  for (int i = 0; i < 40; ++i) cut += "\xC3\xA9";
  EXPECT_NE(svg.find(">" + cut + "\u2026</text>"), std::string::npos);
  // Wider label, wider badge.
  auto width = [](const std::string& s) { return std::stoi(s.substr(s.find("width=\"") + 7)); };
  EXPECT_LT(width(RenderStatusBadge("ab", "normal")), width(svg));
}

TEST(BadgeTest, XmlEscapeDropsControlCharacters) {
  EXPECT_EQ(XmlEscape(std::string("a\x01") + "b"), "a b");
  EXPECT_EQ(XmlEscape("a&b"), "a&amp;b");
}

}  // namespace
}  // namespace om::web
