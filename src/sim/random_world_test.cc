#include "sim/random_world.h"

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "geo/testing_gazetteer.h"

namespace om::sim {
namespace {

RandomWorldOptions Small(uint64_t seed) {
  return {.seed = seed, .days = 3, .services = 12, .warmup_days = 1, .outages = 8};
}

std::vector<SimReport> All(const RandomWorld& world) {
  std::vector<SimReport> out;
  world.Generate(geo::TestingBuiltinGazetteer(), [&](const SimReport& r) { out.push_back(r); });
  return out;
}

TEST(RandomWorldTest, RefusesOptionsOutOfRangeNamingThem) {
  const geo::Gazetteer& g = geo::TestingBuiltinGazetteer();
  RandomWorldOptions o = Small(1);
  o.warmup_days = 3;
  EXPECT_EQ(RandomWorld::Create(o, g).status().message(),
            "warmup_days: must be at least 1 and less than days");
  o = Small(1);
  o.services = 5;
  EXPECT_EQ(RandomWorld::Create(o, g).status().message(), "services: must be from 10 to 2000");
  o = Small(1);
  o.days = 61;
  EXPECT_EQ(RandomWorld::Create(o, g).status().message(), "days: must be from 2 to 60");
}

TEST(RandomWorldTest, TheSameSeedMakesTheSameWorldAndAnotherSeedAnother) {
  const geo::Gazetteer& g = geo::TestingBuiltinGazetteer();
  auto a = RandomWorld::Create(Small(5), g), b = RandomWorld::Create(Small(5), g),
       c = RandomWorld::Create(Small(6), g);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  std::vector<SimReport> ra = All(*a), rb = All(*b), rc = All(*c);
  ASSERT_EQ(ra.size(), rb.size());
  for (size_t i = 0; i < ra.size(); i += 97) {
    EXPECT_EQ(ra[i].ts_ms, rb[i].ts_ms);
    EXPECT_EQ(ra[i].reporter, rb[i].reporter);
  }
  EXPECT_NE(ra.size(), rc.size());
}

TEST(RandomWorldTest, ReportsComeInTimeOrderWithEveryKindOfPlaceAndTime) {
  auto world = RandomWorld::Create(Small(2), geo::TestingBuiltinGazetteer());
  ASSERT_TRUE(world.ok());
  std::vector<SimReport> reports = All(*world);
  ASSERT_GT(reports.size(), 1000u);
  size_t by_name = 0, rfc3339 = 0, offsets = 0;
  std::set<int> zones;
  for (size_t i = 0; i < reports.size(); ++i) {
    if (i) {
      ASSERT_LE(reports[i - 1].ts_ms, reports[i].ts_ms);
    }
    by_name += !reports[i].city.empty();
    if (reports[i].ts_offset_minutes != SimReport::kEpochMillis) {
      ++rfc3339;
      offsets += reports[i].ts_offset_minutes != 0;
      zones.insert(reports[i].ts_offset_minutes);
    }
  }
  const double n = static_cast<double>(reports.size());
  EXPECT_NEAR(by_name / n, 0.3, 0.05);  // spammers' reports all use lat/lon
  EXPECT_NEAR(rfc3339 / n, 0.5, 0.05);
  EXPECT_GT(offsets, 0u);
  EXPECT_GE(zones.size(), 3u);
  std::string line;
  AppendNdjson(reports[0], line);
  EXPECT_NE(line.find(R"("service":"w-)"), std::string::npos) << line;
}

TEST(RandomWorldTest, OutagesAreJudgedAfterTheWarmUpAndLabelledByWhatTheyAre) {
  auto world =
      RandomWorld::Create({.seed = 3, .days = 8, .services = 40, .warmup_days = 2, .outages = 30},
                          geo::TestingBuiltinGazetteer());
  ASSERT_TRUE(world.ok());
  ASSERT_GE(world->outages().size(), 30u);  // cascades may add more
  std::map<std::string, int> kinds;
  size_t clear = 0;
  for (const WorldOutage& o : world->outages()) {
    EXPECT_GE(o.line.start_ms, world->judged_from_ms());
    EXPECT_GE(o.line.end_ms - o.line.start_ms, 5 * 60000);
    EXPECT_LE(o.line.end_ms - o.line.start_ms, 8 * 3600000 + 15 * 60000);
    EXPECT_FALSE(o.line.cities.empty());
    EXPECT_GT(o.excess, 0);
    EXPECT_GT(o.total_ratio, 1);
    const bool is_clear =
        o.magnitude >= 5 && o.line.end_ms - o.line.start_ms >= 600000 && o.excess >= 30;
    EXPECT_EQ(o.clear, is_clear);
    clear += o.clear;
    ++kinds[o.kind];
    if (o.kind == "radius" || o.kind == "regions") {
      // Regional, or national when it holds most of the country.
      EXPECT_TRUE(o.line.scope == "regional" || o.line.scope == "national") << o.line.scope;
    } else {
      const std::string want = o.kind == "metro"     ? "local"
                               : o.kind == "country" ? "national"
                                                     : "multinational";
      EXPECT_EQ(o.line.scope, want) << o.kind;
    }
  }
  EXPECT_GE(kinds.size(), 4u);
  EXPECT_GT(clear, 0u);
  EXPECT_DOUBLE_EQ(world->judged_service_days(), 40.0 * 6);
}

TEST(RandomWorldTest, AQuietWorldHasTrapsButNoOutages) {
  RandomWorldOptions o = Small(4);
  o.outages = 0;
  auto world = RandomWorld::Create(o, geo::TestingBuiltinGazetteer());
  ASSERT_TRUE(world.ok());
  EXPECT_TRUE(world->outages().empty());
  EXPECT_GE(world->spammer_count(), 1u);
  std::map<std::string, int> spam;
  for (const SimReport& r : All(*world)) {
    if (r.reporter.rfind("spam-", 0) == 0) ++spam[r.reporter];
  }
  ASSERT_FALSE(spam.empty());
  for (const auto& [who, count] : spam) {
    EXPECT_GE(count, 120) << who;  // 200-2000 drawn, Poisson per minute
    EXPECT_LE(count, 2400) << who;
  }
}

}  // namespace
}  // namespace om::sim
