#include "detect/localize.h"

#include <gtest/gtest.h>

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
