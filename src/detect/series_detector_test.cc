#include "detect/series_detector.h"

#include <cmath>
#include <numbers>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

namespace om::detect {
namespace {

constexpr int64_t kT0 = 1396310400;  // 2014-04-01 00:00:00 UTC
constexpr int64_t kStep = 300;       // 5-minute rows, like NAB

TEST(SeriesDetectorTest, ProbationScoresZero) {
  SeriesDetector d;
  for (int i = 0; i < SeriesOptions().probation_points; ++i) {
    // Even a wild series scores 0 while the detector has too little history.
    EXPECT_EQ(d.Update(kT0 + i * kStep, i % 7 == 0 ? 1e6 : i), 0.0) << i;
  }
}

TEST(SeriesDetectorTest, FlatPoissonScoresLow) {
  std::mt19937 rng(1);
  std::poisson_distribution<int> counts(20);
  SeriesDetector d;
  int alarms = 0, loud = 0;
  double sum = 0;
  constexpr int kN = 4000;
  for (int i = 0; i < kN; ++i) {
    double s = d.Update(kT0 + i * kStep, counts(rng));
    alarms += s >= 0.5;
    loud += s >= 0.8;
    sum += s;
  }
  EXPECT_TRUE(d.TEST_IsCount());
  EXPECT_EQ(d.TEST_Interval(), kStep);
  // Score 0.5 is p ~ 3e-3 per point (score_decades 5), so a handful of alarms in two weeks of
  // Poisson noise is the calibrated rate; score 0.8 is p ~ 1e-4.
  EXPECT_LE(alarms, 12);
  EXPECT_LE(loud, 1);
  EXPECT_LT(sum / kN, 0.1);
}

TEST(SeriesDetectorTest, TenfoldStepUpScoresHighAtOnce) {
  std::mt19937 rng(2);
  std::poisson_distribution<int> normal(10), outage(100);
  SeriesDetector d;
  for (int i = 0; i < 1000; ++i) d.Update(kT0 + i * kStep, normal(rng));
  double best = 0;
  for (int i = 1000; i < 1003; ++i) best = std::max(best, d.Update(kT0 + i * kStep, outage(rng)));
  EXPECT_GE(best, 0.9);
}

TEST(SeriesDetectorTest, QuietWindowCatchesAFlatline) {
  // A noisy gauge that gets stuck at its last value: within its range, so only the optional
  // quietness statistic sees it.
  std::mt19937 rng(4);
  std::normal_distribution<double> noise(50, 5);
  SeriesOptions with;
  with.quiet_window = 24;
  SeriesDetector quiet(with), plain;
  for (int i = 0; i < 2000; ++i) {
    double v = noise(rng);
    quiet.Update(kT0 + i * kStep, v);
    plain.Update(kT0 + i * kStep, v);
  }
  double best_quiet = 0, best_plain = 0;
  for (int i = 2000; i < 2060; ++i) {
    best_quiet = std::max(best_quiet, quiet.Update(kT0 + i * kStep, 50.0));
    best_plain = std::max(best_plain, plain.Update(kT0 + i * kStep, 50.0));
  }
  EXPECT_GE(best_quiet, 0.5);
  EXPECT_LT(best_plain, 0.5);
  SeriesOptions o;
  EXPECT_TRUE(SetSeriesOption(o, "quiet_window", "12").ok());
  EXPECT_EQ(o.quiet_window, 12);
}

TEST(SeriesDetectorTest, LearnedDailyPeakDoesNotAlarm) {
  std::mt19937 rng(3);
  SeriesDetector d;
  constexpr int kPerDay = 288;
  double peak_max = 0;
  for (int i = 0; i < 12 * kPerDay; ++i) {
    double phase = 2 * std::numbers::pi * (i % kPerDay) / kPerDay;
    double rate = 40 + 35 * std::sin(phase);  // 5 at night, 75 at the peak
    std::poisson_distribution<int> counts(rate);
    double s = d.Update(kT0 + i * kStep, counts(rng));
    bool at_peak = std::fabs(phase - std::numbers::pi / 2) < 0.3;
    if (i >= 9 * kPerDay && at_peak) peak_max = std::max(peak_max, s);
  }
  EXPECT_LT(peak_max, 0.5) << "days 10-12, around the daily peak";
  // Twice the daily peak during the morning rise (03:00, about 65 expected) is an anomaly.
  int64_t night = kT0 + 12 * kPerDay * kStep;
  for (int i = 0; i < 36; ++i) {
    double rate = 40 + 35 * std::sin(2 * std::numbers::pi * i / kPerDay);
    std::poisson_distribution<int> counts(rate);
    d.Update(night + i * kStep, counts(rng));
  }
  EXPECT_GE(d.Update(night + 36 * kStep, 150), 0.5);
}

TEST(SeriesDetectorTest, ScoresStayInUnitIntervalOnAnySeries) {
  std::mt19937 rng(4);
  std::normal_distribution<double> noise(-50, 10);
  std::uniform_real_distribution<double> u(0, 1);
  SeriesDetector d;
  for (int i = 0; i < 3000; ++i) {
    double x = noise(rng);
    if (u(rng) < 0.01) x *= 1e6;           // wild outliers
    if (u(rng) < 0.005) x = std::nan("");  // gaps
    if (i > 2000) x = 5;                   // then a flat line: zero scale
    double s = d.Update(kT0 + i * kStep, x);
    ASSERT_GE(s, 0.0) << i;
    ASSERT_LE(s, 1.0) << i;
  }
  EXPECT_FALSE(d.TEST_IsCount());
}

TEST(SeriesDetectorTest, AlarmIsFollowedBySuppression) {
  SeriesOptions o;
  o.suppress_points = 50;
  o.suppress_fraction = 0;
  SeriesDetector d(o);
  std::mt19937 rng(5);
  std::normal_distribution<double> noise(100, 1);
  for (int i = 0; i < 500; ++i) d.Update(kT0 + i * kStep, noise(rng));
  EXPECT_GE(d.Update(kT0 + 500 * kStep, 1000), 0.5);
  for (int i = 501; i < 551; ++i) EXPECT_EQ(d.Update(kT0 + i * kStep, 1000), 0.0) << i;
}

TEST(SeriesDetectorTest, SuppressionIsCappedInSeriesTime) {
  // Hourly rows: 100 rows of silence would be four days; suppress_seconds caps it at one.
  constexpr int64_t kHour = 3600;
  auto run = [](int64_t suppress_seconds) {
    SeriesOptions o;
    o.suppress_points = 100;
    o.suppress_fraction = 0;
    o.suppress_seconds = suppress_seconds;
    SeriesDetector d(o);
    std::mt19937 rng(6);
    std::normal_distribution<double> noise(100, 1);
    for (int i = 0; i < 500; ++i) d.Update(kT0 + i * kHour, noise(rng));
    EXPECT_GE(d.Update(kT0 + 500 * kHour, 1000), 0.5);
    for (int i = 501; i <= 524; ++i) EXPECT_EQ(d.Update(kT0 + i * kHour, noise(rng)), 0.0) << i;
    return d.Update(kT0 + 525 * kHour, 100000);  // a far larger event, 25 hours later
  };
  EXPECT_GE(run(86400), 0.5);
  EXPECT_EQ(run(0), 0.0);
}

TEST(SeriesDetectorTest, NoveltyBaseAsksAShortHistoryForALargerExcess) {
  // Uniform noise has a hard maximum, so a value just above it is new but barely so.
  auto score_of_new_extreme = [](double novelty_base) {
    SeriesOptions o;
    o.novelty_base = novelty_base;
    SeriesDetector d(o);
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> noise(100, 110);
    double high = 0;
    for (int i = 0; i < 400; ++i) {
      double x = noise(rng);
      high = std::max(high, x);
      d.Update(kT0 + i * kStep, x);
    }
    return d.Update(kT0 + 400 * kStep, high + 0.5);
  };
  double lenient = score_of_new_extreme(1.5), strict = score_of_new_extreme(10);
  EXPECT_GE(lenient, 0.5);
  EXPECT_LT(strict, 0.5);
}

TEST(SeriesDetectorTest, SetSeriesOptionValidates) {
  SeriesOptions o;
  EXPECT_TRUE(SetSeriesOption(o, "suppress_points", "20").ok());
  EXPECT_EQ(o.suppress_points, 20);
  EXPECT_TRUE(SetSeriesOption(o, "suppress_seconds", "3600").ok());
  EXPECT_EQ(o.suppress_seconds, 3600);
  EXPECT_TRUE(SetSeriesOption(o, "novelty_base", "2.5").ok());
  EXPECT_EQ(o.novelty_base, 2.5);
  EXPECT_FALSE(SetSeriesOption(o, "novelty_base", "0").ok());
  EXPECT_EQ(SetSeriesOption(o, "nope", "1").message(), "nope: unknown option");
  EXPECT_FALSE(SetSeriesOption(o, "level_alpha", "2").ok());
  EXPECT_FALSE(SetSeriesOption(o, "short_window", "1.5").ok());
  EXPECT_FALSE(SetSeriesOption(o, "huber_k", "x").ok());
}

std::string ScoreCsv(const std::string& csv, Status* status) {
  std::istringstream in(csv);
  std::ostringstream out;
  *status = ScoreSeriesCsv(in, out, "stdin", SeriesOptions());
  return out.str();
}

TEST(ScoreSeriesCsvTest, EmptyInputPrintsTheHeader) {
  Status s;
  EXPECT_EQ(ScoreCsv("", &s), "timestamp,anomaly_score\n");
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(ScoreCsv("timestamp,value\n", &s), "timestamp,anomaly_score\n");
  EXPECT_TRUE(s.ok());
}

TEST(ScoreSeriesCsvTest, EchoesTimestampsOneRowPerRow) {
  Status s;
  std::string out = ScoreCsv(
      "timestamp,value\r\n2014-04-01 00:00:00,1\n\n2014-04-01 00:05:00,-2.5e3\n1396311000,3\n", &s);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(out,
            "timestamp,anomaly_score\n2014-04-01 00:00:00,0\n2014-04-01 00:05:00,0\n"
            "1396311000,0\n");
}

TEST(ScoreSeriesCsvTest, BadRowsNameTheLine) {
  Status s;
  std::string csv = "timestamp,value\n";
  for (int i = 0; i < 15; ++i) csv += "2014-04-01 00:00:00,1\n";
  ScoreCsv(csv + "2014-04-01 00:00:00,abc\n", &s);
  EXPECT_EQ(s.message(), "stdin:17: value: not a number");
  ScoreCsv("timestamp,value\n2014-04-01 00:00:00,1\n2014-13-01 00:00:00,1\n", &s);
  EXPECT_EQ(s.message(), "stdin:3: timestamp: expected YYYY-MM-DD HH:MM:SS");
  ScoreCsv("2014-04-01 00:00:00,1\njust one field\n", &s);
  EXPECT_EQ(s.message(), "stdin:2: expected timestamp,value");
}

TEST(ScoreSeriesCsvTest, AStepBackInTimeIsTolerated) {
  Status s;
  ScoreCsv("2014-01-07 02:55:00,1\n2014-01-07 02:00:00,2\n2014-01-07 02:05:00,3\n", &s);
  EXPECT_TRUE(s.ok()) << s.ToString();
}

}  // namespace
}  // namespace om::detect
