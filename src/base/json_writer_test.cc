#include "base/json_writer.h"

#include <cmath>

#include <gtest/gtest.h>

namespace om {
namespace {

TEST(JsonWriterTest, WritesNestedStructure) {
  JsonWriter w;
  w.BeginObject()
      .Key("accepted")
      .Int(2)
      .Key("rejected")
      .BeginArray()
      .BeginObject()
      .Key("line")
      .Uint(3)
      .Key("error")
      .String("lat: bad")
      .EndObject()
      .EndArray()
      .Key("ok")
      .Bool(true)
      .Key("ratio")
      .Double(1.5)
      .Key("none")
      .Null()
      .EndObject();
  EXPECT_EQ(
      w.str(),
      R"({"accepted":2,"rejected":[{"line":3,"error":"lat: bad"}],"ok":true,"ratio":1.5,"none":null})");
}

TEST(JsonWriterTest, EscapesQuotesControlAndHtml) {
  JsonWriter w;
  w.String("a\"b\\c\n<script>&\x01");
  EXPECT_EQ(w.str(), R"("a\"b\\c\n\u003cscript\u003e\u0026\u0001")");
}

TEST(JsonWriterTest, NonFiniteBecomesNull) {
  JsonWriter w;
  w.BeginArray().Double(NAN).Double(INFINITY).Int(-1).EndArray();
  EXPECT_EQ(w.str(), "[null,null,-1]");
}

}  // namespace
}  // namespace om
