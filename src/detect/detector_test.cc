#include "detect/detector.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "base/time.h"
#include "detect/poisson.h"
#include "geo/testing_gazetteer.h"

namespace om::detect {
namespace {

constexpr int64_t kDay = 1440;
constexpr int64_t kT0 = 29'500'000 - 29'500'000 % kDay;  // midnight, in minutes since the epoch

class DetectorTest : public ::testing::Test {
 protected:
  void AddAt(int64_t minute, uint32_t n, const std::string& service = "outlook") {
    store::Report r;
    r.service = service;
    r.problem = "email";
    r.ts_ms = minute * 60000 + 5000;
    aggregates_.AddCount(r, n);
  }
  // `n` reports of `service` at `minute`, placed in `region` ("US-MN"; its country is the first
  // two letters) and, when `geonameid` is not 0, in that city.
  void AddPlaced(const std::string& service, int64_t minute, uint32_t n, const std::string& region,
                 uint32_t geonameid = 0) {
    store::Report r;
    r.service = service;
    r.problem = "other";
    r.country = region.substr(0, 2);
    r.region = region;
    r.geonameid = geonameid;
    r.ts_ms = minute * 60000 + 5000;
    aggregates_.AddCount(r, n);
  }
  // `per_minute` reports every minute in [from, to), Poisson-distributed.
  void Steady(int64_t from, int64_t to, double per_minute, const std::string& service = "outlook") {
    std::poisson_distribution<uint32_t> d(per_minute);
    for (int64_t m = from; m < to; ++m) {
      uint32_t n = d(rng_);
      if (n > 0) AddAt(m, n, service);
    }
  }
  Status RunUntil(Detector& detector, int64_t from, int64_t to,
                  const std::string& service = "outlook") {
    for (int64_t m = from; m < to; ++m) detector.Tick(aggregates_, m);
    return detector.Snapshot()->Find(service)->status;
  }
  store::Aggregates aggregates_;
  std::mt19937 rng_{7};
};

TEST_F(DetectorTest, BaselineIsTheMedianOfTheSameQuarterHourAndIgnoresAPastOutage) {
  Steady(kT0 - 14 * kDay, kT0, 2);
  // Yesterday at 10:00-10:15 there was an outage: 200 reports a minute.
  for (int64_t m = kT0 - kDay + 600; m < kT0 - kDay + 615; ++m) AddAt(m, 200);
  Detector detector;
  uint32_t s = *aggregates_.ServiceIndex("outlook");
  EXPECT_NEAR(detector.ExpectedPerMinute(aggregates_, s, kT0 + 605), 2.0, 0.5);
}

TEST_F(DetectorTest, ABaselineOfFewDaysOfFewReportsIsJudgedAsTheRoughEstimateItIs) {
  // Two services at 6 reports every quarter hour: one for 14 days, one for 3. Both have a
  // baseline of 0.4 a minute; the second's is a median of 3 small counts, whose error the test
  // must allow for (else it is learned as the service's noise, for every hour).
  for (int64_t q = kT0 - 14 * kDay; q < kT0 + 600; q += 15) {
    AddAt(q, 6, "old");
    if (q >= kT0 - 3 * kDay) AddAt(q, 6, "new");
  }
  for (int64_t m = kT0 + 601; m < kT0 + 606; ++m) {
    AddAt(m, 5, "old");
    AddAt(m, 5, "new");
  }
  Detector detector({.learn_dispersion = false});
  for (int64_t m = kT0 + 590; m < kT0 + 606; ++m) detector.Tick(aggregates_, m);
  const ServiceState* old_service = detector.Snapshot()->Find("old");
  const ServiceState* new_service = detector.Snapshot()->Find("new");
  ASSERT_NE(old_service, nullptr);
  ASSERT_NE(new_service, nullptr);
  EXPECT_NEAR(old_service->expected_per_minute, 0.4, 1e-9);
  EXPECT_NEAR(new_service->expected_per_minute, 0.4, 1e-9);
  // The same 25 reports over 5 minutes where 2 are usual: less surprising on 3 days' baseline.
  EXPECT_LT(new_service->score, old_service->score - 1)
      << "old " << old_service->score << ", new " << new_service->score;
  EXPECT_GE(old_service->score, 8) << "14 days of history leave the test nearly as it was";
}

TEST_F(DetectorTest, DriftFollowsAServiceThatDoubledFourDaysAgo) {
  Steady(kT0 - 14 * kDay, kT0 - 4 * kDay, 2);
  Steady(kT0 - 4 * kDay, kT0, 4);
  uint32_t s = *aggregates_.ServiceIndex("outlook");
  Detector with_drift;
  Detector without({.max_drift = 1});
  // Ten of the fourteen days were at the old level, so the median still says 2 a minute; the
  // last week's level (4 of its 7 days at the new rate) brings the baseline to the new one.
  EXPECT_NEAR(without.ExpectedPerMinute(aggregates_, s, kT0 + 30), 2, 0.5);
  EXPECT_NEAR(with_drift.ExpectedPerMinute(aggregates_, s, kT0 + 30), 4, 0.8);
}

// A service used in Chicago (UTC-6): quietest at 04:00 local (0.8 a minute), busiest at 16:00
// (8 a minute), and at weekends (local Saturday and Sunday) at 0.3 of its weekday level.
class WeeklyDetectorTest : public DetectorTest {
 protected:
  static constexpr int64_t kTz = -6 * 60;
  static double Rate(int64_t utc_minute) {
    int64_t local = utc_minute + kTz;
    double hour = static_cast<double>(((local % kDay) + kDay) % kDay) / 60;
    double daily = 4.4 - 3.6 * std::cos(2 * M_PI * (hour - 4) / 24);
    int64_t weekday = (((local - ((local % kDay) + kDay) % kDay) / kDay + 4) % 7 + 7) % 7;
    return daily * (weekday == 0 || weekday == 6 ? 0.3 : 1.0);
  }
  void SetUp() override {
    for (int64_t m = kT0 - 21 * kDay; m < kT0 + 7 * kDay; ++m) {
      std::poisson_distribution<uint32_t> d(Rate(m));
      if (uint32_t n = d(rng_)) AddAt(m, n);
    }
  }
};

TEST_F(WeeklyDetectorTest, WeekendsHaveTheirOwnLevelInTheServicesLocalTime) {
  // kT0 is a Monday, 00:00 UTC.
  uint32_t s = *aggregates_.ServiceIndex("outlook");
  Detector weekly;
  Detector flat({.weekly_profile = false});
  int64_t saturday_2pm_local = kT0 + 5 * kDay + 20 * 60;  // Saturday 20:00 UTC
  int64_t friday_8pm_local = kT0 + 5 * kDay + 2 * 60;     // Saturday 02:00 UTC
  int64_t monday_2pm_local = kT0 + 20 * 60;
  // Fourteen same quarter hours are ten weekdays and four weekend days: their median is a
  // weekday's, 7.5 a minute at 14:00, over three times the weekend's. With the weekly profile, a
  // Saturday is judged by the four weekend days (their median, so within a third of 2.26).
  double weekday_2pm = Rate(monday_2pm_local), weekend_2pm = Rate(saturday_2pm_local);
  EXPECT_NEAR(weekend_2pm, 2.26, 0.01);
  EXPECT_NEAR(flat.ExpectedPerMinute(aggregates_, s, saturday_2pm_local), weekday_2pm,
              0.2 * weekday_2pm);
  EXPECT_NEAR(weekly.ExpectedPerMinute(aggregates_, s, saturday_2pm_local), weekend_2pm,
              weekend_2pm / 3);
  EXPECT_NEAR(weekly.ExpectedPerMinute(aggregates_, s, monday_2pm_local), weekday_2pm,
              0.2 * weekday_2pm);
  // Friday evening in Chicago is Saturday in UTC: still a weekday for this service.
  EXPECT_NEAR(weekly.ExpectedPerMinute(aggregates_, s, friday_8pm_local), Rate(friday_8pm_local),
              0.2 * Rate(friday_8pm_local));
}

// A work tool in Chicago (UTC-6) busiest at noon: taking its daily cycle's peak as 15:00 puts its
// local time three hours ahead, so a Friday evening looks like a Saturday's first hours. One past
// Friday was a holiday (no reports), so the days classed as weekends at that hour are two
// Saturdays, a holiday and one ordinary Friday: their median is a Saturday's.
TEST_F(DetectorTest, AnErrorInTheLocalTimeDoesNotJudgeFridayEveningsAsWeekends) {
  constexpr int64_t kChicago = -6 * 60;
  auto rate = [&](int64_t utc_minute) {
    const int64_t local = utc_minute + kChicago;
    const double hour = static_cast<double>(((local % kDay) + kDay) % kDay) / 60;
    const int64_t weekday = ((FloorDiv(local, kDay) + 4) % 7 + 7) % 7;  // 0: Sunday
    const double daily = 1 + 1.5 * (1 + std::cos(2 * M_PI * (hour - 12) / 24));
    return daily * (weekday == 0 || weekday == 6 ? 0.1 : 1.0);
  };
  // kT0 is a Monday 00:00 UTC; the Friday judged is kT0 + 4 days, 21:30 in Chicago.
  const int64_t judged = kT0 + 5 * kDay + 3 * 60 + 30;
  const int64_t holiday = kT0 - 3 * kDay;  // the Friday before, in Chicago
  double carry = 0;
  for (int64_t m = kT0 - 14 * kDay; m <= judged; ++m) {
    carry += rate(m);
    const auto n = static_cast<uint32_t>(carry);
    carry -= n;
    const int64_t local_day = FloorDiv(m + kChicago, kDay);
    if (n > 0 && local_day != FloorDiv(holiday, kDay)) AddAt(m, n);
  }
  uint32_t s = *aggregates_.ServiceIndex("outlook");
  const double friday_evening = rate(judged);
  Detector around_the_clock({.weekly_edge_hours = 0});
  Detector by_default;
  EXPECT_LT(around_the_clock.ExpectedPerMinute(aggregates_, s, judged), 0.5 * friday_evening)
      << "the mixed days' median is a Saturday's";
  EXPECT_NEAR(by_default.ExpectedPerMinute(aggregates_, s, judged), friday_evening,
              0.25 * friday_evening);
}

TEST_F(WeeklyDetectorTest, ABatchOfMinutesGivesEachItsOwnBaseline) {
  // A chart's 96 quarter hours across a local midnight (Friday to Saturday in Chicago): read a
  // local day's terms once, the answers are those of one minute at a time.
  Detector detector;
  uint32_t s = *aggregates_.ServiceIndex("outlook");
  std::vector<int64_t> quarters;
  for (int64_t q = kT0 + 4 * kDay + 18 * 60; q < kT0 + 5 * kDay + 18 * 60; q += 15) {
    quarters.push_back(q);
  }
  std::vector<double> batch = detector.ExpectedPerMinute(aggregates_, s, quarters);
  ASSERT_EQ(batch.size(), quarters.size());
  for (size_t k = 0; k < quarters.size(); ++k) {
    EXPECT_DOUBLE_EQ(batch[k], detector.ExpectedPerMinute(aggregates_, s, quarters[k])) << k;
  }
}

TEST_F(WeeklyDetectorTest, AWeekendOutageBelowTheWeekdayLevelIsFound) {
  // Saturday 14:00-14:30 local: six times the weekend's level, under twice a weekday's.
  int64_t start = kT0 + 5 * kDay + 20 * 60;
  std::poisson_distribution<uint32_t> outage(11.3);
  for (int64_t m = start; m < start + 30; ++m) {
    if (uint32_t n = outage(rng_)) AddAt(m, n);
  }
  Detector weekly;
  Detector flat({.weekly_profile = false});
  EXPECT_EQ(RunUntil(weekly, start - 30, start + 10), Status::kOutage);
  // Against the weekday level it is no outage (possible problems at most).
  EXPECT_NE(RunUntil(flat, start - 30, start + 10), Status::kOutage);
  // And the two quiet days before it (Saturday and Sunday in UTC, which in Chicago begin on
  // Friday evening and end on Sunday evening) raised nothing, not even possible problems.
  Detector quiet;
  int raised = 0;
  for (int64_t m = kT0 - 2 * kDay; m < kT0; ++m) {
    quiet.Tick(aggregates_, m);
    raised += quiet.Snapshot()->Find("outlook")->status != Status::kNormal;
  }
  EXPECT_EQ(raised, 0);
}

TEST_F(WeeklyDetectorTest, TicksTakeUpTheNewDaysProfileWithinTwoHoursOfLocalMidnight) {
  // Ticking through Friday night into Saturday (Chicago): by 02:00 local every service has read
  // its new day's profile, and the tick's baseline is the one computed afresh.
  Detector detector;
  int64_t saturday_midnight_local = kT0 + 5 * kDay + 6 * 60;  // Saturday 06:00 UTC
  for (int64_t m = saturday_midnight_local - 60; m <= saturday_midnight_local + 150; ++m) {
    detector.Tick(aggregates_, m);
  }
  uint32_t s = *aggregates_.ServiceIndex("outlook");
  int64_t last = saturday_midnight_local + 150;
  EXPECT_DOUBLE_EQ(detector.Snapshot()->Find("outlook")->expected_per_minute,
                   detector.ExpectedPerMinute(aggregates_, s, last));
}

TEST_F(DetectorTest, ClearSpikeIsAnOutageInItsFirstMinuteAndClearsAfterQuiet) {
  Steady(kT0 - 14 * kDay, kT0 + 600, 2);
  Detector detector;
  EXPECT_EQ(RunUntil(detector, kT0 + 500, kT0 + 600), Status::kNormal);
  // An outage starts at minute 600: 40 reports a minute (20x).
  for (int64_t m = kT0 + 600; m < kT0 + 630; ++m) AddAt(m, 40);
  detector.Tick(aggregates_, kT0 + 600);
  const ServiceState* s = detector.Snapshot()->Find("outlook");
  EXPECT_EQ(s->status, Status::kOutage) << "a twentyfold minute is an outage at once";
  EXPECT_EQ(s->since_minute, kT0 + 600);
  EXPECT_GT(s->ratio, 4) << "one outage minute in the 5-minute window";
  EXPECT_NEAR(s->expected_per_minute, 2, 0.6);
  EXPECT_EQ(RunUntil(detector, kT0 + 602, kT0 + 630), Status::kOutage);
  // Back to normal traffic: the status holds through the hysteresis, then falls.
  Steady(kT0 + 630, kT0 + 700, 2);
  EXPECT_EQ(RunUntil(detector, kT0 + 630, kT0 + 638), Status::kOutage);
  EXPECT_EQ(RunUntil(detector, kT0 + 638, kT0 + 700), Status::kNormal);
}

TEST_F(DetectorTest, NoiseAndOneLoudMinuteStayQuiet) {
  Steady(kT0 - 14 * kDay, kT0 + 2000, 3);
  Detector detector;
  int non_normal = 0;
  for (int64_t m = kT0; m < kT0 + 2000; ++m) {
    detector.Tick(aggregates_, m);
    non_normal += detector.Snapshot()->Find("outlook")->status != Status::kNormal;
  }
  EXPECT_EQ(non_normal, 0) << "a day and a half of Poisson noise";
  AddAt(kT0 + 2000, 12);  // one loud minute, 4x
  EXPECT_NE(RunUntil(detector, kT0 + 2000, kT0 + 2002), Status::kOutage);
}

TEST_F(DetectorTest, NewServiceUsesItsRecentRateAndStillCatchesAnOutage) {
  Steady(kT0 - kDay, kT0, 1, "newcomer");
  Detector detector;
  uint32_t s = *aggregates_.ServiceIndex("newcomer");
  EXPECT_NEAR(detector.ExpectedPerMinute(aggregates_, s, kT0), 1.0, 0.3);
  for (int64_t m = kT0; m < kT0 + 5; ++m) AddAt(m, 30, "newcomer");
  EXPECT_EQ(RunUntil(detector, kT0, kT0 + 5, "newcomer"), Status::kOutage);
}

TEST_F(DetectorTest, ATwoDayOldServicesDailyPeakIsNotAnOutage) {
  // Seen since yesterday 00:00, with a daily cycle: 0.5 a minute at night, 5 at its peak
  // (18:00-22:00 UTC). Its day mean is about 1.6: its second peak is three times that.
  auto rate = [](int64_t m) {
    int64_t hour = ((m % kDay) + kDay) % kDay / 60;
    return hour >= 18 && hour < 22 ? 5.0 : 0.5;
  };
  for (int64_t m = kT0 - kDay; m < kT0 + kDay; ++m) {
    std::poisson_distribution<uint32_t> d(rate(m));
    if (uint32_t n = d(rng_)) AddAt(m, n, "young");
  }
  Detector detector;
  uint32_t s = *aggregates_.ServiceIndex("young");
  // At today's peak the baseline follows yesterday's same quarter hour, not the day mean.
  EXPECT_NEAR(detector.ExpectedPerMinute(aggregates_, s, kT0 + 19 * 60), 5.0, 1.5);
  int raised = 0;
  for (int64_t m = kT0 + 17 * 60; m < kT0 + 23 * 60; ++m) {
    detector.Tick(aggregates_, m);
    raised += detector.Snapshot()->Find("young")->status == Status::kOutage;
  }
  EXPECT_EQ(raised, 0);
}

TEST_F(DetectorTest, ARegionalOutageOfALargeServiceIsFoundInItsRegion) {
  // 20 reports a minute spread over ten regions; then one region at six times its level: the
  // service's total rises by half, which its own test does not call an outage.
  auto add = [&](int64_t minute, uint32_t n, int region) {
    AddPlaced("big", minute, n, "US-R" + std::to_string(region));
  };
  std::poisson_distribution<uint32_t> normal(2), outage(10);
  for (int64_t m = kT0 - 14 * kDay; m < kT0 + 60; ++m) {
    for (int region = 0; region < 10; ++region) {
      if (uint32_t n = normal(rng_)) add(m, n, region);
    }
    if (m >= kT0 + 30) {
      if (uint32_t n = outage(rng_)) add(m, n, 3);
    }
  }
  Detector regional;
  Detector total_only({.regional = false});
  EXPECT_EQ(RunUntil(regional, kT0 + 20, kT0 + 40, "big"), Status::kOutage);
  EXPECT_NE(RunUntil(total_only, kT0 + 20, kT0 + 40, "big"), Status::kOutage);
  // The evidence of its last minute is the region's, over the regional test's 5 minutes, at
  // about 2 a minute.
  const ServiceState* found = regional.Snapshot()->Find("big");
  EXPECT_EQ(found->area.key, "US-R3");
  EXPECT_EQ(found->area.dimension, store::Dimension::kRegion);
  EXPECT_EQ(found->area.window_minutes, 5);
  EXPECT_GT(found->area.expected_per_minute, 1);
  EXPECT_LT(found->area.expected_per_minute, 4);
  // Before it, an hour of normal traffic in every region raised nothing.
  Detector quiet;
  int raised = 0;
  for (int64_t m = kT0 - 60; m < kT0 + 30; ++m) {
    quiet.Tick(aggregates_, m);
    raised += quiet.Snapshot()->Find("big")->status == Status::kOutage;
  }
  EXPECT_EQ(raised, 0);
}

TEST_F(DetectorTest, AMetroOutageThatBarelyMovesANationalServiceIsFoundByItsCity) {
  // 40 cities of one region at 0.5 reports a minute each (20 a minute in all); then one city at
  // 12 times its level for two hours: the total rises by 27%, its region as much, and the
  // 5-minute excess floor is never reached there. The metro scan finds it within the hour.
  auto add = [&](int64_t minute, uint32_t n, uint32_t city) {
    AddPlaced("telco", minute, n, "GB-ENG", 1000 + city);
  };
  std::poisson_distribution<uint32_t> normal(0.5), metro(5.5);
  for (int64_t m = kT0 - 14 * kDay; m < kT0 + 180; ++m) {
    for (uint32_t city = 0; city < 40; ++city) {
      if (uint32_t n = (m >= kT0 + 60 && city == 17) ? metro(rng_) : normal(rng_)) {
        add(m, n, city);
      }
    }
  }
  auto outage_minutes = [&](Detector& detector, int64_t from, int64_t to) {
    int minutes = 0;
    for (int64_t m = from; m < to; ++m) {
      detector.Tick(aggregates_, m);
      minutes += detector.Snapshot()->Find("telco")->status == Status::kOutage;
    }
    return minutes;
  };
  Detector scan;
  EXPECT_EQ(outage_minutes(scan, kT0 - 120, kT0 + 60), 0) << "three normal hours raise nothing";
  // The first minute in an outage names the city and the scan's window as its evidence.
  std::string evidence;
  int64_t window = 0;
  for (int64_t m = kT0 + 60; m < kT0 + 120 && evidence.empty(); ++m) {
    scan.Tick(aggregates_, m);
    const ServiceState* s = scan.Snapshot()->Find("telco");
    if (s->status == Status::kOutage) {
      evidence = s->area.key;
      window = s->area.window_minutes;
    }
  }
  EXPECT_EQ(evidence, "1017");
  EXPECT_EQ(window, 60);
  Detector without({.metro_window_minutes = 0});
  EXPECT_EQ(outage_minutes(without, kT0 - 120, kT0 + 120), 0);
}

TEST_F(DetectorTest, AMetroOutageSpreadOverItsCitiesIsFoundOnTheWholeMetro) {
  // An ISP's 36 large US cities at 0.5 reports a minute each, and four cities of the
  // Minneapolis metro at one report in 20 minutes each. Then for two hours each of the four
  // sends one in 4 minutes: 15 an hour where 3 are usual, 12 extra, under the metro scan's floor
  // of 15 in each city; the metro as a whole has 48 extra, five times its usual count.
  const geo::Gazetteer& g = geo::TestingBuiltinGazetteer();
  const std::vector<uint32_t> metro = {5037649, 5018739, 5045021, 5021828};
  const geo::CityId minneapolis = g.FindByGeonameId(metro[0]);
  for (uint32_t id : metro) ASSERT_EQ(g.MetroOf(g.FindByGeonameId(id)), minneapolis) << id;
  std::vector<uint32_t> others;
  for (geo::CityId id = 0; id < g.city_count() && others.size() < 36; ++id) {
    const geo::City& c = g.city(id);
    if (c.country == "US" && c.population > 200000 && g.MetroOf(id) == id && id != minneapolis) {
      others.push_back(c.geonameid);
    }
  }
  ASSERT_EQ(others.size(), 36u);
  auto add = [&](int64_t minute, uint32_t n, uint32_t geonameid) {
    const geo::City& c = g.city(g.FindByGeonameId(geonameid));
    AddPlaced("isp", minute, n, std::string(g.region_code(c.region)), geonameid);
  };
  std::poisson_distribution<uint32_t> normal(0.5);
  const int64_t start = kT0 + 60;
  for (int64_t m = kT0 - 14 * kDay; m < start + 120; ++m) {
    for (uint32_t city : others) {
      if (uint32_t n = normal(rng_)) add(m, n, city);
    }
    for (size_t k = 0; k < metro.size(); ++k) {
      const int64_t every = m >= start ? 4 : 20;
      if ((m + static_cast<int64_t>(k)) % every == 0) add(m, 1, metro[k]);
    }
  }
  auto first_outage = [&](Detector& detector, int64_t from, int64_t to) -> const ServiceState* {
    for (int64_t m = from; m < to; ++m) {
      detector.Tick(aggregates_, m);
      const ServiceState* s = detector.Snapshot()->Find("isp");
      if (s->status == Status::kOutage) return s;
    }
    return nullptr;
  };
  Detector with_metros({}, &g);
  EXPECT_EQ(first_outage(with_metros, kT0 - 120, start), nullptr) << "normal hours raise nothing";
  const ServiceState* found = first_outage(with_metros, start, start + 120);
  ASSERT_NE(found, nullptr) << "the metro's outage is found";
  EXPECT_NE(std::find(metro.begin(), metro.end(), std::stoul(found->area.key)), metro.end())
      << found->area.key;
  EXPECT_EQ(found->area.window_minutes, 60);
  Detector cities_only;
  EXPECT_EQ(first_outage(cities_only, kT0 - 120, start + 120), nullptr)
      << "no city of it is an outage on its own";
}

TEST_F(DetectorTest, AHugePastOutageInOneRegionDoesNotMakeTheOthersLookHighForTwoWeeks) {
  // Ten regions at 2 reports a minute each. Three days ago one region had an eight-hour outage
  // at 200 a minute: more reports than the rest of the history together. Summed over the
  // history, every other region's share would look a fifth of what it is, and an ordinary
  // evening would raise regional outages in them; read without the outage day, nothing.
  auto add = [&](int64_t minute, uint32_t n, int region) {
    AddPlaced("big", minute, n, "CA-R" + std::to_string(region));
  };
  std::poisson_distribution<uint32_t> normal(2), outage(200);
  for (int64_t m = kT0 - 14 * kDay; m < kT0 + 180; ++m) {
    for (int region = 0; region < 10; ++region) {
      if (uint32_t n = normal(rng_)) add(m, n, region);
    }
    if (m >= kT0 - 3 * kDay && m < kT0 - 3 * kDay + 480) add(m, outage(rng_), 0);
    // Now a burst in two regions: the total rises by the outage excess, so regions are tested.
    if (m >= kT0 + 60 && m < kT0 + 70) {
      add(m, 3, 4);
      add(m, 3, 7);
    }
  }
  Detector detector;
  int raised = 0;
  for (int64_t m = kT0 - 60; m < kT0 + 180; ++m) {
    detector.Tick(aggregates_, m);
    raised += detector.Snapshot()->Find("big")->status == Status::kOutage;
  }
  EXPECT_EQ(raised, 0);
}

TEST_F(DetectorTest, RegionsInOtherTimeZonesAreJudgedAtTheirOwnTimeOfDay) {
  // A service used mostly in New York (1 report a minute at 04:00, 40 at 16:00) and in Hawaii,
  // six hours behind (0.5 to 4): in New York's small hours Hawaii's evening is most of the
  // reports, eight times its whole-day share. Judged by its share at that time of day, a day
  // of normal traffic raises nothing; by its whole-day share it would raise outages at night.
  auto rate = [](int64_t minute, int tz_hours, double low, double high) {
    double hour = static_cast<double>((((minute + tz_hours * 60) % kDay) + kDay) % kDay) / 60;
    double cycle = (1 - std::cos(2 * M_PI * (hour - 4) / 24)) / 2;  // 0 at 04:00, 1 at 16:00
    return low + (high - low) * cycle;
  };
  auto add = [&](int64_t minute, uint32_t n, const char* region) {
    AddPlaced("islands", minute, n, region);
  };
  for (int64_t m = kT0 - 14 * kDay; m < kT0 + kDay; ++m) {
    std::poisson_distribution<uint32_t> east(rate(m, -5, 1, 40)), hawaii(rate(m, -11, 0.5, 4));
    if (uint32_t n = east(rng_)) add(m, n, "US-NY");
    if (uint32_t n = hawaii(rng_)) add(m, n, "US-HI");
  }
  auto outage_minutes = [&](Detector& detector) {
    int raised = 0;
    for (int64_t m = kT0; m < kT0 + kDay; ++m) {
      detector.Tick(aggregates_, m);
      raised += detector.Snapshot()->Find("islands")->status == Status::kOutage;
    }
    return raised;
  };
  Detector by_time_of_day;
  EXPECT_EQ(outage_minutes(by_time_of_day), 0);
  // The whole-day share alone (the time-of-day share drowned by its prior) is what the test
  // guards against.
  Detector by_whole_day({.region_prior = 1e9});
  EXPECT_GT(outage_minutes(by_whole_day), 0);
}

TEST_F(DetectorTest, BrandNewServiceIsNotAnOutageJustForStarting) {
  // A service seen for the first time, at a steady 2 reports a minute: nothing to judge at first,
  // then a baseline from its own first minutes, and no outage.
  Steady(kT0, kT0 + 120, 2, "fresh");
  Detector detector;
  detector.Tick(aggregates_, kT0 + 5);
  const ServiceState* s = detector.Snapshot()->Find("fresh");
  EXPECT_EQ(s->status, Status::kNormal);
  EXPECT_TRUE(std::isnan(s->expected_per_minute)) << "too young to have a baseline";
  EXPECT_EQ(RunUntil(detector, kT0 + 6, kT0 + 120, "fresh"), Status::kNormal);
  uint32_t idx = *aggregates_.ServiceIndex("fresh");
  EXPECT_NEAR(detector.ExpectedPerMinute(aggregates_, idx, kT0 + 119), 2, 0.5);
  // And a real outage an hour and a half in is still caught.
  for (int64_t m = kT0 + 120; m < kT0 + 130; ++m) AddAt(m, 40, "fresh");
  EXPECT_EQ(RunUntil(detector, kT0 + 120, kT0 + 125, "fresh"), Status::kOutage);
}

TEST_F(DetectorTest, SilentServiceNeedsMoreThanOneReport) {
  AddAt(kT0 - 3 * kDay, 1, "quiet");
  Detector detector;
  AddAt(kT0 + 10, 1, "quiet");
  AddAt(kT0 + 11, 2, "quiet");
  EXPECT_EQ(RunUntil(detector, kT0, kT0 + 12, "quiet"), Status::kNormal);
}

TEST(StatusNameTest, Names) {
  EXPECT_EQ(StatusName(Status::kNormal), "normal");
  EXPECT_EQ(StatusName(Status::kPossible), "possible");
  EXPECT_EQ(StatusName(Status::kOutage), "outage");
}

}  // namespace
}  // namespace om::detect

