#include "json/json_fields.h"

#include <gtest/gtest.h>

namespace om::json {
namespace {

TEST(JsonFieldsTest, ReadsStringsAndNamesWhatIsWrong) {
  auto ok = ParseStringFields(R"({"body":"Fixed \"it\"","status":"resolved"})", {"body", "status"});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->at("body"), "Fixed \"it\"");
  EXPECT_EQ(ok->at("status"), "resolved");
  EXPECT_EQ(ParseStringFields(R"({"body":1})", {"body"}).status().message(),
            "body: must be a string");
  EXPECT_EQ(ParseStringFields(R"({"bdy":"x"})", {"body"}).status().message(), "bdy: unknown field");
  EXPECT_EQ(ParseStringFields("[1]", {"body"}).status().message(), "body must be a JSON object");
  EXPECT_EQ(ParseStringFields(R"({"body":"x"} {})", {"body"}).status().message(),
            "invalid JSON: trailing content after the object");
  EXPECT_FALSE(ParseStringFields("{\"body\":", {"body"}).ok());
  EXPECT_TRUE(ParseStringFields("{}", {"body"})->empty());
}

TEST(JsonFieldsTest, ReadsListsOfStrings) {
  auto ok = ParseFields(R"({"body":"x","components":["a-1","b-2"],"from":[]})", {"body"},
                        {"components", "from"});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->strings.at("body"), "x");
  EXPECT_EQ(ok->lists.at("components"), (std::vector<std::string>{"a-1", "b-2"}));
  EXPECT_TRUE(ok->lists.at("from").empty());
  EXPECT_EQ(ParseFields(R"({"from":"OM1"})", {}, {"from"}).status().message(),
            "from: must be an array of strings");
  EXPECT_EQ(ParseFields(R"({"from":["OM1",2]})", {}, {"from"}).status().message(),
            "from: must be an array of strings");
  EXPECT_EQ(ParseFields(R"({"body":["x"]})", {"body"}, {}).status().message(),
            "body: must be a string");
  EXPECT_EQ(ParseFields(R"({"from":["a","b","c"]})", {}, {"from"}, 2).status().message(),
            "from: at most 2 items");
}

TEST(JsonFieldsTest, StringAtPointer) {
  const std::string summary =
      R"({"page":{"id":"x"},"status":{"indicator":"minor","description":"Partial \"outage\""},"components":[{"status":"operational"}]})";
  EXPECT_EQ(*StringAtPointer(summary, "/status/indicator"), "minor");
  EXPECT_EQ(*StringAtPointer(summary, "/status/description"), "Partial \"outage\"");
  EXPECT_EQ(*StringAtPointer(summary, "/components/0/status"), "operational");
  EXPECT_EQ(StringAtPointer(summary, "/status/nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(StringAtPointer(summary, "/page").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(StringAtPointer("<html>rate limited</html>", "/status/indicator").status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace om::json
