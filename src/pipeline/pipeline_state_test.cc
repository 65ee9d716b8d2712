#include "pipeline/pipeline_state.h"

#include <gtest/gtest.h>

#include "db/testing_meta_store.h"
#include "testing/temp_dir.h"

namespace om::pipeline {
namespace {

PipelineState Example() {
  PipelineState state;
  state.minute = 29'500'123;
  detect::ServiceRunState outage;
  outage.service = "outlook";
  outage.status = detect::Status::kOutage;
  outage.since_minute = 29'500'100;
  outage.evaluated_minute = 29'500'123;
  outage.outage_run = 24;
  outage.dispersion = 0.0731;
  detect::ServiceRunState odd;  // a name that needs escaping, nothing learned yet
  odd.service = "odd name,with=signs%-";
  odd.status = detect::Status::kPossible;
  odd.possible_run = 2;
  odd.calibration_pending = 1;
  odd.calibration_last = 29'500'120;
  state.services = {outage, odd};
  state.incidents.next_number = 1000004;
  incidents::Incident open;
  open.id = "OM1000003";
  open.service = "outlook";
  open.started_minute = 29'500'098;
  open.detected_minute = 29'500'100;
  open.peak_minute = 29'500'110;
  open.peak_reports_per_minute = 412;
  open.expected_per_minute_at_peak = 11.25;
  open.reports = 6000;
  open.problems = {{"email", 0.75}, {"login", 0.25}};
  open.related = {"OM1000002"};
  open.upstream_service = "microsoft-365";
  open.upstream_incident = "OM1000002";
  incidents::Incident resolved;
  resolved.id = "OM1000001";
  resolved.service = "-";
  resolved.started_minute = 29'499'000;
  resolved.detected_minute = 29'499'002;
  resolved.resolved_minute = 29'499'050;
  resolved.upstream_learned = true;
  state.incidents.open = {open};
  state.incidents.resolved = {resolved};
  return state;
}

void ExpectSameIncident(const incidents::Incident& a, const incidents::Incident& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.service, b.service);
  EXPECT_EQ(a.started_minute, b.started_minute);
  EXPECT_EQ(a.detected_minute, b.detected_minute);
  EXPECT_EQ(a.resolved_minute, b.resolved_minute);
  EXPECT_EQ(a.peak_minute, b.peak_minute);
  EXPECT_EQ(a.peak_reports_per_minute, b.peak_reports_per_minute);
  EXPECT_EQ(a.expected_per_minute_at_peak, b.expected_per_minute_at_peak);
  EXPECT_EQ(a.reports, b.reports);
  ASSERT_EQ(a.problems.size(), b.problems.size());
  for (size_t k = 0; k < a.problems.size(); ++k) {
    EXPECT_EQ(a.problems[k].problem, b.problems[k].problem);
    EXPECT_EQ(a.problems[k].share, b.problems[k].share);
  }
  EXPECT_EQ(a.related, b.related);
  EXPECT_EQ(a.upstream_service, b.upstream_service);
  EXPECT_EQ(a.upstream_incident, b.upstream_incident);
  EXPECT_EQ(a.upstream_learned, b.upstream_learned);
}

TEST(PipelineStateTest, EncodingRoundTripsEveryField) {
  PipelineState state = Example();
  std::string text = EncodePipelineState(state);
  auto decoded = DecodePipelineState(text);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString() << "\n" << text;
  EXPECT_EQ(decoded->minute, state.minute);
  ASSERT_EQ(decoded->services.size(), 2u);
  EXPECT_EQ(decoded->services[0], state.services[0]);
  // NaN is not equal to itself: compare the rest.
  EXPECT_TRUE(std::isnan(decoded->services[1].dispersion));
  decoded->services[1].dispersion = state.services[1].dispersion = 0;
  EXPECT_EQ(decoded->services[1], state.services[1]);
  EXPECT_EQ(decoded->incidents.next_number, 1000004u);
  ASSERT_EQ(decoded->incidents.open.size(), 1u);
  ASSERT_EQ(decoded->incidents.resolved.size(), 1u);
  ExpectSameIncident(decoded->incidents.open[0], state.incidents.open[0]);
  ExpectSameIncident(decoded->incidents.resolved[0], state.incidents.resolved[0]);
  // One record a line, readable.
  EXPECT_NE(text.find("\nservice outlook outage 29500100 29500123 0 24 0 0.0731"),
            std::string::npos)
      << text;
}

TEST(PipelineStateTest, DamagedStateIsRefusedNamingLineAndField) {
  std::string good = EncodePipelineState(Example());
  auto error = [](std::string_view text) {
    auto decoded = DecodePipelineState(text);
    return decoded.ok() ? std::string("ok") : decoded.status().ToString();
  };
  EXPECT_NE(error("").find("empty"), std::string::npos);
  EXPECT_NE(error("something else 1\n").find("line 1: record"), std::string::npos);
  EXPECT_NE(error("outagemap-pipeline-state 2\n").find("line 1: version"), std::string::npos);
  EXPECT_NE(error("outagemap-pipeline-state 1\nminute x\n").find("line 2: minute"),
            std::string::npos);
  EXPECT_NE(error("outagemap-pipeline-state 1\nminute 5\n").find("missing"), std::string::npos);
  std::string bad_status = good;
  bad_status.replace(bad_status.find(" outage "), 8, " broken ");
  EXPECT_NE(error(bad_status).find("line 4: status"), std::string::npos) << error(bad_status);
  std::string truncated = good.substr(0, good.find(" email%3D"));
  EXPECT_NE(error(truncated).find("line 6: problems: missing"), std::string::npos)
      << error(truncated);
  EXPECT_NE(error(good + "incident open OM1 svc 1 2 3 4 5 6 7 - - 0 - -\n").find("resolved"),
            std::string::npos);
  EXPECT_NE(error(good + "extra line\n").find("unknown record"), std::string::npos);
  EXPECT_NE(error("outagemap-pipeline-state 1\nminute 5 6\nnext 1\n").find("unexpected fields"),
            std::string::npos);
  EXPECT_NE(error("outagemap-pipeline-state 1\nminute 5\nnext 1\nservice a%2 normal 0 0 0 0 0 "
                  "nan 0 0\n")
                .find("line 4: service: bad escape"),
            std::string::npos);
}

TEST(PipelineStateTest, TheStoreKeepsTheLatestState) {
  testing::TempDir dir;
  auto dir_meta = db::TestingMetaStore(dir.str());
  {
    auto store = PipelineStateStore::Open(*dir_meta);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto none = (*store)->Load();
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
    PipelineState state = Example();
    ASSERT_TRUE((*store)->Save(state, 1000).ok());
    state.minute += 1;
    state.incidents.open.clear();
    ASSERT_TRUE((*store)->Save(state, 2000).ok());
  }
  auto reopened = PipelineStateStore::Open(*dir_meta);
  ASSERT_TRUE(reopened.ok());
  auto loaded = (*reopened)->Load();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->minute, Example().minute + 1);
  EXPECT_TRUE((*loaded)->incidents.open.empty());
}

}  // namespace
}  // namespace om::pipeline
