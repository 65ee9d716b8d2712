#include "pipeline/live_series.h"

#include <cmath>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "detect/series_detector.h"

namespace om::pipeline {
namespace {

constexpr int64_t kT0 = 1767225600;  // 2026-01-01 00:00:00 UTC

// Reports a minute with a daily cycle: 1 at night, 9 at the afternoon peak.
double UsualRate(int64_t t) {
  double hour = static_cast<double>(t % 86400) / 3600;
  return 5 + 4 * std::sin(2 * M_PI * (hour - 9) / 24);
}

TEST(LiveSeriesScorerTest, FindsATenfoldHourOnceAndStaysQuietBefore) {
  std::mt19937 rng(1);
  LiveSeriesScorer scorer;
  constexpr int64_t kOutage = 4 * 1440 + 14 * 60;  // day 5, 14:00
  int before = 0, onsets = 0;
  int64_t first_onset = -1;
  for (int64_t i = 0; i < 5 * 1440; ++i) {
    int64_t t = kT0 + i * 60;
    double rate = UsualRate(t) * (i >= kOutage && i < kOutage + 60 ? 10 : 1);
    Result<double> score = scorer.Update(t, std::poisson_distribution<int>(rate)(rng));
    ASSERT_TRUE(score.ok()) << score.status().ToString();
    ASSERT_GE(*score, 0.0);
    ASSERT_LE(*score, 1.0);
    if (i < kOutage) before += *score == 1;
    if (*score == 1) {
      ++onsets;
      if (first_onset < 0) first_onset = i;
    }
  }
  EXPECT_EQ(before, 0) << "no outage in four days and 14 hours of usual traffic";
  EXPECT_EQ(onsets, 1) << "one outage, one onset";
  EXPECT_GE(first_onset, kOutage);
  EXPECT_LE(first_onset, kOutage + 2) << "found within two minutes";
}

TEST(LiveSeriesScorerTest, RowsFiveMinutesApartAreJudgedLikeSparseMinutes) {
  // NAB's tweet counts come every 5 minutes; the minutes between are empty, not missing.
  std::mt19937 rng(2);
  LiveSeriesScorer scorer;
  constexpr int64_t kOutageRow = 4 * 288 + 170, kRows = kOutageRow + 13;
  int64_t first_onset = -1;
  int before = 0;
  for (int64_t i = 0; i < kRows; ++i) {
    int64_t t = kT0 + i * 300;
    double rate = 5 * UsualRate(t) * (i >= kOutageRow && i < kOutageRow + 12 ? 8 : 1);
    Result<double> score = scorer.Update(t, std::poisson_distribution<int>(rate)(rng));
    ASSERT_TRUE(score.ok());
    if (i < kOutageRow) before += *score == 1;
    if (*score == 1 && first_onset < 0) first_onset = i;
  }
  EXPECT_EQ(before, 0);
  EXPECT_EQ(first_onset, kOutageRow);
  EXPECT_EQ(scorer.last_status(), detect::Status::kOutage)
      << "one row after the hour: not yet clear";
}

TEST(LiveSeriesScorerTest, RefusesWhatIsNotACount) {
  LiveSeriesScorer scorer;
  for (double bad : {-1.0, 2.5, 1e10}) {
    Result<double> score = scorer.Update(kT0, bad);
    ASSERT_FALSE(score.ok()) << bad;
    EXPECT_EQ(score.status().message(),
              "value: the live engine counts reports: a non-negative integer below 2^28");
  }
  EXPECT_TRUE(scorer.Update(kT0, 0).ok());
}

TEST(LiveSeriesScorerTest, ALongGapIsJumpedAndRowsInAJudgedMinuteAreKept) {
  LiveSeriesScorer scorer;
  ASSERT_TRUE(scorer.Update(kT0, 3).ok());
  ASSERT_TRUE(scorer.Update(kT0 + 10, 4).ok());  // the same minute, already judged
  const store::Aggregates& a = scorer.TEST_aggregates();
  EXPECT_EQ(a.Total(*a.ServiceIndex("series"), kT0 / 60, kT0 / 60 + 1), 7u)
      << "both rows of the minute are counted";
  // A year later: only the last two days of the gap are judged (else half a million minutes).
  Result<double> later = scorer.Update(kT0 + 365 * 86400, 2);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(*later, 0.0) << "too young to judge after a year of silence";
}

TEST(LiveSeriesScorerTest, HourlyRowsAreSpreadOverTheirHour) {
  // A lump in one minute of each hour would be an outage every hour against quarter-hour
  // baselines; spread over the hour it is the usual rate.
  std::mt19937 rng(3);
  LiveSeriesScorer scorer;
  constexpr int64_t kHours = 5 * 24;
  int onsets = 0;
  for (int64_t i = 0; i < kHours; ++i) {
    Result<double> score = scorer.Update(kT0 + i * 3600, std::poisson_distribution<int>(300)(rng));
    ASSERT_TRUE(score.ok());
    onsets += *score == 1;
  }
  EXPECT_EQ(onsets, 0) << "five days of hourly rows at the usual level";
  Result<double> tenfold = scorer.Update(kT0 + kHours * 3600, 3000);
  ASSERT_TRUE(tenfold.ok());
  EXPECT_EQ(*tenfold, 1.0) << "a tenfold hour opens an outage";
  // A second row in the same minute repeats no onset.
  Result<double> again = scorer.Update(kT0 + kHours * 3600 + 20, 5);
  ASSERT_TRUE(again.ok());
  EXPECT_LT(*again, 0.5);
}

TEST(LiveSeriesScorerTest, TimestampsBeyondTheStoresRangeAreRefused) {
  LiveSeriesScorer scorer;
  Result<double> ms = scorer.Update(int64_t{1767225600} * 1000, 3);  // milliseconds, not seconds
  ASSERT_FALSE(ms.ok());
  EXPECT_EQ(ms.status().message().rfind("timestamp: out of the live engine's range", 0), 0u)
      << ms.status().message();
  EXPECT_TRUE(scorer.Update(kT0, 3).ok());
}

TEST(LiveSeriesScorerTest, TheCsvDriverNamesTheLineOfABadCount) {
  LiveSeriesScorer scorer;
  std::istringstream in("timestamp,value\n2026-01-01 00:00:00,3\n2026-01-01 00:05:00,2.5\n");
  std::ostringstream out;
  om::Status s = detect::ScoreCsv(
      in, out, "stdin", [&scorer](int64_t t, double value) { return scorer.Update(t, value); });
  EXPECT_EQ(s.message(),
            "stdin:3: value: the live engine counts reports: a non-negative integer below 2^28");
  EXPECT_EQ(out.str(), "timestamp,anomaly_score\n2026-01-01 00:00:00,0\n");
}

}  // namespace
}  // namespace om::pipeline
