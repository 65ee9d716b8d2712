#include "pipeline/pipeline.h"

#include <gtest/gtest.h>

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
    auto records = incidents::IncidentRecords::Open(dir_.str() + "/meta.db");
    ASSERT_TRUE(records.ok()) << records.status().ToString();
    records_ = std::move(*records);
    auto learned = LearnedDispersions::Open(dir_.str() + "/meta.db");
    ASSERT_TRUE(learned.ok()) << learned.status().ToString();
    learned_ = std::move(*learned);
    pipeline_ = std::make_unique<Pipeline>(PipelineParts{
        .detector = detector_,
        .tracker = tracker_,
        .read_counts =
            [this](const auto& read) {
              ++reads_;
              read(counts_);
            },
        .records = records_.get(),
        .gazetteer = &gazetteer_,
        .learned = learned_.get(),
    });
    for (int64_t m = kT0; m < kToday; ++m) AddMinute(m, 0);
  }
  // One minute's usual reports, and `extra` more in Minneapolis.
  void AddMinute(int64_t minute, uint32_t extra) {
    for (auto [city, n] :
         {std::pair{kLosAngeles, 6u}, {kMinneapolis, 1u + extra}, {kChicago, 2u}}) {
      geo::CityId id = gazetteer_.FindByGeonameId(city);
      ASSERT_NE(id, geo::kNoCity);
      const geo::City& c = gazetteer_.city(id);
      store::Report r;
      r.service = "outlook";
      r.problem = "email";
      r.ts_ms = minute * 60000;
      r.geonameid = city;
      r.region = std::string(gazetteer_.region_code(c.region));
      r.country = c.country;
      counts_.AddCount(r, n);
    }
  }
  static Timestamp At(int64_t minute) { return FromUnixMillis(minute * 60000); }

  static constexpr int64_t kToday = kT0 + 8 * kDay;
  const geo::Gazetteer& gazetteer_ = geo::TestingBuiltinGazetteer();
  testing::TempDir dir_;
  store::Aggregates counts_;
  detect::Detector detector_{detect::DetectOptions{}};
  incidents::IncidentTracker tracker_;
  std::unique_ptr<incidents::IncidentRecords> records_;
  std::unique_ptr<LearnedDispersions> learned_;
  std::unique_ptr<Pipeline> pipeline_;
  int reads_ = 0;
};

TEST_F(PipelineTest, AnOutageBecomesARecordWithItsRegionAndIsResolvedByTheCrowd) {
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
  EXPECT_TRUE(records_->List(10).empty());
  // Twenty more reports a minute in Minneapolis for half an hour.
  int64_t m = kToday + 60;
  for (; m < kToday + 90; ++m) {
    AddMinute(m, 20);
    ASSERT_TRUE(pipeline_->EvaluateMinutes(m, m, At(m + 1)).ok());
  }
  auto opened = records_->List(10);
  ASSERT_EQ(opened.size(), 1u) << "one outage, one record";
  EXPECT_EQ(opened[0].service, "outlook");
  EXPECT_FALSE(opened[0].resolved());
  EXPECT_EQ(opened[0].regions, (std::vector<std::string>{"US-MN"}));
  // Back to usual: the crowd resolves it, and the record follows.
  for (; m < kToday + 180; ++m) {
    AddMinute(m, 0);
    ASSERT_TRUE(pipeline_->EvaluateMinutes(m, m, At(m + 1)).ok());
  }
  auto resolved = records_->List(10);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_TRUE(resolved[0].resolved());
  EXPECT_EQ(resolved[0].id, opened[0].id);
  EXPECT_EQ(tracker_.Snapshot()->incidents.size(), 1u);
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
  EXPECT_DEATH(Pipeline(PipelineParts{.detector = detector_,
                                      .tracker = tracker_,
                                      .read_counts = [](const auto&) {},
                                      .records = records_.get()}),
               "gazetteer");
}

}  // namespace
}  // namespace om::pipeline
