#include "incidents/incident_tracker.h"

#include <map>
#include <random>

#include <gtest/gtest.h>

namespace om::incidents {
namespace {

constexpr int64_t kDay = 1440;
constexpr int64_t kT0 = 29'500'000 - 29'500'000 % kDay;

class IncidentTrackerTest : public ::testing::Test {
 protected:
  IncidentTrackerTest() {
    std::poisson_distribution<uint32_t> d(2);
    for (int64_t m = kT0 - 14 * kDay; m < kT0 + 600; ++m) Add(m, d(rng_), "app");
  }
  void Add(int64_t minute, uint32_t n, const std::string& problem,
           const std::string& service = "teams") {
    if (n == 0) return;
    store::Report r;
    r.service = service;
    r.problem = problem;
    r.ts_ms = minute * 60000;
    a_.AddCount(r, n);
  }
  void Outage(int64_t from, int64_t to, uint32_t per_minute, const std::string& service = "teams") {
    for (int64_t m = from; m < to; ++m) {
      Add(m, per_minute * 3 / 4, "login", service);
      Add(m, per_minute / 4, "app", service);
    }
  }
  void Quiet(int64_t from, int64_t to) {
    std::poisson_distribution<uint32_t> d(2);
    for (int64_t m = from; m < to; ++m) Add(m, d(rng_), "app");
  }
  void Run(int64_t from, int64_t to) {
    for (int64_t m = from; m < to; ++m) {
      detector_.Tick(a_, m);
      tracker_.Update(a_, *detector_.Snapshot());
    }
  }
  std::mt19937 rng_{3};
  store::Aggregates a_;
  detect::Detector detector_;
  IncidentTracker tracker_;
};

TEST_F(IncidentTrackerTest, OneOutageOneIncidentWithOnsetPeakAndProblems) {
  Run(kT0 + 500, kT0 + 600);
  EXPECT_TRUE(tracker_.Snapshot()->incidents.empty()) << "quiet traffic opens nothing";
  Outage(kT0 + 600, kT0 + 640, 40);
  Add(kT0 + 620, 60, "login");  // the peak minute
  Run(kT0 + 600, kT0 + 640);
  auto open = tracker_.Snapshot();
  ASSERT_EQ(open->incidents.size(), 1u);
  const Incident& i = open->incidents[0];
  EXPECT_EQ(i.id, "OM1000001");
  EXPECT_TRUE(i.open());
  EXPECT_EQ(i.started_minute, kT0 + 600) << "onset found by walking back";
  EXPECT_GE(i.detected_minute, i.started_minute);
  EXPECT_LE(i.detected_minute, kT0 + 602);
  EXPECT_EQ(i.peak_minute, kT0 + 620);
  EXPECT_GE(i.peak_reports_per_minute, 100u);
  ASSERT_FALSE(i.problems.empty());
  EXPECT_EQ(i.problems[0].problem, "login");
  EXPECT_GT(i.problems[0].share, 0.6);
  // Back to normal: resolved once the detector's hysteresis lets go.
  Quiet(kT0 + 640, kT0 + 700);
  Run(kT0 + 640, kT0 + 700);
  auto done = tracker_.Snapshot();
  ASSERT_EQ(done->incidents.size(), 1u);
  EXPECT_FALSE(done->incidents[0].open());
  EXPECT_GT(done->incidents[0].resolved_minute, kT0 + 640);
  EXPECT_NE(done->Find("OM1000001"), nullptr);
}

TEST_F(IncidentTrackerTest, AnOutageFoundInOneCityStartsWhereThatCitysExcessBegan) {
  // Teams' total goes on at 2 a minute; one city, usually one report in ten minutes, sends one
  // or two a minute from kT0 + 560. The metro scan finds it at kT0 + 600 over the last hour.
  // Walking back over the total finds no onset; the city's hour does.
  constexpr uint32_t kCity = 5037649;
  auto add_city = [&](int64_t minute, uint32_t n) {
    store::Report r;
    r.service = "teams";
    r.problem = "login";
    r.geonameid = kCity;
    r.ts_ms = minute * 60000;
    a_.AddCount(r, n);
  };
  for (int64_t m = kT0 + 500; m < kT0 + 560; m += 10) add_city(m, 1);
  for (int64_t m = kT0 + 560; m <= kT0 + 600; ++m) add_city(m, 1 + m % 2);
  detect::DetectionSnapshot detection;
  detection.minute = kT0 + 600;
  detect::ServiceState outage;
  outage.service = "teams";
  outage.status = detect::Status::kOutage;
  outage.since_minute = kT0 + 600;
  outage.evaluated_minute = kT0 + 600;
  outage.expected_per_minute = 2;
  outage.area = {.dimension = store::Dimension::kCity,
                 .key = std::to_string(kCity),
                 .window_minutes = 60,
                 .expected_per_minute = 0.1};
  detection.services.push_back(outage);
  detection.index["teams"] = 0;
  tracker_.Update(a_, detection);
  auto snapshot = tracker_.Snapshot();
  ASSERT_EQ(snapshot->incidents.size(), 1u);
  EXPECT_EQ(snapshot->incidents[0].detected_minute, kT0 + 600);
  EXPECT_EQ(snapshot->incidents[0].started_minute, kT0 + 560);

  // Without the city's evidence, the onset is the detection minute.
  IncidentTracker without;
  detection.services[0].area = {};
  without.Update(a_, detection);
  ASSERT_EQ(without.Snapshot()->incidents.size(), 1u);
  EXPECT_EQ(without.Snapshot()->incidents[0].started_minute, kT0 + 600);
}

TEST_F(IncidentTrackerTest, RelapseWithinHalfAnHourReopensLaterOneIsNew) {
  Outage(kT0 + 600, kT0 + 620, 40);
  Quiet(kT0 + 620, kT0 + 650);
  Outage(kT0 + 650, kT0 + 660, 40);  // relapse soon after resolution
  Quiet(kT0 + 660, kT0 + 760);
  Outage(kT0 + 760, kT0 + 770, 40);  // a new outage an hour and a half later
  Quiet(kT0 + 770, kT0 + 800);
  Run(kT0 + 590, kT0 + 800);
  auto s = tracker_.Snapshot();
  ASSERT_EQ(s->incidents.size(), 2u);
  EXPECT_EQ(s->incidents[1].id, "OM1000001");
  EXPECT_EQ(s->incidents[1].started_minute, kT0 + 600) << "the relapse reopened the first";
  EXPECT_EQ(s->incidents[0].id, "OM1000002");
  EXPECT_EQ(s->incidents[0].started_minute, kT0 + 760);
}

TEST_F(IncidentTrackerTest, DependentsThatStartTogetherNameTheirUpstream) {
  // teams and slack-like "mail-relay" depend on "suite"; "video" does not.
  std::poisson_distribution<uint32_t> d(2);
  for (const char* service : {"suite", "mail-relay", "video"}) {
    for (int64_t m = kT0 - 14 * kDay; m < kT0 + 600; ++m) Add(m, d(rng_), "app", service);
  }
  IncidentTracker tracker({}, [](const std::string& service) {
    if (service == "teams" || service == "mail-relay") return std::vector<std::string>{"suite"};
    return std::vector<std::string>{};
  });
  Outage(kT0 + 600, kT0 + 640, 40, "suite");
  Outage(kT0 + 602, kT0 + 640, 40, "teams");
  Outage(kT0 + 606, kT0 + 640, 40, "mail-relay");
  Outage(kT0 + 604, kT0 + 640, 40, "video");
  for (int64_t m = kT0 + 590; m < kT0 + 630; ++m) {
    detector_.Tick(a_, m);
    tracker.Update(a_, *detector_.Snapshot());
  }
  auto s = tracker.Snapshot();
  ASSERT_EQ(s->incidents.size(), 4u);
  std::map<std::string, const Incident*> by_service;
  for (const auto& i : s->incidents) by_service[i.service] = &i;
  const Incident& suite = *by_service["suite"];
  EXPECT_FALSE(suite.external());
  EXPECT_EQ(suite.related.size(), 3u);
  for (const char* dependent : {"teams", "mail-relay"}) {
    const Incident& i = *by_service[dependent];
    EXPECT_TRUE(i.external()) << dependent;
    EXPECT_EQ(i.upstream_service, "suite");
    EXPECT_EQ(i.upstream_incident, suite.id);
  }
  EXPECT_FALSE(by_service["video"]->external()) << "related by timing, but no dependency";
  EXPECT_EQ(by_service["video"]->related.size(), 3u);
}

TEST_F(IncidentTrackerTest, DependenciesAreLearnedFromIncidentsThatKeepStartingTogether) {
  // "shop" is not related to "cloud" in any catalog, but twice before its incidents started a
  // minute after one of cloud's (seeded, as from the records after a restart).
  std::poisson_distribution<uint32_t> d(2);
  for (const char* service : {"cloud", "shop"}) {
    for (int64_t m = kT0 - 14 * kDay; m < kT0 + 600; ++m) Add(m, d(rng_), "app", service);
  }
  Outage(kT0 + 600, kT0 + 640, 40, "cloud");
  Outage(kT0 + 602, kT0 + 640, 40, "shop");
  auto run = [&](IncidentTracker& tracker) {
    detect::Detector detector;
    for (int64_t m = kT0 + 590; m < kT0 + 630; ++m) {
      detector.Tick(a_, m);
      tracker.Update(a_, *detector.Snapshot());
    }
    std::map<std::string, Incident> by_service;
    for (const auto& i : tracker.Snapshot()->incidents) by_service[i.service] = i;
    return by_service;
  };
  std::vector<IncidentTracker::PastIncident> twice = {{"cloud", kT0 - 3 * kDay},
                                                      {"shop", kT0 - 3 * kDay + 1},
                                                      {"cloud", kT0 - 9 * kDay},
                                                      {"shop", kT0 - 9 * kDay + 2}};
  // The third time: learned, and named with its basis.
  IncidentTracker learning;
  learning.SeedHistory(twice);
  EXPECT_FALSE(learning.LearnedUpstream("cloud", "shop"));
  auto third = run(learning);
  EXPECT_TRUE(learning.LearnedUpstream("cloud", "shop"));
  EXPECT_FALSE(learning.LearnedUpstream("shop", "cloud")) << "the one that starts first";
  EXPECT_EQ(third["shop"].upstream_service, "cloud");
  EXPECT_TRUE(third["shop"].upstream_learned);
  EXPECT_FALSE(third["cloud"].external());
  // Once before is not enough.
  IncidentTracker once;
  once.SeedHistory({twice[0], twice[1]});
  EXPECT_FALSE(run(once)["shop"].external());
  // Nor three times among many incidents of shop's own: a coincidence, not a dependency.
  IncidentTracker noisy;
  std::vector<IncidentTracker::PastIncident> past = twice;
  for (int k = 0; k < 8; ++k) past.push_back({"shop", kT0 - (k + 1) * kDay + 700});
  noisy.SeedHistory(past);
  EXPECT_FALSE(run(noisy)["shop"].external());
}

}  // namespace
}  // namespace om::incidents
