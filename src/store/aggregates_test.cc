#include "store/aggregates.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/time.h"

namespace om::store {
namespace {

constexpr int64_t kDay = 1440;
constexpr int64_t kT0 = 29'500'000;  // a minute index in 2026

Report At(int64_t minute, std::string city_id, std::string region, std::string problem = "login") {
  Report r;
  r.ts_ms = minute * 60000 + 1234;
  r.service = "outlook";
  r.problem = std::move(problem);
  r.geonameid = static_cast<uint32_t>(std::stoul(city_id));
  r.region = std::move(region);
  r.country = "US";
  return r;
}

TEST(AggregatesTest, CountsPerMinuteAndPerDimension) {
  Aggregates a;
  for (int i = 0; i < 5; ++i) a.Add(At(kT0, "5037649", "US-MN"));
  for (int i = 0; i < 2; ++i) a.Add(At(kT0 + 1, "5368361", "US-CA", "email"));
  uint32_t s = *a.ServiceIndex("outlook");
  EXPECT_EQ(a.Total(s, kT0, kT0 + 2), 7u);
  auto series = a.Series(s, std::nullopt, "", kT0 - 1, kT0 + 3, 1);
  EXPECT_EQ(series.counts, (std::vector<uint64_t>{0, 5, 2, 0}));
  auto city = a.Series(s, Dimension::kCity, "5368361", kT0, kT0 + 2, 1);
  EXPECT_EQ(city.counts, (std::vector<uint64_t>{0, 2}));
  auto top = a.Top(s, Dimension::kRegion, kT0, kT0 + 2, 10);
  EXPECT_EQ(top, (std::vector<KeyCount>{{"US-MN", 5}, {"US-CA", 2}}));
  auto problems = a.Top(s, Dimension::kProblem, kT0, kT0 + 2, 1);
  EXPECT_EQ(problems, (std::vector<KeyCount>{{"login", 5}}));
  EXPECT_EQ(a.Top(s, Dimension::kCountry, kT0, kT0 + 2, 5), (std::vector<KeyCount>{{"US", 7}}));
}

TEST(AggregatesTest, KeepsRecentTextsPerServiceBounded) {
  Aggregates a;
  for (int i = 0; i < 600; ++i) {
    Report r = At(kT0 + i, "1", "US-MN");
    r.text = "text " + std::to_string(i);
    a.Add(r);
  }
  a.Add(At(kT0 + 700, "1", "US-MN"));  // no text: nothing kept
  uint32_t s = *a.ServiceIndex("outlook");
  auto all = a.RecentTexts(s, kT0, kT0 + 1000);
  ASSERT_EQ(all.size(), Aggregates::kRecentTexts);
  EXPECT_EQ(all.front(), "text 100");
  EXPECT_EQ(all.back(), "text 599");
  auto window = a.RecentTexts(s, kT0 + 590, kT0 + 595);
  EXPECT_EQ(window,
            (std::vector<std::string>{"text 590", "text 591", "text 592", "text 593", "text 594"}));
}

TEST(AggregatesTest, StepsSumBuckets) {
  Aggregates a;
  for (int m = 0; m < 10; ++m) a.Add(At(kT0 + m, "1", "US-MN"));
  auto s = a.Series(*a.ServiceIndex("outlook"), std::nullopt, "", kT0, kT0 + 10, 5);
  EXPECT_EQ(s.counts, (std::vector<uint64_t>{5, 5}));
}

TEST(AggregatesTest, OldRangesComeFromQuarterRollupAfterPrune) {
  Aggregates a({.minute_retention_days = 2,
                .quarter_retention_days = 30,
                .dimension_quarter_retention_days = 20});
  for (int m = 0; m < 30; ++m) a.Add(At(kT0 + m, "1", "US-MN"));
  a.Add(At(kT0 + 10 * kDay, "1", "US-MN"));
  a.Prune(kT0 + 10 * kDay);
  uint32_t s = *a.ServiceIndex("outlook");
  EXPECT_EQ(a.Total(s, kT0, kT0 + 30), 0u) << "minute buckets must be gone";
  auto old = a.Series(s, std::nullopt, "", kT0, kT0 + 60, 1);
  EXPECT_EQ(old.step_minutes, 15);
  uint64_t sum = 0;
  for (auto c : old.counts) sum += c;
  EXPECT_EQ(sum, 30u);
  auto top = a.Top(s, Dimension::kRegion, kT0, kT0 + 60, 5);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].count, 30u);
  a.Prune(kT0 + 25 * kDay);
  EXPECT_EQ(a.Top(s, Dimension::kRegion, kT0, kT0 + 60, 5).size(), 0u) << "places: 20 days";
  uint64_t still = 0;
  for (auto c : a.Series(s, std::nullopt, "", kT0, kT0 + 60, 15).counts) still += c;
  EXPECT_EQ(still, 30u) << "service totals: 30 days";
  a.Prune(kT0 + 40 * kDay);
  still = 0;
  for (auto c : a.Series(s, std::nullopt, "", kT0, kT0 + 60, 15).counts) still += c;
  EXPECT_EQ(still, 0u);
}

