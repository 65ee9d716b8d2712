#include "store/report.h"

#include <gtest/gtest.h>

namespace om::store {
namespace {

Report Sample() {
  Report r;
  r.ts_ms = 1769092620000;
  r.received_ms = 1769092621234;
  r.service = "microsoft-365";
  r.problem = "email";
  r.reporter_key = 0xdeadbeefcafef00dull;
  r.geonameid = 5037649;
  r.region = "US-MN";
  r.country = "US";
  r.lat = 44.98;
  r.lon = -93.26;
  r.city = "Minneapolis";
  r.text = "451 4.3.2 temporary server issue";
  r.source = Source::kWeb;
  return r;
}

TEST(ReportCodecTest, RoundTripsEveryField) {
  std::string buf;
  Report r = Sample();
  r.duplicate = true;
  EncodeReport(r, buf);
  Result<Report> back = DecodeReport(buf);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, r);
}

TEST(ReportCodecTest, RoundTripsWithoutLocation) {
  Report r = Sample();
  r.lat = r.lon = NAN;
  r.geonameid = 0;
  r.ts_ms = -5;  // before the epoch still encodes
  std::string buf;
  EncodeReport(r, buf);
  EXPECT_EQ(*DecodeReport(buf), r);
}

TEST(ReportCodecTest, EveryTruncationIsCorruptionNotACrash) {
  std::string buf;
  EncodeReport(Sample(), buf);
  for (size_t n = 0; n < buf.size(); ++n) {
    Result<Report> r = DecodeReport(std::string_view(buf).substr(0, n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  }
  EXPECT_FALSE(DecodeReport(buf + "x").ok());
}

TEST(ReportCodecTest, SourceNamesRoundTrip) {
  for (std::string_view name : {"api", "web", "app", "social", "probe"}) {
    Source s;
    ASSERT_TRUE(ParseSource(name, s));
    EXPECT_EQ(SourceName(s), name);
  }
  Source s;
  EXPECT_FALSE(ParseSource("fax", s));
}

}  // namespace
}  // namespace om::store
