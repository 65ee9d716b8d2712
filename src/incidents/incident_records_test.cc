#include "incidents/incident_records.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace om::incidents {
namespace {

constexpr int64_t kMinute = 29'484'877;  // 2026-01-22T14:37Z
constexpr int64_t kNowMs = kMinute * 60000 + 5000;

Incident Open(std::string id, std::string service) {
  Incident i;
  i.id = std::move(id);
  i.service = std::move(service);
  i.started_minute = kMinute - 2;
  i.detected_minute = kMinute;
  return i;
}

TEST(IncidentRecordsTest, NamesAndNumbers) {
  EXPECT_EQ(IncidentNumber("OM1000123"), 1000123u);
  EXPECT_EQ(IncidentNumber("OM"), 0u);
  EXPECT_EQ(IncidentNumber("REF1"), 0u);
  EXPECT_EQ(IncidentNumber("OM12x"), 0u);
  EXPECT_EQ(*ParseIncidentStatus("monitoring", "status"), IncidentStatus::kMonitoring);
  EXPECT_EQ(ParseIncidentStatus("fixed", "status").status().message(),
            "status: must be one of investigating, identified, monitoring, resolved, postmortem");
  EXPECT_EQ(ParseImpact("huge", "impact").status().message(),
            "impact: must be one of none, minor, major, critical");
  EXPECT_EQ(ImpactName(Impact::kCritical), "critical");
}

TEST(IncidentRecordsTest, DetectionOpensResolvesAndReopensWithUpdates) {
  testing::TempDir dir;
  auto records = std::move(*IncidentRecords::Open(dir.str() + "/meta.db"));
  EXPECT_EQ(records->MaxNumber(), 0u);
  IncidentSnapshot snapshot;
  snapshot.incidents.push_back(Open("OM1000001", "outlook"));
  ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs)).ok());
  ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs + 60000)).ok());  // no change
  auto r = records->Find("OM1000001");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, IncidentStatus::kInvestigating);
  EXPECT_EQ(r->impact, Impact::kMajor);
  ASSERT_EQ(r->updates.size(), 1u);
  EXPECT_EQ(r->updates[0].body,
            "User reports rose above the usual level at 14:35 UTC; outagemap declared an outage "
            "at 14:37 UTC.");
  EXPECT_EQ(r->updates[0].author, "outagemap");

  snapshot.incidents[0].resolved_minute = kMinute + 50;
  ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs + 3000000)).ok());
  r = records->Find("OM1000001");
  EXPECT_EQ(r->status, IncidentStatus::kResolved);
  EXPECT_EQ(r->resolved_ms, kNowMs + 3000000);
  ASSERT_EQ(r->updates.size(), 2u);
  EXPECT_EQ(r->updates[1].body, "Reports are back to the usual level since 15:27 UTC.");

  snapshot.incidents[0].resolved_minute = 0;  // reopened
  ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs + 3600000)).ok());
  r = records->Find("OM1000001");
  EXPECT_EQ(r->status, IncidentStatus::kInvestigating);
  EXPECT_EQ(r->resolved_ms, 0);
  EXPECT_EQ(r->updates.back().body, "Reports rose above the usual level again.");
  EXPECT_EQ(records->MaxNumber(), 1000001u);
}

TEST(IncidentRecordsTest, RemindersForLongIncidentsNobodyWroteAbout) {
  testing::TempDir dir;
  auto records = std::move(*IncidentRecords::Open(dir.str() + "/meta.db"));
  records->SetReminderInterval(std::chrono::minutes(120));
  IncidentSnapshot snapshot;
  snapshot.incidents.push_back(Open("OM1000001", "outlook"));
  ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs)).ok());
  ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs + 119 * 60000)).ok());
  EXPECT_EQ(records->Find("OM1000001")->updates.size(), 1u);
  ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs + 120 * 60000)).ok());
  auto r = records->Find("OM1000001");
  ASSERT_EQ(r->updates.size(), 2u);
  EXPECT_EQ(r->updates[1].body,
            "Still ongoing: reports have been above the usual level since 14:35 UTC (2 hours).");
  EXPECT_EQ(r->updates[1].status, IncidentStatus::kInvestigating);
  // An operator's word resets the clock.
  ASSERT_TRUE(records
                  ->PostUpdate("OM1000001", IncidentStatus::kIdentified, std::nullopt, "On it.",
                               "noc", FromUnixMillis(kNowMs + 200 * 60000))
                  .ok());
  ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs + 250 * 60000)).ok());
  EXPECT_EQ(records->Find("OM1000001")->updates.size(), 3u);
  ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs + 320 * 60000)).ok());
  r = records->Find("OM1000001");
  ASSERT_EQ(r->updates.size(), 4u);
  EXPECT_EQ(r->updates[3].status, IncidentStatus::kIdentified);
}