namespace om::detect {
namespace {

TEST(PossibleThresholdTest, IsTheFirstCountPassingScoreAndRatio) {
  DetectOptions options;
  Detector detector(options);
  for (double expected : {0.05, 1.0, 10.0, 250.0}) {
    double t = detector.PossibleThreshold(expected);
    ASSERT_TRUE(std::isfinite(t)) << expected;
    EXPECT_GE(t, options.possible_ratio * expected);
    EXPECT_GE(OverdispersedTailScore(t, expected, options.dispersion), options.possible_score);
    // One report fewer fails one of the two floors.
    bool below_passes =
        t - 1 >= options.possible_ratio * expected &&
        OverdispersedTailScore(t - 1, expected, options.dispersion) >= options.possible_score;
    EXPECT_FALSE(below_passes) << expected;
  }
  EXPECT_TRUE(std::isnan(detector.PossibleThreshold(0)));
  EXPECT_TRUE(std::isnan(detector.PossibleThreshold(NAN)));
}

}  // namespace
}  // namespace om::detect

namespace om::detect {
namespace {

// Real crowd counts burst: a service of 5 reports a minute that twice a day, at random, gets
// two minutes at six times its rate (a news story, a viral post), which are not outages.
class BurstyServiceTest : public DetectorTest {
 protected:
  void SetUp() override {
    std::uniform_int_distribution<int64_t> when(0, kDay - 3);
    for (int64_t day = -14; day < 8; ++day) {
      Steady(kT0 + day * kDay, kT0 + (day + 1) * kDay, 5);
      for (int burst = 0; burst < 2; ++burst) {
        int64_t at = kT0 + day * kDay + when(rng_);
        Steady(at, at + 2, 25);
      }
    }
  }
  // Outage onsets while `detector` judges [from, to).
  int Onsets(Detector& detector, int64_t from, int64_t to) {
    int onsets = 0;
    Status before = Status::kNormal;
    for (int64_t m = from; m < to; ++m) {
      detector.Tick(aggregates_, m);
      Status now = detector.Snapshot()->Find("outlook")->status;
      onsets += now == Status::kOutage && before != Status::kOutage;
      before = now;
    }
    return onsets;
  }
};

TEST_F(BurstyServiceTest, LearnedDispersionQuietsBurstsThatAFixedOneCallsOutages) {
  Detector fixed({.learn_dispersion = false});
  Detector learned;
  int fixed_first = Onsets(fixed, kT0, kT0 + 3 * kDay);
  int learned_first = Onsets(learned, kT0, kT0 + 3 * kDay);
  int fixed_later = Onsets(fixed, kT0 + 3 * kDay, kT0 + 7 * kDay);
  int learned_later = Onsets(learned, kT0 + 3 * kDay, kT0 + 7 * kDay);
  double dispersion = learned.Snapshot()->Find("outlook")->dispersion;
  EXPECT_GE(fixed_later, 4) << "8 bursts in 4 days, judged with dispersion 0.02 (first 3 days: "
                            << fixed_first << ")";
  EXPECT_LE(learned_later, 1) << "the same 8 bursts once it has learned them (first 3 days: "
                              << learned_first << ")";
  EXPECT_GT(dispersion, 0.1);
  EXPECT_EQ(fixed.Snapshot()->Find("outlook")->dispersion, 0.02) << "learn_dispersion = false";
  // A floor of 0 still learns (the steps start from 0.001), if slowly: most bursts open an
  // outage at first, and those do not count.
  Detector from_zero({.dispersion = 0});
  Onsets(from_zero, kT0, kT0 + 7 * kDay);
  EXPECT_GT(from_zero.Snapshot()->Find("outlook")->dispersion, 0.001);
  // A real outage still stands out: 20 minutes at ten times the rate.
  Steady(kT0 + 7 * kDay + 600, kT0 + 7 * kDay + 620, 45);
  EXPECT_EQ(Onsets(learned, kT0 + 7 * kDay, kT0 + 7 * kDay + 603), 1)
      << "found within three minutes";
}

}  // namespace
}  // namespace om::detect

