#include "store/store.h"

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace om::store {
namespace {

Report Make(int64_t ts_ms, uint64_t reporter, std::string service = "slack") {
  Report r;
  r.ts_ms = ts_ms;
  r.received_ms = ts_ms;
  r.service = std::move(service);
  r.problem = "app";
  r.reporter_key = reporter;
  r.geonameid = 2643743;
  r.region = "GB-ENG";
  r.country = "GB";
  return r;
}

class StoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> OpenStore() {
    StoreOptions options;
    options.data_dir = dir_.str();
    options.fsync = FsyncPolicy::kAlways;
    auto s = Store::Open(options, clock_, metrics_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    (*s)->Start();
    return std::move(*s);
  }
  uint64_t Total(const Store& s, const std::string& service) {
    return s.Read([&](const Aggregates& a) -> uint64_t {
      auto idx = a.ServiceIndex(service);
      return idx ? a.Total(*idx, 0, INT32_MAX) : 0;
    });
  }
  testing::TempDir dir_;
  testing::FakeClock clock_{FromUnixMillis(1769092620000)};
  MetricsRegistry metrics_;
};

TEST_F(StoreTest, CountsOneReportPerReporterServiceAndWindow) {
  auto store = OpenStore();
  int64_t t = 1769092620000;
  auto r = store->Write({Make(t, 1), Make(t + 60000, 1), Make(t + 60000, 2), Make(t, 1, "zoom"),
                         Make(t + 31 * 60000, 1)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->accepted, 4u);
  EXPECT_EQ(r->duplicates, 1u);
  EXPECT_EQ(Total(*store, "slack"), 3u);
  EXPECT_EQ(Total(*store, "zoom"), 1u);
}

TEST_F(StoreTest, RecoversCountsFromLogWithoutSnapshot) {
  int64_t t = 1769092620000;
  {
    auto store = OpenStore();
    ASSERT_TRUE(store->Write({Make(t, 1), Make(t, 2), Make(t, 2)}).ok());
    store->Stop();
    std::filesystem::remove(dir_.str() + "/snapshot");
  }
  auto store = OpenStore();
  EXPECT_FALSE(store->recovery().snapshot_loaded);
  EXPECT_EQ(store->recovery().replayed_records, 3u);
  EXPECT_EQ(Total(*store, "slack"), 2u);
  // The de-dup state came back too: reporter 2 is still inside its window.
  auto r = store->Write({Make(t + 1000, 2)});
  EXPECT_EQ(r->duplicates, 1u);
}

TEST_F(StoreTest, RetentionDropsOldSegmentsWithoutWaitingForManyReports) {
  int64_t t = 1769092620000;
  StoreOptions options;
  options.data_dir = dir_.str();
  options.segment_bytes = 4096;  // a few dozen reports per segment
  options.log_retention = std::chrono::hours(24);
  std::vector<Report> reports;
  for (uint64_t i = 0; i < 300; ++i) reports.push_back(Make(t, i + 1));
  {
    auto store = std::move(*Store::Open(options, clock_, metrics_));
    store->Start();
    for (auto& r : reports) ASSERT_TRUE(store->Write({r}).ok());
    store->Stop();
  }
  std::string log_dir = dir_.str() + "/log";
  auto segment_files = [&] {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(log_dir)) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  };
  std::vector<std::string> before = segment_files();
  ASSERT_GE(before.size(), 4u);
  // Age all but the newest two segments past retention.
  for (size_t i = 0; i + 2 < before.size(); ++i) {
    std::filesystem::last_write_time(
        log_dir + "/" + before[i],
        std::filesystem::file_time_type::clock::now() - std::chrono::hours(48));
  }
  auto store = std::move(*Store::Open(options, clock_, metrics_));
  store->Start();
  // One report, far below snapshot_every_reports: the aged segments still go.
  ASSERT_TRUE(store->Write({Make(t + 1000, 9999)}).ok());
  // The writer thread snapshots after acknowledging the group: wait for it, bounded, and before
  // Stop() (which snapshots, and so applies retention, anyway).
  std::vector<std::string> after = segment_files();
  for (int i = 0; i < 500 && after.size() > 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    after = segment_files();
  }
  EXPECT_EQ(after.size(), 2u) << "only the two young segments are left";
  EXPECT_EQ(after[0], before[before.size() - 2]);
  EXPECT_EQ(Total(*store, "slack"), 301u);
  store->Stop();
  store.reset();
  // And the counts of the dropped segments survive a restart, from the snapshot.
  auto again = std::move(*Store::Open(options, clock_, metrics_));
  EXPECT_EQ(Total(*again, "slack"), 301u);
}

TEST_F(StoreTest, RecoversFromSnapshotPlusLogTail) {
  int64_t t = 1769092620000;
  {
    auto store = OpenStore();
    ASSERT_TRUE(store->Write({Make(t, 1), Make(t, 2)}).ok());
    store->Stop();  // writes a snapshot
  }
  {
    auto store = OpenStore();
    EXPECT_TRUE(store->recovery().snapshot_loaded);
    EXPECT_EQ(store->recovery().replayed_records, 0u);
    ASSERT_TRUE(store->Write({Make(t, 3)}).ok());
    // Simulate a crash: no Stop(), so no new snapshot; the tail must come from the log.
    std::filesystem::copy(dir_.str(), dir_.str() + "-crash",
                          std::filesystem::copy_options::recursive);
    store->Stop();
  }
  StoreOptions options;
  options.data_dir = dir_.str() + "-crash";
  auto crashed = Store::Open(options, clock_, metrics_);
  ASSERT_TRUE(crashed.ok());
  EXPECT_TRUE((*crashed)->recovery().snapshot_loaded);
  EXPECT_EQ((*crashed)->recovery().replayed_records, 1u);
  EXPECT_EQ(Total(**crashed, "slack"), 3u);
  std::filesystem::remove_all(options.data_dir);
}

TEST_F(StoreTest, CorruptSnapshotIsIgnoredAndLogReplayed) {
  int64_t t = 1769092620000;
  {
    auto store = OpenStore();
    ASSERT_TRUE(store->Write({Make(t, 1), Make(t, 2)}).ok());
    store->Stop();
  }
  {
    std::fstream f(dir_.str() + "/snapshot", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(30);
    f.put('\x55');
  }
  auto store = OpenStore();
  EXPECT_FALSE(store->recovery().snapshot_loaded);
  EXPECT_EQ(Total(*store, "slack"), 2u);
}

TEST_F(StoreTest, DedupeTableStaysUnderItsCapForgettingOldestFirst) {
  StoreOptions options;
  options.data_dir = dir_.str();
  options.dedupe_max_entries = 1000;
  auto store = std::move(*Store::Open(options, clock_, metrics_));
  store->Start();
  int64_t t = 1769092620000;
  std::vector<Report> batch;
  for (int i = 0; i < 1500; ++i) batch.push_back(Make(t + i * 1000, 100 + i));  // one per second
  auto r = store->Write(std::move(batch));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->accepted, 1500u);
  // The newest reporters are still remembered, so their repeats are duplicates.
  auto again = store->Write({Make(t + 1499 * 1000 + 10, 100 + 1499)});
  EXPECT_EQ(again->duplicates, 1u);
  EXPECT_NE(metrics_.RenderText().find("om_dedupe_evictions_total"), std::string::npos);
  EXPECT_EQ(metrics_.RenderText().find("om_dedupe_evictions_total 0\n"), std::string::npos);
}

TEST_F(StoreTest, SecondStoreOnSameDirIsRefused) {
  auto first = OpenStore();
  StoreOptions options;
  options.data_dir = dir_.str();
  auto second = Store::Open(options, clock_, metrics_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("in use by another outagemap process"),
            std::string::npos);
}

TEST_F(StoreTest, FullQueueIsResourceExhaustedAndStoppedIsUnavailable) {
  StoreOptions options;
  options.data_dir = dir_.str();
  options.queue_capacity = 2;
  auto store = Store::Open(options, clock_, metrics_);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->TrySubmit({Make(1, 1)}, nullptr).code(), StatusCode::kUnavailable);
  (*store)->Start();
  EXPECT_EQ((*store)->TrySubmit({Make(1, 1), Make(1, 2), Make(1, 3)}, nullptr).code(),
            StatusCode::kResourceExhausted);
  (*store)->Stop();
}

TEST_F(StoreTest, CallbackRunsAfterDurableWriteWithCounts) {
  auto store = OpenStore();
  Mutex mu;
  CondVar cv(mu);
  bool done = false;
  WriteResult got;
  ASSERT_TRUE(store
                  ->TrySubmit({Make(5, 7), Make(6, 7)},
                              [&](Status s, WriteResult r) {
                                EXPECT_TRUE(s.ok());
                                MutexLock lock(mu);
                                got = r;
                                done = true;
                                cv.Signal();
                              })
                  .ok());
  {
    MutexLock lock(mu);
    while (!done) cv.Wait();
  }
  EXPECT_EQ(got.accepted, 1u);
  EXPECT_EQ(got.duplicates, 1u);
  std::string metrics = metrics_.RenderText();
  EXPECT_NE(metrics.find("om_reports_counted_total 1"), std::string::npos);
}

}  // namespace
}  // namespace om::store
