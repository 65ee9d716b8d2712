// The store on a misbehaving disk (testing/fault_injecting_env.h): whatever fails, every report
// that was acknowledged is counted after a restart, and none that was refused is.

#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "store/store.h"
#include "testing/fake_clock.h"
#include "testing/fault_injecting_env.h"
#include "testing/temp_dir.h"

namespace om::store {
namespace {

constexpr int64_t kStartMs = 1769092620000;

class StoreFaultTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> OpenStore(Env* env, FsyncPolicy fsync = FsyncPolicy::kAlways,
                                   uint64_t segment_bytes = 64ull << 20) {
    StoreOptions options;
    options.data_dir = dir_.str();
    options.fsync = fsync;
    options.segment_bytes = segment_bytes;
    options.env = env;
    auto s = Store::Open(options, clock_, metrics_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (!s.ok()) return nullptr;
    (*s)->Start();
    return std::move(*s);
  }

  // `count` reports of distinct reporters, so that each one counts.
  std::vector<Report> Batch(size_t count) {
    std::vector<Report> batch;
    for (size_t i = 0; i < count; ++i) {
      Report r;
      r.ts_ms = r.received_ms = kStartMs + static_cast<int64_t>(next_reporter_ % 600) * 1000;
      r.service = "slack";
      r.problem = "app";
      r.reporter_key = ++next_reporter_;
      r.geonameid = 2643743;
      r.region = "GB-ENG";
      r.country = "GB";
      batch.push_back(std::move(r));
    }
    return batch;
  }

  static uint64_t Counted(const Store& s) {
    return s.Read([](const Aggregates& a) -> uint64_t {
      auto idx = a.ServiceIndex("slack");
      return idx ? a.Total(*idx, 0, INT32_MAX) : 0;
    });
  }

  // Reopens on the real disk and returns what it counts: from the log alone when
  // `drop_snapshot`, else from the snapshot and the log after it.
  uint64_t CountedAfterRestart(bool drop_snapshot) {
    if (drop_snapshot) std::filesystem::remove(dir_.str() + "/snapshot");
    auto store = OpenStore(Env::Default());
    if (!store) return 0;
    EXPECT_EQ(store->recovery().corrupt_bytes_skipped, 0u);
    uint64_t counted = Counted(*store);
    store->Stop();
    return counted;
  }

  testing::TempDir dir_;
  testing::FakeClock clock_{FromUnixMillis(kStartMs)};
  MetricsRegistry metrics_;
  uint64_t next_reporter_ = 0;
};

TEST_F(StoreFaultTest, AFailedWriteIsRefusedAndLeavesNothingBehind) {
  testing::FaultInjectingEnv env;
  auto store = OpenStore(&env);
  ASSERT_TRUE(store->Write(Batch(10)).ok());
  env.FailWrites(1);
  Result<WriteResult> failed = store->Write(Batch(5));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kIoError);
  EXPECT_NE(failed.status().message().find("write "), std::string::npos);
  EXPECT_NE(failed.status().message().find("(injected)"), std::string::npos);
  ASSERT_TRUE(store->Write(Batch(7)).ok()) << "the log stays usable";
  EXPECT_EQ(Counted(*store), 17u);
  store->Stop();
  store.reset();
  EXPECT_EQ(CountedAfterRestart(/*drop_snapshot=*/true), 17u);
}

TEST_F(StoreFaultTest, ATornWriteIsCutBackToTheLastRecord) {
  testing::FaultInjectingEnv env;
  auto store = OpenStore(&env);
  ASSERT_TRUE(store->Write(Batch(10)).ok());
  env.TearNextWrite(37);  // inside the second record of the batch
  EXPECT_FALSE(store->Write(Batch(5)).ok());
  ASSERT_TRUE(store->Write(Batch(3)).ok());
  store->Stop();
  store.reset();
  std::filesystem::remove(dir_.str() + "/snapshot");
  auto reopened = OpenStore(Env::Default());
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->recovery().truncated_bytes, 0u) << "nothing torn was left in the file";
  EXPECT_EQ(reopened->recovery().replayed_records, 13u);
  EXPECT_EQ(Counted(*reopened), 13u);
}

TEST_F(StoreFaultTest, AFullDiskRefusesBatchesUntilThereIsRoomAgain) {
  testing::FaultInjectingEnv env;
  auto store = OpenStore(&env);
  ASSERT_TRUE(store->Write(Batch(10)).ok());
  env.SetFreeBytes(100);
  for (int i = 0; i < 3; ++i) {
    Result<WriteResult> full = store->Write(Batch(20));
    ASSERT_FALSE(full.ok());
    EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted);
    EXPECT_NE(full.status().message().find("No space left on device"), std::string::npos);
  }
  env.SetFreeBytes(-1);
  ASSERT_TRUE(store->Write(Batch(4)).ok());
  store->Stop();
  store.reset();
  EXPECT_EQ(CountedAfterRestart(/*drop_snapshot=*/true), 14u);
}