namespace om::detect {
namespace {

TEST_F(DetectorTest, AnOutageDoesNotTeachTheDispersion) {
  // Four quiet days, then an outage that ramps up over five minutes and lasts half an hour.
  Steady(kT0 - 14 * kDay, kT0 + 4 * kDay + 600, 5);
  for (int64_t k = 0; k < 30; ++k) {
    int64_t m = kT0 + 4 * kDay + 600 + k;
    Steady(m, m + 1, 5 + 9 * std::min<int64_t>(k + 1, 5));
  }
  Steady(kT0 + 4 * kDay + 630, kT0 + 5 * kDay, 5);
  Detector detector;
  EXPECT_EQ(RunUntil(detector, kT0, kT0 + 4 * kDay + 610), Status::kOutage);
  double during = detector.Snapshot()->Find("outlook")->dispersion;
  EXPECT_EQ(RunUntil(detector, kT0 + 4 * kDay + 610, kT0 + 5 * kDay), Status::kNormal);
  double after = detector.Snapshot()->Find("outlook")->dispersion;
  // Poisson noise alone: the floor, give or take a calibration event or two in five days.
  EXPECT_LT(during, 0.02 * 1.3 * 1.3 + 1e-9);
  EXPECT_LE(after, during) << "the outage's first minutes are not counted as noise";
}

}  // namespace
}  // namespace om::detect

