#include "sim/demo_scenario.h"

#include <map>

#include <gtest/gtest.h>

#include "geo/testing_gazetteer.h"

namespace om::sim {
namespace {

constexpr int64_t kStart = 1769089020000;  // 2026-01-22T13:37:00Z, a minute boundary

class DemoScenarioTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    catalog_ = new catalog::Catalog(*catalog::Catalog::LoadBuiltin());
    gazetteer_ = &geo::TestingBuiltinGazetteer();
  }
  static std::map<std::string, int> CountByService(const std::vector<SimReport>& reports) {
    std::map<std::string, int> counts;
    for (const auto& r : reports) ++counts[r.service];
    return counts;
  }
  // The catalog is intentionally leaked, shared by the suite; the gazetteer is the shared test one.
  static inline catalog::Catalog* catalog_ = nullptr;
  static inline const geo::Gazetteer* gazetteer_ = nullptr;
};

TEST_F(DemoScenarioTest, SameMinuteSameReports) {
  DemoScenario a(*catalog_, *gazetteer_, kStart), b(*catalog_, *gazetteer_, kStart);
  std::vector<SimReport> ra, rb;
  a.GenerateMinute(kStart + 60 * 60000, ra);
  b.GenerateMinute(kStart + 60 * 60000, rb);
  ASSERT_EQ(ra.size(), rb.size());
  for (size_t i = 0; i < ra.size(); ++i) {
    EXPECT_EQ(ra[i].reporter, rb[i].reporter);
    EXPECT_EQ(ra[i].ts_ms, rb[i].ts_ms);
  }
}

TEST_F(DemoScenarioTest, OutageDwarfsNormalTrafficForMicrosoftServices) {
  DemoScenario s(*catalog_, *gazetteer_, kStart);
  std::vector<SimReport> before, during;
  for (int m = -60; m < -30; ++m) s.GenerateMinute(kStart + m * 60000, before);
  for (int m = 60; m < 90; ++m) s.GenerateMinute(kStart + m * 60000, during);
  auto b = CountByService(before), d = CountByService(during);
  EXPECT_GT(d["microsoft-365"], 50 * std::max(1, b["microsoft-365"]));
  EXPECT_GT(d["outlook"], 50 * std::max(1, b["outlook"]));
  EXPECT_GT(d["mimecast"], 10 * std::max(1, b["mimecast"]));
  // Services outside the outage stay at their normal level.
  EXPECT_LT(d["netflix"], 4 * std::max(5, b["netflix"]));
  // 16,000 reports per 15 minutes at the peak, give or take.
  std::vector<SimReport> peak;
  for (int m = 15; m < 30; ++m) s.GenerateMinute(kStart + m * 60000, peak);
  int m365 = CountByService(peak)["microsoft-365"];
  EXPECT_GT(m365, 12000);
  EXPECT_LT(m365, 18000);
}

TEST_F(DemoScenarioTest, OutageReportsComeFromNorthAmericaAndCarryTheSmtpError) {
  DemoScenario s(*catalog_, *gazetteer_, kStart);
  std::vector<SimReport> during;
  s.GenerateMinute(kStart + 30 * 60000, during);
  int north_america = 0, total = 0, smtp = 0;
  for (const auto& r : during) {
    if (r.service != "outlook") continue;
    ++total;
    north_america += r.lat > 15 && r.lat < 72 && r.lon > -170 && r.lon < -50;
    smtp += r.text.find("451 4.3.2") != std::string::npos;
  }
  ASSERT_GT(total, 300);
  EXPECT_GT(north_america, total * 95 / 100);
  EXPECT_GT(smtp, 0);
}

TEST_F(DemoScenarioTest, DependentsStartLaterAndEverythingEnds) {
  DemoScenario s(*catalog_, *gazetteer_, kStart);
  size_t m365 = 0, mimecast = 0;
  auto services = s.services();
  for (size_t i = 0; i < services.size(); ++i) {
    if (services[i] == "microsoft-365") m365 = i;
    if (services[i] == "mimecast") mimecast = i;
  }
  EXPECT_GT(s.OutageRate(m365, 3), 0);
  EXPECT_EQ(s.OutageRate(mimecast, 3), 0);
  EXPECT_GT(s.OutageRate(mimecast, 20), 0);
  double after_end = static_cast<double>(s.outage_end_ms() - kStart) / 60000.0;
  for (size_t i = 0; i < services.size(); ++i)
    EXPECT_EQ(s.OutageRate(i, after_end), 0) << services[i];
}

TEST_F(DemoScenarioTest, NdjsonLineIsOneObject) {
  SimReport r;
  r.ts_ms = kStart;
  r.service = "outlook";
  r.problem = "email";
  r.lat = 44.98;
  r.lon = -93.26;
  r.reporter = "demo-1";
  r.text = "451 4.3.2 \"x\"";
  std::string line;
  AppendNdjson(r, line);
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_NE(line.find("\"service\":\"outlook\""), std::string::npos);
  EXPECT_NE(line.find("\\\"x\\\""), std::string::npos);
}

}  // namespace
}  // namespace om::sim
