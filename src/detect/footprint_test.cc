#include "detect/footprint.h"

#include <gtest/gtest.h>

#include "detect/testing_reports.h"
#include "geo/testing_gazetteer.h"

namespace om::detect {
namespace {

constexpr int64_t kT0 = 29'500'000;  // a minute in 2026
constexpr uint32_t kMinneapolis = 5037649, kSaintPaul = 5045360, kDuluth = 5024719,
                   kChicago = 4887398, kLosAngeles = 5368361, kToronto = 6167865;
// The Netherlands: North Holland, South Holland (two cities), Utrecht, North Brabant, Groningen.
constexpr uint32_t kAmsterdam = 2759794, kRotterdam = 2747891, kTheHague = 2747373,
                   kUtrecht = 2745912, kEindhoven = 2756253, kGroningen = 2755251;

class FootprintTest : public ::testing::Test {
 protected:
  const geo::City& City(uint32_t geonameid) {
    geo::CityId id = gazetteer_.FindByGeonameId(geonameid);
    EXPECT_NE(id, geo::kNoCity) << geonameid;
    return gazetteer_.city(id);
  }
  PlaceExcess Place(uint32_t geonameid, uint64_t observed, double expected, bool in_footprint) {
    PlaceExcess p;
    p.key = std::to_string(geonameid);
    p.observed = observed;
    p.expected = expected;
    p.in_footprint = in_footprint;
    p.significant = in_footprint;
    return p;
  }
  void Add(int64_t minute, uint32_t geonameid, uint32_t n) {
    aggregates_.AddCount(TestingReportAt(gazetteer_, geonameid, minute), n);
  }
  const geo::Gazetteer& gazetteer_ = geo::TestingBuiltinGazetteer();
  store::Aggregates aggregates_;
};

TEST_F(FootprintTest, ScopeFollowsWhereMostOfTheExcessLies) {
  auto scope = [&](std::vector<std::pair<uint32_t, double>> cities, double total = 0) {
    std::vector<FootprintCity> footprint;
    for (auto [id, excess] : cities) footprint.push_back({&City(id), excess});
    return std::string(ScopeOf(footprint, total));
  };
  EXPECT_EQ(scope({}), "");
  EXPECT_EQ(scope({{kMinneapolis, 40}, {kSaintPaul, 10}}), "local");
  // Duluth is about 230 km from Minneapolis, in the same state.
  EXPECT_EQ(scope({{kMinneapolis, 20}, {kDuluth, 20}}), "regional");
  EXPECT_EQ(scope({{kMinneapolis, 20}, {kChicago, 20}, {kLosAngeles, 20}}), "national");
  EXPECT_EQ(scope({{kLosAngeles, 20}, {kToronto, 20}}), "multinational");
  // One stray city abroad does not make an outage multinational.
  EXPECT_EQ(scope({{kLosAngeles, 60}, {kChicago, 40}, {kToronto, 5}}), "national");
  // Against the service's whole excess, one city holding a tenth of it is not the outage.
  EXPECT_EQ(scope({{kMinneapolis, 10}}, 100), "multinational");
  EXPECT_EQ(scope({{kMinneapolis, 90}}, 100), "local");
}

TEST_F(FootprintTest, JudgedScopeWidensWhenTheServiceExcessLiesElsewhere) {
  Localization l;
  l.places.push_back(Place(kMinneapolis, 30, 5, true));
  EXPECT_EQ(JudgeScope(l, gazetteer_, 25), "local");
  // Most of the service's excess is spread over cities across the country, each too small to be
  // significant on its own: national, not local.
  l.places.push_back(Place(kChicago, 30, 5, false));
  l.places.push_back(Place(kLosAngeles, 40, 10, false));
  EXPECT_EQ(JudgeScope(l, gazetteer_, 25 + 25 + 30), "national");
  // Never wider than national from spread alone.
  l.places.push_back(Place(kToronto, 200, 10, false));
  EXPECT_EQ(JudgeScope(l, gazetteer_, 25 + 25 + 30 + 190), "national");
  // A footprint that is national already stays so whatever the service's excess.
  Localization wide;
  wide.places.push_back(Place(kLosAngeles, 40, 5, true));
  wide.places.push_back(Place(kChicago, 40, 5, true));
  EXPECT_EQ(JudgeScope(wide, gazetteer_, 0), "national");
  // Reports without a known city are no evidence of any scope.
  EXPECT_EQ(std::string(JudgeScope(Localization{}, gazetteer_, 100)), "");
}

TEST_F(FootprintTest, ACountryIsOutWhenRegionsHoldingMostOfItsUsualReportsAre) {
  // Every Dutch city at five times its usual count: all of it lies within 400 km, which a scope
  // judged on distances calls regional; the regions say national.
  Localization all;
  for (auto [id, usual] : {std::pair{kAmsterdam, 10.0},
                           {kRotterdam, 10.0},
                           {kTheHague, 5.0},
                           {kUtrecht, 5.0},
                           {kEindhoven, 4.0},
                           {kGroningen, 2.0}}) {
    all.places.push_back(Place(id, static_cast<uint64_t>(5 * usual), usual, usual >= 5));
  }
  EXPECT_EQ(JudgeScope(all, gazetteer_, 4 * 36), "national");
  // South Holland alone at five times (15 of the country's 36 usual reports), the rest as usual:
  // the footprint's own scope, not national, however the service's excess is spread.
  Localization south;
  south.places.push_back(Place(kRotterdam, 50, 10, true));
  south.places.push_back(Place(kTheHague, 25, 5, true));
  for (auto [id, usual] : {std::pair{kAmsterdam, 10.0}, {kUtrecht, 5.0}, {kEindhoven, 4.0}}) {
    south.places.push_back(Place(id, static_cast<uint64_t>(usual), usual, false));
  }
  EXPECT_EQ(JudgeScope(south, gazetteer_, 60), "local");
  // North and South Holland at five times (25 of 36 usual reports) while Utrecht, North Brabant
  // and Groningen sent nothing in the window: their usual reports still count where the outage
  // is not. Without them, the two provinces would look like the whole country.
  Localization holland;
  holland.places.push_back(Place(kRotterdam, 50, 10, true));
  holland.places.push_back(Place(kAmsterdam, 50, 10, true));
  holland.places.push_back(Place(kTheHague, 25, 5, true));
  holland.quiet = {{std::to_string(kUtrecht), 5.0},
                   {std::to_string(kEindhoven), 4.0},
                   {std::to_string(kGroningen), 2.0}};
  EXPECT_EQ(JudgeScope(holland, gazetteer_, 100), "local");
  holland.quiet.clear();
  EXPECT_EQ(JudgeScope(holland, gazetteer_, 100), "national");
}

TEST_F(FootprintTest, AnOutageInOneCityHasItsRegionAndItsExcess) {
  // Eight days of history: Los Angeles sends 6 reports a minute, Minneapolis 1, Chicago 2.
  const int64_t today = kT0 + 8 * 1440;
  for (int64_t m = kT0; m < today + 60; ++m) {
    Add(m, kLosAngeles, 6);
    Add(m, kMinneapolis, 1);
    Add(m, kChicago, 2);
  }
  // Then 30 minutes with 20 more a minute in Minneapolis.
  for (int64_t m = today + 60; m < today + 90; ++m) {
    Add(m, kLosAngeles, 6);
    Add(m, kMinneapolis, 21);
    Add(m, kChicago, 2);
  }
  DetectOptions options;
  options.history_days = 7;
  Detector detector(options);
  uint32_t service = *aggregates_.ServiceIndex("outlook");
  EXPECT_EQ(FootprintRegions(aggregates_, service, detector, gazetteer_, today + 60, today + 90),
            (std::vector<std::string>{"US-MN"}));
  // 600 reports over the usual 9 a minute for 30 minutes, give or take the baseline's rounding.
  EXPECT_NEAR(OutageExcess(aggregates_, service, detector, today + 60, today + 90), 600, 15);
  Localization l =
      LocalizeOutage(aggregates_, service, detector, today + 60, today + 90, /*max_cities=*/10);
  ASSERT_FALSE(l.places.empty());
  EXPECT_EQ(l.places[0].key, std::to_string(kMinneapolis));
  EXPECT_EQ(JudgeScope(l, gazetteer_, 600), "local");
  // Before the outage, an ordinary half hour: no footprint.
  EXPECT_TRUE(
      FootprintRegions(aggregates_, service, detector, gazetteer_, today + 20, today + 50).empty());
}

}  // namespace
}  // namespace om::detect
