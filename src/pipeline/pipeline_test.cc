#include "pipeline/pipeline.h"

#include <algorithm>

#include <gtest/gtest.h>

#include "db/testing_meta_store.h"
#include "detect/testing_reports.h"
#include "geo/testing_gazetteer.h"
#include "testing/temp_dir.h"

namespace om::pipeline {
namespace {

constexpr int64_t kT0 = 29'500'000;  // a minute in 2026
constexpr int64_t kDay = 1440;
constexpr uint32_t kMinneapolis = 5037649, kLosAngeles = 5368361, kChicago = 4887398;

// A service with eight days of usual reports (Los Angeles 6 a minute, Minneapolis 1, Chicago 2)
// judged through a pipeline that keeps records and learned dispersions in a temporary meta.db.
class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Start(/*keep_state=*/true);
    for (int64_t m = kT0; m < kToday; ++m) AddMinute(m, 0);
  }
  // Builds the detection parts afresh over the same meta.db and counts, as a restarted server
  // does: the tracker numbers on from the records, and (`keep_state`) the pipeline keeps and
  // restores its state.
  void Start(bool keep_state) {
    pipeline_.reset();
    records_.reset();
    learned_.reset();
    state_.reset();
    meta_ = db::TestingMetaStore(dir_.str());
    auto records = incidents::IncidentRecords::Open(*meta_);
    ASSERT_TRUE(records.ok()) << records.status().ToString();
    records_ = std::move(*records);
    auto learned = LearnedDispersions::Open(*meta_);
    ASSERT_TRUE(learned.ok()) << learned.status().ToString();
    learned_ = std::move(*learned);
    auto state = PipelineStateStore::Open(*meta_);
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    state_ = std::move(*state);
    detector_ = std::make_unique<detect::Detector>(detect::DetectOptions{});
    incidents::IncidentOptions options;
    options.first_number = std::max(options.first_number, records_->MaxNumber() + 1);
    tracker_ = std::make_unique<incidents::IncidentTracker>(options);
    pipeline_ = std::make_unique<Pipeline>(PipelineParts{
        .detector = *detector_,
        .tracker = *tracker_,
        .read_counts =
            [this](const auto& read) {
              ++reads_;
              read(counts_);
            },
        .records = records_.get(),
        .gazetteer = &gazetteer_,
        .learned = learned_.get(),
        .state = keep_state ? state_.get() : nullptr,
    });
  }
  // Adds each minute's reports (`extra` more in Minneapolis) and judges it, one batch a minute.
  void Run(int64_t from, int64_t to, uint32_t extra) {
    for (int64_t m = from; m < to; ++m) {
      AddMinute(m, extra);
      ASSERT_TRUE(pipeline_->EvaluateMinutes(m, m, At(m + 1)).ok());
    }
  }
  // One minute's usual reports, and `extra` more in Minneapolis.
  void AddMinute(int64_t minute, uint32_t extra) {
    for (auto [city, n] :
         {std::pair{kLosAngeles, 6u}, {kMinneapolis, 1u + extra}, {kChicago, 2u}}) {
      counts_.AddCount(detect::TestingReportAt(gazetteer_, city, minute), n);
    }
  }
  static Timestamp At(int64_t minute) { return FromUnixMillis(minute * 60000); }

  static constexpr int64_t kToday = kT0 + 8 * kDay;
  const geo::Gazetteer& gazetteer_ = geo::TestingBuiltinGazetteer();
  testing::TempDir dir_;
  store::Aggregates counts_;
  std::unique_ptr<db::MetaStore> meta_;
  std::unique_ptr<detect::Detector> detector_;
  std::unique_ptr<incidents::IncidentTracker> tracker_;
  std::unique_ptr<incidents::IncidentRecords> records_;
  std::unique_ptr<LearnedDispersions> learned_;
  std::unique_ptr<PipelineStateStore> state_;
  std::unique_ptr<Pipeline> pipeline_;
  int reads_ = 0;
};

