#include "store/deduplicator.h"

#include <gtest/gtest.h>

namespace om::store {
namespace {

constexpr int64_t kMinute = 60000;
constexpr int64_t kT0 = int64_t{29'500'000} * kMinute;

Report From(uint64_t reporter, std::string service, int64_t ts_ms) {
  Report r;
  r.service = std::move(service);
  r.reporter_key = reporter;
  r.ts_ms = ts_ms;
  return r;
}

TEST(DeduplicatorTest, OneReportPerReporterServiceAndWindow) {
  Deduplicator d(DedupeOptions{std::chrono::minutes(30), 1000});
  Report first = From(1, "outlook", kT0);
  EXPECT_FALSE(d.MarkDuplicate(first));
  EXPECT_FALSE(first.duplicate);
  Report again = From(1, "outlook", kT0 + 29 * kMinute);
  EXPECT_TRUE(d.MarkDuplicate(again));
  EXPECT_TRUE(again.duplicate);
  Report other_service = From(1, "teams", kT0 + kMinute);
  EXPECT_FALSE(d.MarkDuplicate(other_service)) << "another service counts";
  Report other_reporter = From(2, "outlook", kT0 + kMinute);
  EXPECT_FALSE(d.MarkDuplicate(other_reporter));
  Report later = From(1, "outlook", kT0 + 30 * kMinute);
  EXPECT_FALSE(d.MarkDuplicate(later)) << "a window after the first, it counts again";
  Report late_arrival = From(1, "outlook", kT0 + 10 * kMinute);
  EXPECT_TRUE(d.MarkDuplicate(late_arrival)) << "within a window of the newest counted";
}

TEST(DeduplicatorTest, AFailedGroupIsForgottenSoThatARetryCounts) {
  Deduplicator d(DedupeOptions{std::chrono::minutes(30), 1000});
  Report kept = From(1, "outlook", kT0);
  d.BeginGroup();
  EXPECT_FALSE(d.MarkDuplicate(kept));
  d.BeginGroup();
  Report moved = From(1, "outlook", kT0 + 40 * kMinute);  // moves reporter 1's window
  Report fresh = From(2, "outlook", kT0 + 40 * kMinute);
  EXPECT_FALSE(d.MarkDuplicate(moved));
  EXPECT_FALSE(d.MarkDuplicate(fresh));
  d.UndoGroup();
  EXPECT_EQ(d.size(), 1u);
  Report retry_fresh = From(2, "outlook", kT0 + 40 * kMinute);
  EXPECT_FALSE(d.MarkDuplicate(retry_fresh)) << "the failed group's report counts on retry";
  Report inside_old_window = From(1, "outlook", kT0 + 20 * kMinute);
  EXPECT_TRUE(d.MarkDuplicate(inside_old_window)) << "reporter 1's window is back at kT0";
}

TEST(DeduplicatorTest, PruningAndTheCapBoundMemory) {
  uint64_t evicted = 0;
  Deduplicator d(DedupeOptions{std::chrono::minutes(30), 100}, [&](uint64_t n) { evicted += n; });
  for (uint64_t i = 0; i < 50; ++i) {
    Report r = From(i, "outlook", kT0);
    d.MarkDuplicate(r);
  }
  d.Prune(kT0 + 59 * kMinute);
  EXPECT_EQ(d.size(), 50u) << "within two windows: kept";
  d.Prune(kT0 + 62 * kMinute);
  EXPECT_EQ(d.size(), 50u) << "swept at most once a quarter window";
  d.Prune(kT0 + 67 * kMinute);
  EXPECT_EQ(d.size(), 0u) << "older than two windows: swept";
  for (uint64_t i = 0; i < 101; ++i) {
    Report r = From(1000 + i, "outlook", kT0 + 70 * kMinute + static_cast<int64_t>(i) * 1000);
    d.MarkDuplicate(r);
  }
  EXPECT_LE(d.size(), 90u) << "past the cap, down to 90% of it";
  EXPECT_EQ(evicted, 101u - d.size());
}

TEST(DeduplicatorTest, TheSnapshotRoundTrips) {
  Deduplicator d(DedupeOptions{std::chrono::minutes(30), 1000});
  for (uint64_t i = 0; i < 10; ++i) {
    Report r = From(i, "outlook", kT0 + static_cast<int64_t>(i));
    d.MarkDuplicate(r);
  }
  std::string bytes;
  d.Serialize(bytes);
  EXPECT_EQ(bytes.size(), 160u);
  Deduplicator loaded(DedupeOptions{std::chrono::minutes(30), 1000});
  size_t pos = 0;
  ASSERT_TRUE(loaded.Deserialize(bytes, pos, 10));
  EXPECT_EQ(pos, bytes.size());
  Report again = From(3, "outlook", kT0 + kMinute);
  EXPECT_TRUE(loaded.MarkDuplicate(again));
  pos = 0;
  EXPECT_FALSE(loaded.Deserialize(bytes.substr(0, 150), pos, 10)) << "truncated";
}

}  // namespace
}  // namespace om::store
