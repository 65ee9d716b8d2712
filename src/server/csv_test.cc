#include "server/csv.h"

#include <gtest/gtest.h>

namespace om::server {
namespace {

TEST(CsvTest, SplitsQuotedFields) {
  auto f = SplitCsvLine(R"(outlook,"451 4.3.2, ""temporary""",,x)");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, (std::vector<std::string>{"outlook", "451 4.3.2, \"temporary\"", "", "x"}));
  EXPECT_FALSE(SplitCsvLine(R"(a,"unterminated)").ok());
  EXPECT_FALSE(SplitCsvLine(R"(a,b"c)").ok());
}

TEST(CsvTest, RowsBecomeReportJson) {
  CsvHeader h;
  ASSERT_TRUE(h.Parse("service,ts,lat,lon,city,country,text").ok());
  auto json = h.RowToJson("outlook,1769092620000,44.98,-93.26,,,\"a \"\"b\"\"\"");
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(
      *json,
      R"({"service":"outlook","ts":1769092620000,"lat":44.98,"lon":-93.26,"text":"a \"b\""})");
  auto rfc = h.RowToJson("outlook,2026-01-22T14:37:00Z,,,Minneapolis,US,");
  EXPECT_EQ(
      *rfc,
      R"({"service":"outlook","ts":"2026-01-22T14:37:00Z","city":"Minneapolis","country":"US"})");
  EXPECT_EQ(h.RowToJson("outlook,1").status().message(), "row has 2 fields, header has 7");
}

TEST(CsvTest, OnlyJsonNumbersAreWrittenAsNumbers) {
  // strtod reads all of these as numbers; written raw they made the row invalid JSON, and the
  // report parser answered "invalid JSON" instead of naming the field.
  CsvHeader h;
  ASSERT_TRUE(h.Parse("service,ts,lat").ok());
  EXPECT_EQ(*h.RowToJson("teams,nan,inf"), R"({"service":"teams","ts":"nan","lat":"inf"})");
  EXPECT_EQ(*h.RowToJson("teams,0x10, 5"), R"({"service":"teams","ts":"0x10","lat":" 5"})");
  EXPECT_EQ(*h.RowToJson("teams,1.,.5"), R"({"service":"teams","ts":"1.","lat":".5"})");
  EXPECT_EQ(*h.RowToJson("teams,-0,1.5e-3"), R"({"service":"teams","ts":-0,"lat":1.5e-3})");
  EXPECT_EQ(*h.RowToJson("teams,012,1E+2"), R"({"service":"teams","ts":"012","lat":1E+2})");
}

TEST(CsvTest, CellsThatAreNotUtf8NameTheirColumn) {
  CsvHeader h;
  ASSERT_TRUE(h.Parse("service,city").ok());
  EXPECT_EQ(h.RowToJson("team\xff"
                        ",Lyon")
                .status()
                .message(),
            "service: not valid UTF-8");
  EXPECT_EQ(*h.RowToJson("teams,Orl\xc3\xa9"
                         "ans"),
            "{\"service\":\"teams\",\"city\":\"Orl\xc3\xa9"
            "ans\"}");
}

TEST(CsvTest, HeaderErrorsNameTheColumn) {
  CsvHeader h;
  EXPECT_EQ(h.Parse("service,latitude").message(), "header: unknown column \"latitude\"");
  EXPECT_EQ(h.Parse("service,lat,lat").message(), "header: column \"lat\" appears twice");
  EXPECT_EQ(h.Parse("lat,lon").message(), "header: a \"service\" column is required");
}

}  // namespace
}  // namespace om::server