TEST(IncidentRecordsTest, OperatorUpdatesPersistAcrossReopening) {
  testing::TempDir dir;
  std::string path = dir.str() + "/meta.db";
  {
    auto records = std::move(*IncidentRecords::Open(path));
    IncidentSnapshot snapshot;
    snapshot.incidents.push_back(Open("OM1000007", "teams"));
    snapshot.incidents.push_back(Open("OM1000003", "slack"));
    ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs)).ok());
    auto updated = records->PostUpdate("OM1000007", IncidentStatus::kIdentified, Impact::kCritical,
                                       "Sign-in service failing in US regions.", "noc",
                                       FromUnixMillis(kNowMs + 120000));
    ASSERT_TRUE(updated.ok()) << updated.status().ToString();
    EXPECT_EQ(updated->status, IncidentStatus::kIdentified);
    EXPECT_EQ(updated->impact, Impact::kCritical);
    EXPECT_EQ(updated->updates.back().author, "noc");
    // A text-only update keeps status and impact.
    auto note = records->PostUpdate("OM1000007", std::nullopt, std::nullopt, "Still on it.", "noc",
                                    FromUnixMillis(kNowMs + 180000));
    EXPECT_EQ(note->status, IncidentStatus::kIdentified);
    EXPECT_EQ(note->updates.back().status, IncidentStatus::kIdentified);
    EXPECT_EQ(
        records->PostUpdate("OM999", std::nullopt, std::nullopt, "x", "noc", FromUnixMillis(kNowMs))
            .status()
            .code(),
        StatusCode::kNotFound);
    EXPECT_EQ(
        records
            ->PostUpdate("OM1000007", std::nullopt, std::nullopt, "", "noc", FromUnixMillis(kNowMs))
            .status()
            .message(),
        "body: must be 1 to 5000 bytes of text");
    // An operator who resolved it first: the crowd's resolution adds no second update.
    ASSERT_TRUE(records
                    ->PostUpdate("OM1000003", IncidentStatus::kResolved, std::nullopt,
                                 "Fixed by the vendor.", "noc", FromUnixMillis(kNowMs + 60000))
                    .ok());
    snapshot.incidents[1].resolved_minute = kMinute + 5;
    ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs + 600000)).ok());
    EXPECT_EQ(records->Find("OM1000003")->updates.size(), 2u);
    EXPECT_EQ(records->Find("OM1000003")->crowd_resolved_minute, kMinute + 5);
  }
  // Everything is back after a restart, in order; numbering continues after the largest.
  auto again = std::move(*IncidentRecords::Open(path));
  EXPECT_EQ(again->MaxNumber(), 1000007u);
  auto r = again->Find("OM1000007");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->impact, Impact::kCritical);
  ASSERT_EQ(r->updates.size(), 3u);
  EXPECT_EQ(r->updates[1].body, "Sign-in service failing in US regions.");
  EXPECT_EQ(r->updates[2].body, "Still on it.");
  // The update stream, in order, survives too: three updates of OM1000007, two of OM1000003.
  auto events = again->UpdatesSince(0, 100);
  ASSERT_EQ(events.size(), 5u);
  for (size_t i = 1; i < events.size(); ++i)
    EXPECT_LT(events[i - 1].update.seq, events[i].update.seq);
  EXPECT_EQ(events.back().incident.id, "OM1000003");
  EXPECT_EQ(events.back().update.body, "Fixed by the vendor.");
  EXPECT_TRUE(events.back().incident.updates.empty());
  EXPECT_EQ(again->UpdatesSince(events[2].update.seq, 100).size(), 2u);
  EXPECT_EQ(again->UpdatesSince(0, 2).size(), 2u);
  EXPECT_EQ(again->LastSeq(), events.back().update.seq);
  auto list = again->List(10);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, "OM1000007");
  EXPECT_EQ(list[1].id, "OM1000003");
  // The limit counts only the records the filter keeps.
  auto slack =
      again->List(1, [](const IncidentRecord& record) { return record.service == "slack"; });
  ASSERT_EQ(slack.size(), 1u);
  EXPECT_EQ(slack[0].id, "OM1000003");
  EXPECT_EQ(again->List(1).size(), 1u);
}

}  // namespace
}  // namespace om::incidents
