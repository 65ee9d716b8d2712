#include "incidents/maintenances.h"

#include <gtest/gtest.h>

#include "db/testing_meta_store.h"
#include "incidents/incident_tracker.h"
#include "testing/temp_dir.h"

namespace om::incidents {
namespace {

constexpr int64_t kMinute = 29'484'877;  // 2026-01-22T14:37Z
constexpr int64_t kNowMs = kMinute * 60000;

TEST(MaintenancesTest, ScheduleListCancelAndSurviveRestart) {
  testing::TempDir dir;
  auto dir_meta = db::TestingMetaStore(dir.str());
  {
    auto m = std::move(*Maintenances::Open(*dir_meta));
    auto w = m->Schedule("outlook", "Mailbox migration", "Expect slow sign-in.", kNowMs + 600000,
                         kNowMs + 4200000, FromUnixMillis(kNowMs));
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    EXPECT_EQ(w->id, "MW1000001");
    EXPECT_EQ(MaintenanceStatusAt(*w, kNowMs), "scheduled");
    EXPECT_EQ(MaintenanceStatusAt(*w, kNowMs + 600000), "in_progress");
    EXPECT_EQ(MaintenanceStatusAt(*w, kNowMs + 4200000), "completed");
    EXPECT_FALSE(m->Active("outlook", kMinute));
    EXPECT_TRUE(m->Active("outlook", kMinute + 10));
    EXPECT_TRUE(m->Active("outlook", kMinute + 69));
    EXPECT_FALSE(m->Active("outlook", kMinute + 70));
    EXPECT_FALSE(m->Active("teams", kMinute + 10));
    EXPECT_EQ(m->Schedule("outlook", "", "", kNowMs, kNowMs + 1, FromUnixMillis(kNowMs))
                  .status()
                  .message(),
              "title: must be 1 to 200 bytes");
    EXPECT_EQ(m->Schedule("outlook", "x", "", kNowMs + 10, kNowMs, FromUnixMillis(kNowMs))
                  .status()
                  .message(),
              "ends_at: must be after starts_at");
    EXPECT_EQ(
        m->Schedule("outlook", "x", "", kNowMs - 7200000, kNowMs - 3600000, FromUnixMillis(kNowMs))
            .status()
            .message(),
        "ends_at: already past");
    EXPECT_FALSE(
        m->Schedule("outlook", "x", "", kNowMs, kNowMs + 8 * 86400000LL, FromUnixMillis(kNowMs))
            .ok());
    ASSERT_TRUE(
        m->Schedule("teams", "Upgrade", "", kNowMs, kNowMs + 60000, FromUnixMillis(kNowMs)).ok());
  }
  auto m = std::move(*Maintenances::Open(*dir_meta));
  EXPECT_EQ(m->List("").size(), 2u);
  ASSERT_EQ(m->List("outlook").size(), 1u);
  EXPECT_EQ(m->List("outlook")[0].body, "Expect slow sign-in.");
  auto next = m->Schedule("slack", "Later", "", kNowMs, kNowMs + 60000, FromUnixMillis(kNowMs));
  EXPECT_EQ(next->id, "MW1000003") << "numbering continues after a restart";
  ASSERT_TRUE(m->Cancel("MW1000001").ok());
  EXPECT_FALSE(m->Active("outlook", kMinute + 10));
  EXPECT_EQ(m->Cancel("MW1000001").code(), StatusCode::kNotFound);
}

TEST(MaintenancesTest, AnOutageInsideAWindowOpensNoIncident) {
  testing::TempDir dir;
  auto dir_meta = db::TestingMetaStore(dir.str());
  auto m = std::move(*Maintenances::Open(*dir_meta));
  ASSERT_TRUE(m->Schedule("outlook", "Migration", "", kNowMs - 60000, kNowMs + 3600000,
                          FromUnixMillis(kNowMs))
                  .ok());
  IncidentTracker tracker({}, nullptr, [&](const std::string& service, int64_t minute) {
    return m->Active(service, minute);
  });
  store::Aggregates a;
  detect::DetectionSnapshot d;
  d.minute = kMinute;
  for (const char* service : {"outlook", "teams"}) {
    detect::ServiceState s;
    s.service = service;
    s.status = detect::Status::kOutage;
    s.since_minute = kMinute;
    s.expected_per_minute = 1;
    d.index[s.service] = d.services.size();
    d.services.push_back(s);
  }
  tracker.Update(a, d);
  auto snapshot = tracker.Snapshot();
  ASSERT_EQ(snapshot->incidents.size(), 1u);
  EXPECT_EQ(snapshot->incidents[0].service, "teams");
}

}  // namespace
}  // namespace om::incidents