// Totals and aligned series read whole quarter hours from the rollup; the answers must be the
// minute sums exactly, for every alignment of the range.
TEST(AggregatesTest, QuarterShortcutsGiveTheMinuteSums) {
  for (int quarter_days : {400, 1}) {  // 1: the rollup does not cover the minutes, no shortcut
    AggregateOptions options;
    options.quarter_retention_days = quarter_days;
    Aggregates a(options);
    std::vector<uint64_t> per_minute(200);
    const int64_t base = kT0 - kT0 % 15 + 3;  // not on a quarter boundary
    for (int64_t m = 0; m < 200; ++m) {
      per_minute[static_cast<size_t>(m)] = static_cast<uint64_t>((m * 7) % 5);
      for (uint64_t i = 0; i < per_minute[static_cast<size_t>(m)]; ++i)
        a.Add(At(base + m, "1", "US-MN"));
    }
    uint32_t s = *a.ServiceIndex("outlook");
    for (int64_t from = 0; from < 200; from += 7) {
      for (int64_t to = from; to <= 200; to += 11) {
        uint64_t want = 0;
        for (int64_t m = from; m < to; ++m) want += per_minute[static_cast<size_t>(m)];
        ASSERT_EQ(a.Total(s, base + from, base + to), want) << from << ".." << to;
      }
    }
    // An aligned series with a step of whole quarters.
    int64_t q0 = base - 3 + 15;
    auto series = a.Series(s, std::nullopt, "", q0, q0 + 90, 30);
    ASSERT_EQ(series.counts.size(), 3u);
    for (int i = 0; i < 3; ++i) {
      uint64_t want = 0;
      for (int64_t m = q0 + 30 * i; m < q0 + 30 * (i + 1); ++m)
        want += per_minute[static_cast<size_t>(m - base)];
      EXPECT_EQ(series.counts[static_cast<size_t>(i)], want) << i;
    }
  }
}

TEST(AggregatesTest, HugeMinutePromotesPastSixteenBits) {
  Aggregates a;
  for (int i = 0; i < 70000; ++i) a.Add(At(kT0, "1", "US-MN"));
  EXPECT_EQ(a.Total(*a.ServiceIndex("outlook"), kT0, kT0 + 1), 70000u);
}

TEST(AggregatesTest, SerializeRoundTripsAndRejectsGarbage) {
  Aggregates a;
  for (int m = 0; m < 100; ++m)
    a.Add(At(kT0 + m, std::to_string(m % 7 + 1), m % 2 ? "US-MN" : "US-TX"));
  std::string bytes;
  a.Serialize(bytes);
  Aggregates b;
  ASSERT_TRUE(b.Deserialize(bytes).ok());
  std::string again;
  b.Serialize(again);
  EXPECT_EQ(bytes.size(), again.size());
  uint32_t s = *b.ServiceIndex("outlook");
  EXPECT_EQ(b.Total(s, kT0, kT0 + 100), 100u);
  EXPECT_EQ(b.Top(s, Dimension::kRegion, kT0, kT0 + 100, 5),
            a.Top(s, Dimension::kRegion, kT0, kT0 + 100, 5));
  for (size_t cut : {size_t{0}, size_t{3}, bytes.size() / 2, bytes.size() - 1}) {
    Aggregates c;
    EXPECT_EQ(c.Deserialize(std::string_view(bytes).substr(0, cut)).code(),
              StatusCode::kCorruption);
  }
}