TEST_F(PipelineTest, AnOutageBecomesARecordWithItsRegionAndIsResolvedByTheCrowd) {
  EXPECT_EQ(*state_->SavedMs(), 0) << "nothing saved yet";
  // An ordinary hour, judged minute by minute: no incident, no record.
  std::vector<int64_t> seen;
  for (int64_t m = kToday; m < kToday + 60; ++m) AddMinute(m, 0);
  ASSERT_TRUE(pipeline_
                  ->EvaluateMinutes(kToday, kToday + 59, At(kToday + 60),
                                    [&](const store::Aggregates& counts, int64_t minute) {
                                      EXPECT_EQ(&counts, &counts_);
                                      seen.push_back(minute);
                                    })
                  .ok());
  ASSERT_EQ(seen.size(), 60u);
  EXPECT_EQ(seen.front(), kToday);
  EXPECT_EQ(seen.back(), kToday + 59);
  EXPECT_EQ(pipeline_->last_minute(), kToday + 59);
  EXPECT_EQ(reads_, 60) << "one read of the counts per judged minute, none for regions";
  EXPECT_EQ(state_->Load()->value().minute, kToday + 59) << "the state is kept after each batch";
  EXPECT_EQ(*state_->SavedMs(), (kToday + 60) * 60000) << "stamped with the batch's now";
  EXPECT_TRUE(records_->List(10).empty());
  // Twenty more reports a minute in Minneapolis for half an hour.
  Run(kToday + 60, kToday + 90, 20);
  auto opened = records_->List(10);
  ASSERT_EQ(opened.size(), 1u) << "one outage, one record";
  EXPECT_EQ(opened[0].service, "outlook");
  EXPECT_FALSE(opened[0].resolved());
  EXPECT_EQ(opened[0].regions, (std::vector<std::string>{"US-MN"}));
  // Back to usual: the crowd resolves it, and the record follows.
  Run(kToday + 90, kToday + 180, 0);
  auto resolved = records_->List(10);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_TRUE(resolved[0].resolved());
  EXPECT_EQ(resolved[0].id, opened[0].id);
  EXPECT_EQ(tracker_->Snapshot()->incidents.size(), 1u);
}

TEST_F(PipelineTest, ARestartMidOutageContinuesTheSameIncident) {
  Run(kToday, kToday + 60, 0);
  Run(kToday + 60, kToday + 80, 20);
  auto before = records_->List(10);
  ASSERT_EQ(before.size(), 1u);
  ASSERT_EQ(before[0].updates.size(), 1u) << "opened once";
  // A restart (kill -9 after the last batch): the outage goes on.
  Start(/*keep_state=*/true);
  // A state from after the clock's now is left alone.
  auto ahead = pipeline_->Restore(kToday + 78);
  ASSERT_TRUE(ahead.ok());
  EXPECT_FALSE(*ahead);
  EXPECT_EQ(pipeline_->last_minute(), INT64_MIN);
  auto restored = pipeline_->Restore(kToday + 80);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_TRUE(*restored);
  EXPECT_EQ(pipeline_->last_minute(), kToday + 79);
  ASSERT_EQ(tracker_->Snapshot()->incidents.size(), 1u) << "the open incident at once";
  EXPECT_EQ(tracker_->Snapshot()->incidents[0].id, before[0].id);
  // Judging from before the saved minute (as a warm-up would) judges nothing twice.
  ASSERT_TRUE(pipeline_->EvaluateMinutes(kToday + 50, kToday + 79, At(kToday + 80)).ok());
  EXPECT_EQ(pipeline_->last_minute(), kToday + 79);
  Run(kToday + 80, kToday + 95, 20);
  auto during = records_->List(10);
  ASSERT_EQ(during.size(), 1u) << "one outage, one incident across the restart";
  EXPECT_EQ(during[0].id, before[0].id);
  EXPECT_FALSE(during[0].resolved());
  EXPECT_EQ(during[0].updates.size(), 1u) << "no second opening, so no second notification";
  // Down again; the outage ends while the server is down. Back an hour later, the minutes missed
  // are judged and the incident resolves, still the same one.
  for (int64_t m = kToday + 95; m < kToday + 155; ++m) AddMinute(m, 0);
  Start(/*keep_state=*/true);
  ASSERT_TRUE(pipeline_->Restore(kToday + 155).ok());
  ASSERT_TRUE(pipeline_->EvaluateMinutes(kToday + 95, kToday + 154, At(kToday + 155)).ok());
  auto after = records_->List(10);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].id, before[0].id);
  EXPECT_TRUE(after[0].resolved());
  ASSERT_EQ(tracker_->Snapshot()->incidents.size(), 1u);
  EXPECT_FALSE(tracker_->Snapshot()->incidents[0].open());
}

// Without the kept state, the same restart opens a second incident beside the first, which stays
// open: what the state is for.
TEST_F(PipelineTest, WithoutItsStateARestartMidOutageOpensASecondIncident) {
  Run(kToday, kToday + 60, 0);
  Run(kToday + 60, kToday + 80, 20);
  Start(/*keep_state=*/false);
  Run(kToday + 80, kToday + 95, 20);
  auto records = records_->List(10);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_FALSE(records[0].resolved());
  EXPECT_FALSE(records[1].resolved());
}

