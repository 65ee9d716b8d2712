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