// Top over a recent window reads only the recently counted keys: its answers must be those of
// counting every report, through late reports, prunes that erase keys counted again later, and
// a snapshot reload.
TEST(AggregatesTest, TopOverRecentWindowsCountsEveryKeyOnce) {
  // Places are kept a day: a city of two days ago is erased by the prune, then counted again.
  const AggregateOptions options{.minute_retention_days = 2,
                                 .quarter_retention_days = 30,
                                 .dimension_quarter_retention_days = 1};
  Aggregates a(options);
  std::map<uint32_t, std::vector<int64_t>> minutes_of_city;  // every city's report minutes
  uint64_t state = 12345;
  auto next = [&](uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % bound;
  };
  int64_t cut = INT64_MIN;  // minute counts before it were pruned (whole days, see Prune)
  auto expect_same_tops = [&](const Aggregates& agg, int64_t now, const char* when) {
    uint32_t s = *agg.ServiceIndex("outlook");
    for (int64_t window : {int64_t{1}, int64_t{5}, int64_t{60}, Aggregates::kRecentMinutes}) {
      std::map<uint32_t, uint64_t> expected;
      for (const auto& [city, minutes] : minutes_of_city) {
        for (int64_t m : minutes) expected[city] += m > now - window && m <= now && m >= cut;
      }
      std::vector<KeyCount> want;
      for (const auto& [city, n] : expected) {
        if (n > 0) want.push_back({std::to_string(city), n});
      }
      std::stable_sort(want.begin(), want.end(),
                       [](const KeyCount& x, const KeyCount& y) { return x.count > y.count; });
      auto got = agg.Top(s, Dimension::kCity, now - window + 1, now + 1, SIZE_MAX);
      // Ties are ordered by the internal key, which for cities is the id as a number.
      std::sort(got.begin(), got.end(), [](const KeyCount& x, const KeyCount& y) {
        return x.count != y.count ? x.count > y.count : std::stoul(x.key) < std::stoul(y.key);
      });
      ASSERT_EQ(got, want) << when << ", window " << window << " at minute " << now;
      // With a floor: the same rows, cut where the counts fall below it.
      for (uint64_t floor : {uint64_t{2}, uint64_t{5}}) {
        auto above = agg.Top(s, Dimension::kCity, now - window + 1, now + 1, SIZE_MAX, floor);
        std::vector<KeyCount> want_above;
        for (const KeyCount& kc : got) {
          if (kc.count >= floor) want_above.push_back(kc);
        }
        std::sort(above.begin(), above.end(), [](const KeyCount& x, const KeyCount& y) {
          return x.count != y.count ? x.count > y.count : std::stoul(x.key) < std::stoul(y.key);
        });
        ASSERT_EQ(above, want_above) << when << ", window " << window << ", floor " << floor;
      }
    }
  };
  int64_t now = kT0;
  for (int day = 0; day < 7; ++day) {
    // Day 3 is silent: the keys of day 2 are still listed when the prune erases them.
    for (int k = 0; k < (day == 3 ? 0 : 2000); ++k) {
      now += static_cast<int64_t>(next(2));
      // One report in ten arrives late, up to 4 hours.
      int64_t minute = next(10) == 0 ? now - static_cast<int64_t>(next(240)) : now;
      // A few cities report every day, many only on some days, so prunes erase them.
      // The day's first report is from a city erased by the prune before it.
      uint32_t city = k > 0 && next(4) == 0 ? 1 + static_cast<uint32_t>(next(5))
                                            : 100 + static_cast<uint32_t>(day % 2) * 50 +
                                                  (k == 0 ? 0 : static_cast<uint32_t>(next(40)));
      a.Add(At(minute, std::to_string(city), "US-MN"));
      minutes_of_city[city].push_back(minute);
      if (k % 250 == 0) expect_same_tops(a, a.newest_minute(), "while counting");
    }
    // The next day, after a quiet gap longer than the recent window (the day's reports span
    // about 1000 minutes).
    now = kT0 + (day + 1) * kDay;
    a.Prune(now);
    // Minutes are cut by the prune's day, but never past the newest report's retention.
    cut =
        std::min(now, a.newest_minute()) / kDay * kDay - (options.minute_retention_days - 1) * kDay;
    expect_same_tops(a, a.newest_minute(), "after a prune");
  }
  std::string snapshot;
  a.Serialize(snapshot);
  Aggregates reloaded(options);
  ASSERT_TRUE(reloaded.Deserialize(snapshot).ok());
  expect_same_tops(reloaded, reloaded.newest_minute(), "after a reload");
}

