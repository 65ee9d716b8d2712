#include "store/count_series.h"

#include <map>
#include <random>

#include <gtest/gtest.h>

namespace om::store {
namespace {

// A reference: the plain map of bucket -> count the series must agree with.
uint64_t RefSum(const std::map<int32_t, uint64_t>& ref, int32_t from, int32_t to) {
  uint64_t sum = 0;
  for (auto it = ref.lower_bound(from); it != ref.end() && it->first < to; ++it) sum += it->second;
  return sum;
}

TEST(SparseSeriesTest, NarrowPointsAgreeWithAPlainMapInAnyOrder) {
  std::mt19937 rng(5);
  SparseSeries series;
  std::map<int32_t, uint64_t> ref;
  const int32_t base = 29'500'000;
  for (int i = 0; i < 20000; ++i) {
    // Mostly in time order, one in ten late by up to a day, as reports arrive.
    int32_t bucket = base + i / 2 - (rng() % 10 == 0 ? static_cast<int32_t>(rng() % 1440) : 0);
    uint32_t n = 1 + rng() % 3;
    series.Add(bucket, n);
    ref[bucket] += n;
  }
  EXPECT_FALSE(series.wide());
  EXPECT_EQ(series.newest_bucket(), ref.rbegin()->first);
  for (int k = 0; k < 200; ++k) {
    int32_t from = base - 2000 + static_cast<int32_t>(rng() % 14000);
    int32_t to = from + static_cast<int32_t>(rng() % 3000);
    ASSERT_EQ(series.Sum(from, to), RefSum(ref, from, to)) << from << " " << to;
  }
  std::vector<uint64_t> out(10, 0);
  series.AccumulateInto(base, base + 1000, 100, out);
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i], RefSum(ref, base + static_cast<int32_t>(i) * 100,
                             base + static_cast<int32_t>(i + 1) * 100));
  }
  series.DropBefore(base + 5000);
  EXPECT_EQ(series.Sum(INT32_MIN, INT32_MAX), RefSum(ref, base + 5000, INT32_MAX));
}

TEST(SparseSeriesTest, AWideSpanOrAHugeCountWidensAndPruningNarrowsAgain) {
  SparseSeries series;
  series.Add(1000, 1);
  series.Add(1000 + 65535, 2);  // the widest span that fits 16 bits
  EXPECT_FALSE(series.wide());
  series.Add(999, 4);  // one more: the span is 65,537 buckets
  EXPECT_TRUE(series.wide());
  EXPECT_EQ(series.Sum(0, 1 << 30), 7u);
  series.DropBefore(1001);  // the old points go: narrow again
  EXPECT_FALSE(series.wide());
  EXPECT_EQ(series.Sum(0, 1 << 30), 2u);
  EXPECT_EQ(series.newest_bucket(), 1000 + 65535);

  series.Add(70000, 65535);  // 65,535 fits; one more report in the same bucket does not
  EXPECT_FALSE(series.wide());
  series.Add(70000, 1);
  EXPECT_TRUE(series.wide());
  EXPECT_EQ(series.Sum(70000, 70001), 65536u);

  // A late report before the base re-bases, when the span allows it.
  SparseSeries late;
  late.Add(50000, 1);
  late.Add(20000, 1);
  EXPECT_FALSE(late.wide());
  EXPECT_EQ(late.Sum(20000, 20001), 1u);
  EXPECT_EQ(late.Sum(0, 100000), 2u);
}

TEST(SparseSeriesTest, SerializeIsTheSameForBothLayouts) {
  SparseSeries narrow, wide;
  for (int32_t b : {100, 200, 300}) {
    narrow.Add(b, 3);
    wide.Add(b, 3);
  }
  wide.Add(100 + 70000, 1);
  wide.DropBefore(0);  // nothing dropped: it stays wide
  ASSERT_TRUE(wide.wide());
  std::string a, b;
  narrow.Serialize(a);
  wide.Serialize(b);
  EXPECT_EQ(b.substr(0, 4 + 3 * 8).substr(4), a.substr(4)) << "the same points, the same bytes";
  SparseSeries back;
  size_t pos = 0;
  ASSERT_TRUE(back.Deserialize(a, pos).ok());
  EXPECT_FALSE(back.wide()) << "read back narrow";
  EXPECT_EQ(back.Sum(0, 1000), 9u);
  pos = 0;
  ASSERT_TRUE(back.Deserialize(b, pos).ok());
  EXPECT_TRUE(back.wide());
  EXPECT_EQ(back.Sum(0, 1 << 20), 10u);
}