TEST_F(StoreFaultTest, AFailedSyncWithFsyncAlwaysRefusesTheBatchAndDropsIt) {
  testing::FaultInjectingEnv env;
  auto store = OpenStore(&env);
  ASSERT_TRUE(store->Write(Batch(10)).ok());
  env.FailSyncs(1);
  Result<WriteResult> failed = store->Write(Batch(5));
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("fdatasync"), std::string::npos);
  ASSERT_TRUE(store->Write(Batch(2)).ok());
  EXPECT_TRUE(store->write_failure().ok());
  store->Stop();
  store.reset();
  // The refused batch reached the file before its fdatasync failed; it must not count later.
  EXPECT_EQ(CountedAfterRestart(/*drop_snapshot=*/true), 12u);
}

TEST_F(StoreFaultTest, AFailedSyncWithFsyncIntervalStopsWritesWithAClearError) {
  testing::FaultInjectingEnv env;
  auto store = OpenStore(&env, FsyncPolicy::kInterval);
  env.FailSyncs(1);
  ASSERT_TRUE(store->Write(Batch(10)).ok());  // acknowledged before its sync
  bool refused = false;
  for (int i = 0; i < 300 && !refused; ++i) {  // bounded: 3 s; the interval is 100 ms
    refused = !store->write_failure().ok();
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(refused);
  Status submitted = store->TrySubmit(Batch(1), [](Status, WriteResult) {});
  EXPECT_EQ(submitted.code(), StatusCode::kUnavailable);
  EXPECT_NE(submitted.message().find("writes are refused until the server is restarted"),
            std::string::npos)
      << submitted.message();
  store->Stop();  // stops cleanly, without a snapshot of a log it no longer trusts
  store.reset();
  // The disk did keep the data here, so the restart counts it.
  EXPECT_EQ(CountedAfterRestart(/*drop_snapshot=*/false), 10u);
}

TEST_F(StoreFaultTest, EveryAcknowledgedReportSurvivesAMixOfFaultsAndSegmentRolls) {
  testing::FaultInjectingEnv env;
  // Small segments: faults also hit the header of a new segment and the sync before a roll.
  auto store = OpenStore(&env, FsyncPolicy::kAlways, /*segment_bytes=*/2048);
  uint64_t acknowledged = 0, refused = 0;
  for (int i = 0; i < 300; ++i) {
    switch (i % 6) {
      case 1:
        env.FailWrites(1);
        break;
      case 2:
        env.TearNextWrite(static_cast<size_t>(i % 97));
        break;
      case 3:
        env.FailSyncs(1);
        break;
      case 4:
        env.SetFreeBytes(i % 150);
        break;
      default:
        break;
    }
    size_t size = 1 + static_cast<size_t>(i % 9);
    Result<WriteResult> r = store->Write(Batch(size));
    env.ClearFaults();
    if (r.ok()) {
      acknowledged += r->accepted;
    } else {
      refused += size;
    }
  }
  EXPECT_GT(acknowledged, 300u);
  EXPECT_GT(refused, 300u);
  EXPECT_GT(env.injected_failures(), 150);
  EXPECT_EQ(Counted(*store), acknowledged);
  store->Stop();
  store.reset();
  EXPECT_EQ(CountedAfterRestart(/*drop_snapshot=*/false), acknowledged);
  EXPECT_EQ(CountedAfterRestart(/*drop_snapshot=*/true), acknowledged);
}

TEST_F(StoreFaultTest, ASlowDiskDelaysAcknowledgementsButLosesNothing) {
  testing::FaultInjectingEnv env;
  env.DelaySyncs(std::chrono::milliseconds(20));
  auto store = OpenStore(&env);
  std::vector<std::vector<Report>> batches;
  for (int i = 0; i < 40; ++i) batches.push_back(Batch(25));
  std::atomic<uint64_t> acknowledged{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = t; i < 40; i += 4) {
        Result<WriteResult> r = store->Write(batches[static_cast<size_t>(i)]);
        if (r.ok()) acknowledged += r->accepted;
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(acknowledged.load(), 1000u);
  // Group commit: concurrent batches share a sync, so there are fewer syncs than batches.
  EXPECT_LT(env.syncs(), 40);
  store->Stop();
  store.reset();
  EXPECT_EQ(CountedAfterRestart(/*drop_snapshot=*/true), 1000u);
}

TEST_F(StoreFaultTest, AFailedSnapshotIsNotFatal) {
  testing::FaultInjectingEnv env;
  auto store = OpenStore(&env);
  ASSERT_TRUE(store->Write(Batch(10)).ok());
  env.SetPathFilter("snapshot");
  env.FailSyncs(1);
  store->Stop();  // logs the failed snapshot; the log still holds everything
  store.reset();
  EXPECT_EQ(CountedAfterRestart(/*drop_snapshot=*/false), 10u);
}

}  // namespace
}  // namespace om::store