// A key every report of a service had (its one country, its one problem type) shares the
// service's totals instead of storing them again: its answers must be those of a stored series,
// before and after a report without it, within the dimension's retention, and through a reload.
TEST(AggregatesTest, AKeyEveryReportHadAnswersAsIfStored) {
  AggregateOptions options;
  options.dimension_quarter_retention_days = 20;
  Aggregates a(options);
  // The same reports after one of another problem type: its login counts are stored.
  Aggregates stored(options);
  stored.Add(At(kT0 - 41 * kDay, "5037649", "US-MN", "email"));
  std::map<std::string, std::map<int64_t, uint64_t>> problems;  // problem -> minute -> count
  int64_t minute = kT0 - 40 * kDay;
  for (; minute < kT0; minute += 37) {
    for (Aggregates* agg : {&a, &stored}) {
      agg->Add(At(minute, "5037649", "US-MN"));
      if (minute % kDay < 37) agg->Prune(minute);
    }
    ++problems["login"][minute];
  }
  // What sharing saves: login's counts (about 550 minutes and 660 quarter hours with a report).
  EXPECT_LT(a.MemoryBytes() + 500, stored.MemoryBytes());
  uint32_t s = *a.ServiceIndex("outlook");
  auto count = [&](const std::string& problem, int64_t from, int64_t to) {
    uint64_t n = 0;
    const auto& by_minute = problems[problem];
    for (auto it = by_minute.lower_bound(from); it != by_minute.end() && it->first < to; ++it) {
      n += it->second;
    }
    return n;
  };
  auto top_problems = [&](const Aggregates& from, int64_t lo, int64_t hi) {
    return from.Top(s, Dimension::kProblem, lo, hi, 5);
  };
  // Within the minute retention, per minute; past it, per quarter hour within 20 days; past
  // those 20 days, nothing, as for a stored series. Windows start on quarter hours.
  const int64_t t0 = kT0 - kT0 % 15;
  EXPECT_EQ(top_problems(a, t0 - 3 * kDay, t0),
            (std::vector<KeyCount>{{"login", count("login", t0 - 3 * kDay, t0)}}));
  EXPECT_EQ(top_problems(a, t0 - 18 * kDay, t0 - 16 * kDay),
            (std::vector<KeyCount>{{"login", count("login", t0 - 18 * kDay, t0 - 16 * kDay)}}));
  EXPECT_TRUE(top_problems(a, t0 - 35 * kDay, t0 - 30 * kDay).empty());
  EXPECT_TRUE(a.Top(s, Dimension::kCountry, t0 - 35 * kDay, t0 - 30 * kDay, 5).empty());
  auto totals = a.Series(s, std::nullopt, "", t0 - 35 * kDay, t0 - 30 * kDay, 5 * kDay).counts;
  EXPECT_EQ(totals, (std::vector<uint64_t>{count("login", t0 - 35 * kDay, t0 - 30 * kDay)}))
      << "the totals keep 400 days";
  auto old_series = a.Series(s, Dimension::kProblem, "login", t0 - 22 * kDay, t0 - 19 * kDay, kDay);
  ASSERT_EQ(old_series.counts.size(), 3u);
  EXPECT_EQ(old_series.counts[0], 0u) << "before the dimension's retention";
  EXPECT_EQ(old_series.counts[2], count("login", t0 - 20 * kDay, t0 - 19 * kDay));

  // A reload shares the totals again (the memory check below shows it), and writes the same.
  std::string bytes;
  a.Serialize(bytes);
  Aggregates reloaded(options);
  ASSERT_TRUE(reloaded.Deserialize(bytes).ok());
  std::string again;
  reloaded.Serialize(again);
  EXPECT_EQ(again.size(), bytes.size());

  // A report of another problem type: both are counted apart from then on.
  const size_t shared = a.MemoryBytes(), shared_reloaded = reloaded.MemoryBytes();
  for (Aggregates* agg : {&a, &reloaded}) {
    agg->Add(At(kT0 + 1, "5037649", "US-MN", "email"));
    agg->Add(At(kT0 + 2, "5037649", "US-MN"));
  }
  ++problems["email"][kT0 + 1];
  ++problems["login"][kT0 + 2];
  for (const Aggregates* agg : {&a, &reloaded}) {
    EXPECT_EQ(
        top_problems(*agg, t0 - 3 * kDay, kT0 + 3),
        (std::vector<KeyCount>{{"login", count("login", t0 - 3 * kDay, kT0 + 3)}, {"email", 1}}));
    EXPECT_EQ(top_problems(*agg, t0 - 18 * kDay, t0 - 16 * kDay),
              (std::vector<KeyCount>{{"login", count("login", t0 - 18 * kDay, t0 - 16 * kDay)}}));
    EXPECT_EQ(agg->Series(s, Dimension::kProblem, "email", kT0, kT0 + 3, 1).counts,
              (std::vector<uint64_t>{0, 1, 0}));
  }
  // The reload had shared the totals again: the memory of what it was reloaded from.
  EXPECT_EQ(shared_reloaded, shared);
}