namespace om::detect {
namespace {

TEST_F(DetectorTest, SeededDispersionsAreWhereServicesStartWithinTheBounds) {
  for (const char* service : {"ibm", "cvs", "wild", "plain"}) {
    Steady(kT0 - 14 * kDay, kT0 + 10, 5, service);
  }
  Detector detector({.max_dispersion = 10});
  detector.SeedDispersions({{"ibm", 1.7}, {"cvs", 0.001}, {"wild", 1e9}, {"gone", 3}});
  detector.Tick(aggregates_, kT0);
  auto snapshot = detector.Snapshot();
  // Within a quiet minute or two the learning moves them by a factor of 1 - 6e-5 at most.
  EXPECT_NEAR(snapshot->Find("ibm")->dispersion, 1.7, 1e-3);
  EXPECT_NEAR(snapshot->Find("cvs")->dispersion, 0.02, 1e-6) << "no lower than the floor";
  EXPECT_NEAR(snapshot->Find("wild")->dispersion, 10, 1e-2) << "no higher than the ceiling";
  EXPECT_NEAR(snapshot->Find("plain")->dispersion, 0.02, 1e-6) << "unseeded: the floor";
  EXPECT_EQ(snapshot->Find("gone"), nullptr) << "a seed alone tracks no service";
  // Without learning, what was learned before is not used.
  Detector fixed({.learn_dispersion = false});
  fixed.SeedDispersions({{"ibm", 1.7}});
  fixed.Tick(aggregates_, kT0);
  EXPECT_EQ(fixed.Snapshot()->Find("ibm")->dispersion, 0.02);
}

}  // namespace
}  // namespace om::detect