// Sealing changes memory, never an answer: points sealed day by day, late points after a seal,
// pruning and a round trip through Serialize all agree with the plain map.
TEST(SparseSeriesTest, SealedPointsAgreeWithAPlainMapThroughLatePointsAndPruning) {
  std::mt19937 rng(11);
  SparseSeries series;
  std::map<int32_t, uint64_t> ref;
  const int32_t base = 29'500'000;
  int32_t dropped_before = INT32_MIN;
  for (int day = 0; day < 20; ++day) {
    for (int i = 0; i < 400; ++i) {
      int32_t bucket = base + day * 1440 + static_cast<int32_t>(rng() % 1440);
      // One in twenty is late by up to three days, into buckets already sealed.
      if (rng() % 20 == 0) bucket -= static_cast<int32_t>(rng() % (3 * 1440));
      if (bucket < dropped_before) continue;
      // Mostly ones (a bit each), some counts past a varint byte.
      uint32_t n = rng() % 4 == 0 ? 1 + static_cast<uint32_t>(rng() % 300) : 1;
      series.Add(bucket, n);
      ref[bucket] += n;
    }
    series.Seal(base + (day - 1) * 1440);
    if (day % 7 == 6) {
      dropped_before = base + (day - 5) * 1440 + static_cast<int32_t>(rng() % 1440);
      series.DropBefore(dropped_before);
      ref.erase(ref.begin(), ref.lower_bound(dropped_before));
    }
    for (int k = 0; k < 50; ++k) {
      int32_t from = base - 1440 + static_cast<int32_t>(rng() % (22 * 1440));
      int32_t to = from + static_cast<int32_t>(rng() % 5000);
      ASSERT_EQ(series.Sum(from, to), RefSum(ref, from, to)) << day << " " << from << " " << to;
    }
  }
  EXPECT_EQ(series.newest_bucket(), ref.rbegin()->first);
  std::vector<uint64_t> out(30, 0);
  series.AccumulateInto(base + 1000, base + 1000 + 30 * 997, 997, out);
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i], RefSum(ref, base + 1000 + static_cast<int32_t>(i) * 997,
                             base + 1000 + static_cast<int32_t>(i + 1) * 997));
  }
  // Serialize writes one sorted list, late points merged into their sealed bucket.
  std::string bytes;
  series.Serialize(bytes);
  SparseSeries plain;
  for (const auto& [bucket, n] : ref) plain.Add(bucket, static_cast<uint32_t>(n));
  std::string expected;
  plain.Serialize(expected);
  EXPECT_EQ(bytes, expected);
  // Sealed points take well under the 4 bytes of an unsealed one.
  series.Seal(INT32_MAX);
  EXPECT_LT(series.MemoryBytes(), plain.MemoryBytes() * 3 / 4)
      << series.MemoryBytes() << " sealed against " << plain.MemoryBytes();
  series.DropBefore(INT32_MAX);
  EXPECT_TRUE(series.empty());

  // A chunk whose counts pass 32 bits is summed point by point.
  SparseSeries huge;
  for (int32_t b : {100, 200, 300}) huge.Add(b, 2'000'000'000);
  huge.Seal(INT32_MAX);
  EXPECT_EQ(huge.Sum(0, 1000), 6'000'000'000u);
  EXPECT_EQ(huge.Sum(150, 1000), 4'000'000'000u);
}

// Sealing a few points at a time exercises each way a Rice-coded chunk grows: written again
// while it holds few points, continued bit by bit once it holds kSettledPoints, written again
// when a count other than 1 comes to a chunk of ones; gaps past the escape (days between
// reports to a place) and counts of up to 32 bits.
TEST(SparseSeriesTest, RiceCodedPointsAgreeWithAPlainMapSealedAFewAtATime) {
  std::mt19937 rng(17);
  SparseSeries series;
  std::map<int32_t, uint64_t> ref;
  int32_t bucket = 1'000'000;
  for (int round = 0; round < 600; ++round) {
    int points = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < points; ++i) {
      // Gaps of 1 to 100 buckets mostly, some of days and one in fifty past 2^20.
      uint32_t roll = rng() % 50;
      bucket += roll == 0  ? 1'500'000
                : roll < 5 ? 1 + static_cast<int32_t>(rng() % 20000)
                           : 1 + static_cast<int32_t>(rng() % 100);
      // Ones for the first 300 rounds (chunks of ones), then a mix up to 32 bits.
      uint32_t n = 1;
      if (round >= 300 && rng() % 3 == 0) {
        n = rng() % 10 == 0 ? 4'000'000'000u : 2 + static_cast<uint32_t>(rng() % 1000);
      }
      series.Add(bucket, n);
      ref[bucket] += n;
    }
    series.Seal(bucket + 1);
    if (round % 37 == 0) {
      int32_t from = ref.begin()->first + static_cast<int32_t>(rng() % 5'000'000);
      int32_t to = from + static_cast<int32_t>(rng() % 3'000'000);
      ASSERT_EQ(series.Sum(from, to), RefSum(ref, from, to)) << round;
    }
  }
  EXPECT_EQ(series.Sum(INT32_MIN, INT32_MAX), RefSum(ref, INT32_MIN, INT32_MAX));
  EXPECT_EQ(series.newest_bucket(), ref.rbegin()->first);
  EXPECT_EQ(series.oldest_bucket(), ref.begin()->first);
  for (int k = 0; k < 200; ++k) {
    auto it = std::next(ref.begin(), static_cast<ptrdiff_t>(rng() % ref.size()));
    int32_t from = it->first - static_cast<int32_t>(rng() % 3);
    int32_t to = from + static_cast<int32_t>(rng() % 50'000);
    ASSERT_EQ(series.Sum(from, to), RefSum(ref, from, to)) << from << " " << to;
  }
  const int32_t first = ref.begin()->first;
  const int32_t step = (ref.rbegin()->first - first) / 40 + 1;
  std::vector<uint64_t> out(41, 0);
  series.AccumulateInto(first, first + 41 * step, step, out);
  for (size_t i = 0; i < out.size(); ++i) {
    int32_t from = first + static_cast<int32_t>(i) * step;
    EXPECT_EQ(out[i], RefSum(ref, from, from + step)) << i;
  }
  // Pruning keeps the rest answerable, and a series of ones is a few bits a point.
  int32_t cut = std::next(ref.begin(), static_cast<ptrdiff_t>(ref.size() / 2))->first;
  series.DropBefore(cut);
  ref.erase(ref.begin(), ref.lower_bound(cut));
  EXPECT_EQ(series.Sum(INT32_MIN, INT32_MAX), RefSum(ref, INT32_MIN, INT32_MAX));
  SparseSeries ones;
  for (int32_t b = 0; b < 128 * 40; b += 7) {
    ones.Add(b, 1);
    if (b % 49 == 0) ones.Seal(b + 1);
  }
  ones.Seal(INT32_MAX);
  EXPECT_EQ(ones.Sum(0, 128 * 40), (128u * 40 + 6) / 7);
  // Counts near 2^32 are coded with the largest Rice parameter, which must not read as the
  // mark of a chunk of ones.
  SparseSeries huge;
  for (int32_t b = 0; b < 10; ++b) huge.Add(b * 3, 4'000'000'000u);
  huge.Seal(INT32_MAX);
  EXPECT_EQ(huge.Sum(0, 100), 40'000'000'000u);
  EXPECT_EQ(huge.Sum(4, 100), 32'000'000'000u);
  // 732 points 7 apart: 4 bits each (a varint took 8), plus 12 bytes per chunk of the index,
  // the header, the padding and a spare unsealed vector.
  EXPECT_LT(ones.MemoryBytes(), 732u * 5 / 8 + 6 * 12 + 64) << ones.MemoryBytes();
}

TEST(DenseSeriesTest, SealedDaysAgreeWithAPlainMapThroughLateCountsAndPruning) {
  std::mt19937 rng(3);
  DenseSeries series(96);
  std::map<int32_t, uint64_t> ref;
  int32_t dropped_before = INT32_MIN;
  for (int day = 0; day < 40; ++day) {
    for (int q = 0; q < 96; ++q) {
      int32_t bucket = day * 96 + q;
      // Late counts for sealed days; quiet days (all zero); one day past 16 bits.
      if (rng() % 50 == 0) bucket -= static_cast<int32_t>(rng() % (5 * 96));
      if (bucket < dropped_before || day % 9 == 4) continue;
      uint32_t n = day == 17 && q == 3 ? 100000 : static_cast<uint32_t>(rng() % 21);
      series.Add(bucket, n);
      ref[bucket] += n;
    }
    series.Seal((day - 1) * 96);
    if (day % 10 == 9) {
      dropped_before = (day - 6) * 96;  // whole days, as Aggregates prunes
      series.DropBefore(dropped_before);
      ref.erase(ref.begin(), ref.lower_bound(dropped_before));
    }
    for (int k = 0; k < 30; ++k) {
      int32_t from = static_cast<int32_t>(rng() % (42 * 96)) - 96;
      int32_t to = from + static_cast<int32_t>(rng() % 1000);
      ASSERT_EQ(series.Sum(from, to), RefSum(ref, from, to)) << day << " " << from << " " << to;
      ASSERT_EQ(series.Get(from), RefSum(ref, from, from + 1)) << from;
    }
  }
  EXPECT_EQ(series.sealed_days(), 5) << "days 33 to 37: the rest pruned, or yesterday and today";
  std::vector<uint64_t> out(40, 0);
  series.AccumulateInto(0, 40 * 96, 96, out);
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i], RefSum(ref, static_cast<int32_t>(i) * 96, static_cast<int32_t>(i + 1) * 96));
  }
  // The same bytes as the unsealed series, and read back the same.
  std::string bytes;
  series.Serialize(bytes);
  DenseSeries plain(96);
  for (const auto& [bucket, n] : ref) plain.Add(bucket, static_cast<uint32_t>(n));
  std::string expected;
  plain.Serialize(expected);
  EXPECT_EQ(bytes, expected);
  // Counts up to 20 take 5 bits sealed, against 8 unsealed (the one day past 16 bits is gone).
  series.DropBefore(20 * 96);
  plain.DropBefore(20 * 96);
  series.Seal(INT32_MAX);
  EXPECT_LT(series.MemoryBytes() * 10, plain.MemoryBytes() * 7)
      << series.MemoryBytes() << " sealed against " << plain.MemoryBytes();
}

TEST(DenseSeriesTest, CountersWidenFromEightToSixteenToThirtyTwoBits) {
  DenseSeries series(96);
  series.Add(10, 200);
  size_t tiny = series.MemoryBytes();
  series.Add(10, 100);  // 300: past 8 bits
  size_t narrow = series.MemoryBytes();
  series.Add(11, 70000);  // past 16 bits
  size_t wide = series.MemoryBytes();
  EXPECT_LT(tiny, narrow);
  EXPECT_LT(narrow, wide);
  EXPECT_EQ(series.Get(10), 300u);
  EXPECT_EQ(series.Get(11), 70000u);
  EXPECT_EQ(series.Sum(0, 96), 70300u);

  // Round trip: an 8-bit block is written as 16 bits and read back as 8.
  DenseSeries small(96);
  small.Add(5, 7);
  small.Add(200, 255);
  std::string bytes;
  small.Serialize(bytes);
  DenseSeries back(96);
  size_t pos = 0;
  ASSERT_TRUE(back.Deserialize(bytes, pos).ok());
  EXPECT_EQ(back.MemoryBytes(), small.MemoryBytes());
  EXPECT_EQ(back.Get(5), 7u);
  EXPECT_EQ(back.Get(200), 255u);
  std::vector<uint64_t> out(3, 0);
  back.AccumulateInto(0, 288, 96, out);
  EXPECT_EQ(out, (std::vector<uint64_t>{7, 0, 255}));
}

}  // namespace
}  // namespace om::store