// A place's minutes are rolled up into quarter hours as they expire, so each report is counted
// once: windows older than the minutes, across their edge and within them must all answer as
// counting every report would, through prunes and a reload.
TEST(AggregatesTest, PlacesOlderThanTheMinutesAreCountedOnceFromTheRollup) {
  const AggregateOptions options{.minute_retention_days = 3,
                                 .quarter_retention_days = 30,
                                 .dimension_quarter_retention_days = 10};
  Aggregates a(options);
  std::map<std::string, std::map<int64_t, uint64_t>> by_city;  // city -> minute -> reports
  uint64_t state = 99;
  auto next = [&](uint64_t bound) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % bound;
  };
  const int64_t start = kT0 - kT0 % kDay;
  int64_t kept_from = INT64_MIN;  // the dimension's quarter hours before it are pruned
  auto check = [&](const Aggregates& agg, int64_t now, const char* when) {
    uint32_t s = *agg.ServiceIndex("outlook");
    for (int64_t back : {int64_t{12 * kDay}, int64_t{8 * kDay}, int64_t{4 * kDay},
                         int64_t{3 * kDay}, int64_t{2 * kDay}, int64_t{90}}) {
      for (int64_t length : {int64_t{45}, int64_t{kDay}, int64_t{3 * kDay}}) {
        int64_t from = now - back, to = std::min(now + 1, from + length);
        auto top = agg.Top(s, Dimension::kCity, from, to, SIZE_MAX);
        // Quarter hours answer windows that start before the minutes kept: whole quarters.
        bool quarters =
            from < FloorDiv(now, kDay) * kDay - (options.minute_retention_days - 1) * kDay;
        int64_t lo = quarters ? FloorDiv(from, 15) * 15 : from;
        int64_t hi = quarters ? FloorDiv(to + 14, 15) * 15 : to;
        std::map<std::string, uint64_t> want;
        for (const auto& [city, minutes] : by_city) {
          for (auto it = minutes.lower_bound(std::max(lo, kept_from));
               it != minutes.end() && it->first < hi; ++it) {
            want[city] += it->second;
          }
        }
        std::map<std::string, uint64_t> got;
        for (const KeyCount& k : top) got[k.key] = k.count;
        std::erase_if(want, [](const auto& kv) { return kv.second == 0; });
        ASSERT_EQ(got, want) << when << ": window " << from - now << " + " << to - from;
        // The same counts per quarter hour from Series.
        auto series = agg.Series(s, Dimension::kCity, "7", from, to, 15);
        uint64_t series_sum = 0;
        for (uint64_t n : series.counts) series_sum += n;
        EXPECT_EQ(series_sum, want.count("7") ? want["7"] : 0) << when << ": city 7 series";
      }
    }
  };
  int64_t now = start;
  for (int day = 0; day < 16; ++day) {
    for (int k = 0; k < 300; ++k) {
      now =
          start + day * kDay + static_cast<int64_t>(k) * kDay / 300 + static_cast<int64_t>(next(3));
      std::string city = std::to_string(1 + next(9));
      a.Add(At(now, city, "US-MN", next(2) == 0 ? "login" : "email"));
      ++by_city[city][now];
    }
    int64_t prune_at = start + (day + 1) * kDay;
    a.Prune(prune_at);
    kept_from = std::max(kept_from, FloorDiv(prune_at, kDay) * kDay -
                                        options.dimension_quarter_retention_days * kDay);
    check(a, now, "counting");
  }
  std::string bytes;
  a.Serialize(bytes);
  Aggregates reloaded(options);
  ASSERT_TRUE(reloaded.Deserialize(bytes).ok());
  check(reloaded, now, "reloaded");
}

