#include "detect/localize.h"

#include <gtest/gtest.h>

#include "base/time.h"

namespace om::detect {
namespace {

constexpr int64_t kT0 = 29'500'000;

class LocalizeTest : public ::testing::Test {
 protected:
  void Add(int64_t minute, uint32_t city, uint32_t n) {
    store::Report r;
    r.service = "outlook";
    r.problem = "email";
    r.ts_ms = minute * 60000;
    r.geonameid = city;
    r.region = city == kMetro ? "US-CA" : "US-MN";
    r.country = "US";
    a_.AddCount(r, n);
  }
  static constexpr uint32_t kMetro = 5368361;  // Los Angeles: big and always reporting
  static constexpr uint32_t kCity = 5037649;   // Minneapolis: smaller
  static constexpr uint32_t kTown = 5041926;   // a town that rarely reports
  store::Aggregates a_;
};

TEST_F(LocalizeTest, TenfoldCityOutranksMetropolisAtOnePointThree) {
  // History: the metro sends 30 reports an hour, the city 4.
  for (int h = 1; h <= 24 * 7; ++h) {
    Add(kT0 - h * 60, kMetro, 30);
    Add(kT0 - h * 60, kCity, 4);
  }
  // This hour: the metro 39 (1.3x), the city 48 (12x).
  Add(kT0 + 10, kMetro, 39);
  Add(kT0 + 10, kCity, 48);
  uint32_t s = *a_.ServiceIndex("outlook");
  Localization l = Localize(a_, s, store::Dimension::kCity, kT0, kT0 + 60, 34, 10);
  ASSERT_EQ(l.places.size(), 2u);
  EXPECT_EQ(l.places[0].key, std::to_string(kCity));
  EXPECT_NEAR(l.places[0].ratio, 12, 1.5);
  EXPECT_NEAR(l.places[1].ratio, 1.3, 0.2);
  EXPECT_GT(l.places[0].score, 5 * l.places[1].score);
  EXPECT_EQ(l.footprint_size, 1u);
  EXPECT_TRUE(l.places[0].in_footprint);
  EXPECT_GT(l.excess_covered, 0.8);
}

TEST_F(LocalizeTest, PlacesWithoutAReportInTheWindowAreListedWithTheirUsualCount) {
  // History: the metro 30 reports an hour, the city 10; this hour only the metro reports.
  for (int h = 1; h <= 24; ++h) {
    Add(kT0 - h * 60, kMetro, 30);
    Add(kT0 - h * 60, kCity, 10);
  }
  Add(kT0 + 10, kMetro, 30);
  uint32_t s = *a_.ServiceIndex("outlook");
  Localization l = Localize(a_, s, store::Dimension::kCity, kT0, kT0 + 60, 40, 10);
  ASSERT_EQ(l.places.size(), 1u);
  ASSERT_EQ(l.quiet.size(), 1u);
  EXPECT_EQ(l.quiet[0].first, std::to_string(kCity));
  EXPECT_NEAR(l.quiet[0].second, 10, 0.1);  // a quarter of the history's reports, of 40
}

TEST_F(LocalizeTest, AHistoryReadOnceGivesTheSameAnswerAsTheOutageGoesOn) {
  for (int h = 1; h <= 24 * 7; ++h) {
    Add(kT0 - h * 60, kMetro, 30);
    Add(kT0 - h * 60, kCity, 4);
    Add(kT0 - h * 60, kTown, h % 10 == 0 ? 1 : 0);
  }
  uint32_t s = *a_.ServiceIndex("outlook");
  // The outage starts at kT0, within a quarter hour, and goes on. Its history is read in quarter
  // hours (older than the aggregates' minutes); the quarter hour of kT0 must not count.
  ASSERT_NE(FloorDiv(kT0, 15) * 15, kT0) << "the test needs a start within a quarter hour";
  const std::vector<store::KeyCount> history = PlaceHistory(a_, s, store::Dimension::kCity, kT0);
  ASSERT_EQ(history.size(), 3u);
  // Its window grows; its history does not change, and is read the same as at the start.
  for (int64_t minute = 1; minute <= 90; minute += 7) {
    for (int64_t m = kT0 + minute - 7; m < kT0 + minute; ++m) {
      if (m >= kT0) Add(m, kCity, 6);
    }
    EXPECT_EQ(PlaceHistory(a_, s, store::Dimension::kCity, kT0), history) << minute;
    Localization read = Localize(a_, s, store::Dimension::kCity, kT0, kT0 + minute, 3 * minute, 10);
    Localization given =
        Localize(a_, s, store::Dimension::kCity, kT0, kT0 + minute, 3 * minute, 10, {}, history);
    ASSERT_EQ(read.places.size(), given.places.size()) << minute;
    for (size_t i = 0; i < read.places.size(); ++i) {
      EXPECT_EQ(read.places[i].key, given.places[i].key) << minute;
      EXPECT_EQ(read.places[i].expected, given.places[i].expected) << minute;
      EXPECT_EQ(read.places[i].score, given.places[i].score) << minute;
      EXPECT_EQ(read.places[i].in_footprint, given.places[i].in_footprint) << minute;
    }
    EXPECT_EQ(read.quiet, given.quiet) << minute;
    EXPECT_EQ(read.footprint_size, given.footprint_size) << minute;
  }
}

TEST_F(LocalizeTest, AnOutagesFirstMinutesNeverCountAsTheUsualOfItsCities) {
  // A week of the city at 4 reports an hour; the outage starts 10 minutes into a quarter hour.
  for (int h = 1; h <= 24 * 7; ++h) Add(kT0 - h * 60, kCity, 4);
  const int64_t start = FloorDiv(kT0, 15) * 15 + 10;
  for (int64_t m = start; m < start + 30; ++m) Add(m, kCity, 20);
  uint32_t s = *a_.ServiceIndex("outlook");
  const std::vector<store::KeyCount> history = PlaceHistory(a_, s, store::Dimension::kCity, start);
  ASSERT_EQ(history.size(), 1u);
  // The week's 672 reports, and none of the 100 the outage sent in its start's quarter hour
  // (counting that quarter hour whole, the history was 772).
  EXPECT_EQ(history[0].count, 672u);
}

TEST_F(LocalizeTest, OneReportFromANewPlaceIsShrunk) {
  for (int h = 1; h <= 24; ++h) Add(kT0 - h * 60, kMetro, 30);
  Add(kT0 + 5, kTown, 1);     // never seen before: one report
  Add(kT0 + 5, kMetro, 120);  // the metro quadruples
  uint32_t s = *a_.ServiceIndex("outlook");
  Localization l = Localize(a_, s, store::Dimension::kCity, kT0, kT0 + 60, 30, 10);
  ASSERT_EQ(l.places.size(), 2u);
  EXPECT_EQ(l.places[0].key, std::to_string(kMetro));
  EXPECT_LT(l.places[1].score, 2);
  EXPECT_TRUE(l.places[0].significant);
  EXPECT_FALSE(l.places[1].significant) << "one report is within chance";
  EXPECT_FALSE(l.places[1].in_footprint);
}

TEST_F(LocalizeTest, RegionsRankTheSameWay) {
  for (int h = 1; h <= 48; ++h) {
    Add(kT0 - h * 60, kMetro, 20);
    Add(kT0 - h * 60, kCity, 2);
  }
  Add(kT0 + 1, kCity, 30);
  Add(kT0 + 1, kMetro, 20);
  uint32_t s = *a_.ServiceIndex("outlook");
  Localization l = Localize(a_, s, store::Dimension::kRegion, kT0, kT0 + 60, 22, 5);
  ASSERT_FALSE(l.places.empty());
  EXPECT_EQ(l.places[0].key, "US-MN");
}

}  // namespace
}  // namespace om::detect