// Cluster mode: a follower judges the same counts for its own views without committing, adopts
// the leader's committed state (Restore after judging), and continues the leader's incident when
// it takes over.
TEST_F(PipelineTest, AFollowerAdoptsTheLeadersStateAndContinuesItsIncidentWhenItTakesOver) {
  detect::Detector follower_detector{detect::DetectOptions{}};
  incidents::IncidentTracker follower_tracker{incidents::IncidentOptions{}};
  Pipeline follower(PipelineParts{
      .detector = follower_detector,
      .tracker = follower_tracker,
      .read_counts = [this](const auto& read) { read(counts_); },
      .records = records_.get(),
      .gazetteer = &gazetteer_,
      .state = state_.get(),
  });
  follower.SetCommitting(false);
  Run(kToday, kToday + 60, 0);
  Run(kToday + 60, kToday + 80, 20);  // the leader opens an incident
  const auto opened = records_->List(10);
  ASSERT_EQ(opened.size(), 1u);
  // The follower started late (half an hour of warm-up) and commits nothing.
  ASSERT_TRUE(follower.EvaluateMinutes(kToday + 50, kToday + 79, At(kToday + 80)).ok());
  EXPECT_EQ(records_->List(10)[0].updates.size(), 1u);
  EXPECT_EQ(state_->Load()->value().minute, kToday + 79) << "the leader's state, untouched";
  // It adopts the leader's state: the leader's incident, and at the next tick the leader's run
  // states for every service.
  ASSERT_TRUE(follower.Restore(kToday + 80).ok());
  EXPECT_EQ(follower.last_minute(), kToday + 79);
  auto by_service = [](std::vector<detect::ServiceRunState> states) {
    std::sort(states.begin(), states.end(),
              [](const auto& a, const auto& b) { return a.service < b.service; });
    return states;
  };
  EXPECT_EQ(by_service(follower_detector.ExportState()), by_service(detector_->ExportState()))
      << "before its next tick, the adopted state is what it would keep";
  ASSERT_EQ(follower_tracker.Snapshot()->incidents.size(), 1u);
  EXPECT_EQ(follower_tracker.Snapshot()->incidents[0].id, opened[0].id);
  Run(kToday + 80, kToday + 81, 20);  // the leader judges minute 80, and so does the follower
  ASSERT_TRUE(follower.EvaluateMinutes(kToday + 80, kToday + 80, At(kToday + 81)).ok());
  EXPECT_EQ(follower_detector.ExportState(), detector_->ExportState());
  // The leader dies after committing minute 80; the follower judged on alone to minute 84, then
  // takes over: it restores the last committed state and judges 81 to 84 again, committing.
  for (int64_t m = kToday + 81; m < kToday + 85; ++m) AddMinute(m, 20);
  ASSERT_TRUE(follower.EvaluateMinutes(kToday + 81, kToday + 84, At(kToday + 85)).ok());
  EXPECT_EQ(state_->Load()->value().minute, kToday + 80);
  ASSERT_TRUE(follower.Restore(kToday + 85).ok());
  EXPECT_EQ(follower.last_minute(), kToday + 80);
  follower.SetCommitting(true);
  ASSERT_TRUE(follower.EvaluateMinutes(kToday + 81, kToday + 84, At(kToday + 85)).ok());
  EXPECT_EQ(state_->Load()->value().minute, kToday + 84);
  for (int64_t m = kToday + 85; m < kToday + 180; ++m) {
    AddMinute(m, 0);
    ASSERT_TRUE(follower.EvaluateMinutes(m, m, At(m + 1)).ok());
  }
  const auto after = records_->List(10);
  ASSERT_EQ(after.size(), 1u) << "one outage, one incident across the takeover";
  EXPECT_EQ(after[0].id, opened[0].id);
  EXPECT_TRUE(after[0].resolved()) << "resolved by the new leader";
  int openings = 0;
  std::string updates;
  for (const auto& update : after[0].updates) {
    openings += update.body.starts_with("User reports rose above the usual level");
    updates += update.body + "\n";
  }
  EXPECT_EQ(openings, 1) << "no second opening:\n" << updates;
}

TEST_F(PipelineTest, LearnedDispersionsAreSavedHourlyAndOnRequest) {
  for (int64_t m = kToday; m < kToday + 30; ++m) AddMinute(m, 0);
  ASSERT_TRUE(pipeline_->EvaluateMinutes(kToday, kToday + 29, At(kToday + 30)).ok());
  auto loaded = learned_->Load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->empty()) << "not an hour yet";
  // An hour of the clock later (nothing new to judge): saved.
  ASSERT_TRUE(pipeline_->EvaluateMinutes(kToday + 30, kToday + 29, At(kToday + 91)).ok());
  loaded = learned_->Load();
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->count("outlook"), 1u);
  EXPECT_TRUE(pipeline_->SaveLearned(At(kToday + 92)).ok());
}

TEST_F(PipelineTest, RecordsNeedTheGazetteer) {
  EXPECT_DEATH(Pipeline(PipelineParts{.detector = *detector_,
                                      .tracker = *tracker_,
                                      .read_counts = [](const auto&) {},
                                      .records = records_.get()}),
               "gazetteer");
}

}  // namespace
}  // namespace om::pipeline