// A snapshot of an earlier release holds every report of a place in both its minute and its
// quarter-hour series; loading it must not count the minutes' span twice.
TEST(AggregatesTest, ASnapshotWithQuarterHoursOverlappingTheMinutesCountsThemOnce) {
  const int64_t day0 = kT0 - kT0 % kDay;
  SparseSeries minute, quarter;
  DenseSeries total_minute(1440), total_quarter(96);
  // Reports at day 0 (expired from the minutes) and day 5 (in both series).
  for (int64_t m : {day0 + 100, day0 + 5 * kDay + 100, day0 + 5 * kDay + 200}) {
    if (m >= day0 + 5 * kDay) {
      minute.Add(static_cast<int32_t>(m), 1);
      total_minute.Add(static_cast<int32_t>(m), 1);
    }
    quarter.Add(static_cast<int32_t>(m / 15), 1);
    total_quarter.Add(static_cast<int32_t>(m / 15), 1);
  }
  std::string bytes;
  auto put_u32 = [&](uint32_t v) { bytes.append(reinterpret_cast<const char*>(&v), 4); };
  auto put_string = [&](std::string_view v) {
    put_u32(static_cast<uint32_t>(v.size()));
    bytes.append(v);
  };
  int64_t newest = day0 + 5 * kDay + 200;
  bytes.append(reinterpret_cast<const char*>(&newest), 8);
  put_u32(0);  // no interned strings
  put_u32(1);
  put_string("outlook");
  total_minute.Serialize(bytes);
  total_quarter.Serialize(bytes);
  put_u32(2);  // two cities: a single key would share the totals
  for (uint64_t key : {(uint64_t{1} << 32) | 7, (uint64_t{1} << 32) | 8}) {
    bytes.append(reinterpret_cast<const char*>(&key), 8);
    if ((key & 0xFF) == 7) {
      minute.Serialize(bytes);
      quarter.Serialize(bytes);
    } else {
      SparseSeries().Serialize(bytes);
      SparseSeries q8;
      q8.Add(static_cast<int32_t>((day0 + 50) / 15), 4);
      q8.Serialize(bytes);
    }
  }
  // Minutes kept 3 days: day 0 is older than them, day 5 within.
  Aggregates a({.minute_retention_days = 3});
  ASSERT_TRUE(a.Deserialize(bytes).ok());
  uint32_t s = *a.ServiceIndex("outlook");
  EXPECT_EQ(a.Top(s, Dimension::kCity, day0, day0 + 6 * kDay, 5),
            (std::vector<KeyCount>{{"8", 4}, {"7", 3}}));
  EXPECT_EQ(a.Top(s, Dimension::kCity, day0 + 5 * kDay, day0 + 6 * kDay, 5),
            (std::vector<KeyCount>{{"7", 2}}));
}

}  // namespace
}  // namespace om::store
