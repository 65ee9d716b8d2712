#include "incidents/incident_records.h"

#include <gtest/gtest.h>

#include "db/testing_meta_store.h"
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

Incident Dependent(std::string id, std::string service, std::string upstream_incident,
                   std::string upstream_service) {
  Incident i = Open(std::move(id), std::move(service));
  i.upstream_incident = std::move(upstream_incident);
  i.upstream_service = std::move(upstream_service);
  return i;
}

size_t Notified(const IncidentRecord& r) {
  size_t n = 0;
  for (const auto& u : r.updates) n += u.quiet ? 0 : 1;
  return n;
}

TEST(StepRecordTest, TheCrowdResolvingAnIncidentResolvesItsRecordUnlessAMemberIsStillOpen) {
  IncidentRecord record;
  record.id = "OM1000001";
  record.service = "azure";
  Incident incident = Open("OM1000001", "azure");
  incident.resolved_minute = kMinute + 30;
  DetectionStep alone = StepRecord(record, incident, kNowMs, /*members_open=*/false, 0);
  EXPECT_TRUE(alone.changed);
  EXPECT_EQ(alone.record.status, IncidentStatus::kResolved);
  EXPECT_EQ(alone.record.crowd_resolved_minute, kMinute + 30);
  ASSERT_TRUE(alone.update);
  EXPECT_EQ(alone.update->body, "Reports are back to the usual level since 15:07 UTC.");
  EXPECT_FALSE(alone.update->quiet);
  EXPECT_EQ(alone.update->author, "outagemap");
  // A root with a member still open stays open; it only notes the crowd's view.
  DetectionStep root = StepRecord(record, incident, kNowMs, /*members_open=*/true, 0);
  EXPECT_TRUE(root.changed);
  EXPECT_EQ(root.record.status, IncidentStatus::kInvestigating);
  EXPECT_EQ(root.record.crowd_resolved_minute, kMinute + 30);
  EXPECT_FALSE(root.update);
  // A member resolves quietly: its root's followers hear through the root.
  record.merged_into = "OM1000000";
  DetectionStep member = StepRecord(record, incident, kNowMs, false, 0);
  ASSERT_TRUE(member.update);
  EXPECT_TRUE(member.update->quiet);
  // Nothing new: nothing changes.
  DetectionStep again = StepRecord(alone.record, incident, kNowMs + 60000, false, 0);
  EXPECT_FALSE(again.changed);
  EXPECT_FALSE(again.update);
}

TEST(StepRecordTest, ReopeningAndReminders) {
  IncidentRecord record;
  record.id = "OM1000001";
  record.service = "azure";
  record.status = IncidentStatus::kResolved;
  record.crowd_resolved_minute = kMinute + 30;
  Incident incident = Open("OM1000001", "azure");  // open again
  DetectionStep reopened = StepRecord(record, incident, kNowMs, false, 0);
  EXPECT_EQ(reopened.record.status, IncidentStatus::kInvestigating);
  EXPECT_EQ(reopened.record.crowd_resolved_minute, 0);
  ASSERT_TRUE(reopened.update);
  EXPECT_EQ(reopened.update->body, "Reports rose above the usual level again.");
  // An open root whose last update is an hour old gets a reminder when they are on, not before.
  IncidentRecord open = reopened.record;
  open.updates.push_back(*reopened.update);
  const int64_t hour = 3600000;
  EXPECT_FALSE(StepRecord(open, incident, kNowMs + hour - 1, false, hour).update);
  EXPECT_FALSE(StepRecord(open, incident, kNowMs + 5 * hour, false, 0).update);
  DetectionStep reminded = StepRecord(open, incident, kNowMs + hour, false, hour);
  ASSERT_TRUE(reminded.update);
  EXPECT_EQ(reminded.update->body.rfind("Still ongoing: reports have been above the usual level "
                                        "since 14:35 UTC (1 hour).",
                                        0),
            0u)
      << reminded.update->body;
}

TEST(IncidentRecordsTest, AMinuteIsWrittenWholeOrNotAtAll) {
  testing::TempDir dir;
  auto meta = db::TestingMetaStore(dir.str());
  auto records = std::move(*IncidentRecords::Open(*meta));
  IncidentSnapshot snapshot;
  snapshot.incidents.push_back(Open("OM1000001", "azure"));
  snapshot.incidents.push_back(Open("OM1000002", "zoom"));
  // The second incident's row cannot be written: a trigger of this connection refuses it.
  ASSERT_TRUE(meta->Write([](db::MetaStore::Transaction& tx) {
                    return tx.Run(
                        "CREATE TEMP TRIGGER refuse_zoom BEFORE INSERT ON incidents "
                        "WHEN NEW.service = 'zoom' BEGIN SELECT RAISE(ABORT, 'disk trouble'); END");
                  })
                  .ok());
  Status failed = records->Sync(snapshot, FromUnixMillis(kNowMs));
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find("disk trouble"), std::string::npos) << failed.message();
  // Neither readers nor the file saw the first incident of that minute.
  EXPECT_FALSE(records->Find("OM1000001"));
  EXPECT_EQ(records->LastSeq(), 0);
  EXPECT_TRUE(records->UpdatesSince(0, 10).empty());
  EXPECT_EQ((*IncidentRecords::Open(*meta))->MaxNumber(), 0u);
  // Once the disk is fine, the next minute writes both, with their updates numbered in order.
  ASSERT_TRUE(
      meta->Write([](db::MetaStore::Transaction& tx) { return tx.Run("DROP TRIGGER refuse_zoom"); })
          .ok());
  ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs + 60000)).ok());
  auto events = records->UpdatesSince(0, 10);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].incident.id, "OM1000001");
  EXPECT_EQ(events[1].incident.id, "OM1000002");
  EXPECT_LT(events[0].update.seq, events[1].update.seq);
  EXPECT_GT(events[0].update.seq, 0);
  auto reopened = std::move(*IncidentRecords::Open(*meta));
  EXPECT_EQ(reopened->MaxNumber(), 1000002u);
  EXPECT_EQ(reopened->LastSeq(), records->LastSeq());
}

TEST(IncidentRecordsTest, DependentsJoinTheirUpstreamsIncidentInOneUpdateOnceTheCascadePauses) {
  testing::TempDir dir;
  auto dir_meta = db::TestingMetaStore(dir.str());
  auto records = std::move(*IncidentRecords::Open(*dir_meta));
  records->SetServiceNames([](const std::string& id) { return id == "azure" ? "Azure" : id; });
  IncidentSnapshot snapshot;
  snapshot.incidents.push_back(Open("OM1000001", "azure"));
  ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs)).ok());
  // Thirty dependents detected over two minutes.
  for (int k = 0; k < 20; ++k) {
    snapshot.incidents.push_back(Dependent("OM10001" + std::to_string(10 + k),
                                           "app" + std::to_string(k), "OM1000001", "azure"));
  }
  ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs + 60000)).ok());
  for (int k = 20; k < 30; ++k) {
    snapshot.incidents.push_back(Dependent("OM10001" + std::to_string(10 + k),
                                           "app" + std::to_string(k), "OM1000001", "azure"));
  }
  ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs + 120000)).ok());
  // The services count at once; followers are told when the cascade pauses.
  auto root = *records->Find("OM1000001");
  EXPECT_EQ(root.services.size(), 31u);
  EXPECT_EQ(root.members.size(), 30u);
  EXPECT_EQ(Notified(root), 1u) << "still joining";
  ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs + 180000)).ok());
  root = *records->Find("OM1000001");
  // Opened, then one "Also affected" for all thirty: 2 notified updates, not 31.
  ASSERT_EQ(Notified(root), 2u);
  EXPECT_EQ(root.updates[1].body.rfind("Also affected: app0, app1, ", 0), 0u)
      << root.updates[1].body;
  EXPECT_NE(root.updates[1].body.find("app29, which depend on Azure."), std::string::npos)
      << root.updates[1].body;
  auto member = *records->Find("OM1000110");
  EXPECT_EQ(member.merged_into, "OM1000001");
  ASSERT_EQ(member.updates.size(), 1u);
  EXPECT_TRUE(member.updates[0].quiet);
  EXPECT_NE(member.updates[0].body.find("app0 depends on Azure: followed as part of OM1000001."),
            std::string::npos)
      << member.updates[0].body;
  // Every notified update of the whole cascade: the stream a subscriber follows.
  size_t told = 0;
  for (const auto& e : records->UpdatesSince(0, 1000)) told += e.update.quiet ? 0 : 1;
  EXPECT_EQ(told, 2u);

  // The upstream recovers first: the group stays open while dependents are not back.
  snapshot.incidents[0].resolved_minute = kMinute + 30;
  ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs + 1800000)).ok());
  EXPECT_FALSE(records->Find("OM1000001")->resolved());
  for (size_t k = 1; k < snapshot.incidents.size(); ++k) {
    snapshot.incidents[k].resolved_minute = kMinute + 40;
  }
  ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs + 2400000)).ok());
  root = *records->Find("OM1000001");
  EXPECT_TRUE(root.resolved());
  EXPECT_EQ(root.updates.back().body,
            "Reports are back to the usual level for all 31 services since 15:17 UTC.");
  EXPECT_TRUE(records->Find("OM1000110")->resolved());
  EXPECT_TRUE(records->Find("OM1000110")->updates.back().quiet);
  // One dependent falls back: the whole incident reopens, told once.
  snapshot.incidents[5].resolved_minute = 0;
  ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs + 2460000)).ok());
  root = *records->Find("OM1000001");
  EXPECT_EQ(root.status, IncidentStatus::kInvestigating);
  EXPECT_EQ(root.updates.back().body, "Reports rose above the usual level again.");
  EXPECT_FALSE(root.updates.back().quiet);

  // Grouping off: each dependent is its own incident.
  testing::TempDir other;
  auto other_meta = db::TestingMetaStore(other.str());
  auto separate = std::move(*IncidentRecords::Open(*other_meta));
  separate->SetGroupDependents(false);
  snapshot.incidents.resize(3);
  for (auto& i : snapshot.incidents) i.resolved_minute = 0;
  ASSERT_TRUE(separate->Sync(snapshot, FromUnixMillis(kNowMs)).ok());
  EXPECT_TRUE(separate->Find("OM1000110")->merged_into.empty());
  EXPECT_EQ(separate->Find("OM1000001")->services.size(), 1u);
}

TEST(IncidentRecordsTest, AnUpstreamDetectedLaterTakesTheDependentIn) {
  testing::TempDir dir;
  auto dir_meta = db::TestingMetaStore(dir.str());
  auto records = std::move(*IncidentRecords::Open(*dir_meta));
  IncidentSnapshot snapshot;
  snapshot.incidents.push_back(Open("OM1000001", "teams"));
  ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs)).ok());
  snapshot.incidents.push_back(Open("OM1000002", "azure"));
  snapshot.incidents[0].upstream_incident = "OM1000002";
  snapshot.incidents[0].upstream_service = "azure";
  ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs + 60000)).ok());
  auto teams = *records->Find("OM1000001");
  EXPECT_EQ(teams.merged_into, "OM1000002");
  // Its followers heard of it, so they hear where it went.
  EXPECT_FALSE(teams.updates.back().quiet);
  EXPECT_EQ(teams.updates.back().body,
            "teams depends on azure, which has an outage too: this incident is now part of "
            "OM1000002, where updates continue.");
  ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs + 120000)).ok());  // a pause
  auto azure = *records->Find("OM1000002");
  EXPECT_EQ(azure.services, (std::vector<std::string>{"azure", "teams"}));
  EXPECT_EQ(azure.updates.back().body, "Also affected: teams, which depends on azure.");
}

TEST(IncidentRecordsTest, OperatorsMergeAndSplitAndItIsKeptAcrossRestarts) {
  testing::TempDir dir;
  auto dir_meta = db::TestingMetaStore(dir.str());
  {
    auto records = std::move(*IncidentRecords::Open(*dir_meta));
    IncidentSnapshot snapshot;
    snapshot.incidents.push_back(Open("OM1000001", "outlook"));
    snapshot.incidents.push_back(Open("OM1000002", "teams"));
    snapshot.incidents.push_back(Open("OM1000003", "onedrive"));
    ASSERT_TRUE(records
                    ->Sync(snapshot, FromUnixMillis(kNowMs),
                           [](const Incident& i) {
                             return i.service == "outlook"
                                        ? std::vector<std::string>{"US-MN", "US-WI"}
                                        : std::vector<std::string>{"DE-BE"};
                           })
                    .ok());
    EXPECT_EQ(records->Find("OM1000001")->regions, (std::vector<std::string>{"US-MN", "US-WI"}));

    auto merged =
        records->Merge("OM1000001", {"OM1000002", "OM1000003"}, "noc", FromUnixMillis(kNowMs));
    ASSERT_TRUE(merged.ok()) << merged.status().ToString();
    EXPECT_EQ(merged->services, (std::vector<std::string>{"outlook", "teams", "onedrive"}));
    EXPECT_EQ(merged->regions, (std::vector<std::string>{"US-MN", "US-WI", "DE-BE"}));
    EXPECT_EQ(merged->members, (std::vector<std::string>{"OM1000002", "OM1000003"}));
    EXPECT_EQ(merged->updates.back().body,
              "Merged in by noc: OM1000002 (teams), OM1000003 (onedrive).");
    EXPECT_EQ(records->Find("OM1000002")->updates.back().body,
              "Merged into OM1000001 (outlook) by noc; updates continue there.");

    // Each refusal names the field.
    auto expect_invalid = [](const Result<IncidentRecord>& r, const std::string& message) {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(r.status().message(), message);
    };
    Timestamp now = FromUnixMillis(kNowMs);
    expect_invalid(records->Merge("OM1000002", {"OM1000003"}, "noc", now),
                   "id: OM1000002 is part of OM1000001; merge into that one");
    expect_invalid(records->Merge("OM1000001", {"OM1000001"}, "noc", now),
                   "from: cannot merge OM1000001 into itself");
    expect_invalid(records->Merge("OM1000001", {"OM1000003"}, "noc", now),
                   "from: OM1000003 is already part of OM1000001");
    expect_invalid(records->Merge("OM1000001", {"OM9"}, "noc", now),
                   "from: unknown incident \"OM9\"");
    expect_invalid(records->Merge("OM1000001", {}, "noc", now),
                   "from: must list 1 to 100 incident ids");
    EXPECT_EQ(records->Merge("OM9", {"OM1000002"}, "noc", now).status().code(),
              StatusCode::kNotFound);
    expect_invalid(records->Split("OM1000001", {"outlook"}, "noc", now),
                   "services: \"outlook\" is OM1000001's own service; split out the others");
    expect_invalid(records->Split("OM1000001", {"gmail"}, "noc", now),
                   "services: \"gmail\" is not part of OM1000001");
    expect_invalid(records->Split("OM1000001", {"teams", "teams"}, "noc", now),
                   "services: \"teams\" is listed twice");

    auto split = records->Split("OM1000001", {"teams"}, "noc", now);
    ASSERT_TRUE(split.ok()) << split.status().ToString();
    EXPECT_EQ(split->services, (std::vector<std::string>{"outlook", "onedrive"}));
    EXPECT_EQ(split->members, (std::vector<std::string>{"OM1000003"}));
    EXPECT_EQ(split->updates.back().body,
              "Split out by noc: teams, followed as its own incident again.");
    auto teams = *records->Find("OM1000002");
    EXPECT_TRUE(teams.merged_into.empty());
    EXPECT_TRUE(teams.detached);
    EXPECT_EQ(teams.updates.back().body, "Split out of OM1000001 by noc; updates continue here.");

    // Detection does not group a split-out incident again.
    snapshot.incidents[1].upstream_incident = "OM1000001";
    snapshot.incidents[1].upstream_service = "outlook";
    ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs + 60000)).ok());
    EXPECT_TRUE(records->Find("OM1000002")->merged_into.empty());

    auto components =
        records->PostUpdate("OM1000001", std::nullopt, std::nullopt,
                            std::vector<std::string>{"outlook-2"}, "Only sending.", "noc", now);
    ASSERT_TRUE(components.ok());
    EXPECT_EQ(components->components, (std::vector<std::string>{"outlook-2"}));
  }
  auto reopened = std::move(*IncidentRecords::Open(*dir_meta));
  auto root = *reopened->Find("OM1000001");
  EXPECT_EQ(root.services, (std::vector<std::string>{"outlook", "onedrive"}));
  EXPECT_EQ(root.members, (std::vector<std::string>{"OM1000003"}));
  EXPECT_EQ(root.components, (std::vector<std::string>{"outlook-2"}));
  EXPECT_EQ(root.regions, (std::vector<std::string>{"US-MN", "US-WI", "DE-BE"}));
  EXPECT_TRUE(reopened->Find("OM1000002")->detached);
  EXPECT_EQ(reopened->Find("OM1000003")->merged_into, "OM1000001");
}

TEST(IncidentRecordsTest, AFileFromBeforeGroupsGainsTheNewColumns) {
  testing::TempDir dir;
  {
    auto db = std::move(*db::Database::Open(dir.str() + "/meta.db"));
    ASSERT_TRUE(db->Exec("CREATE TABLE incidents (id TEXT PRIMARY KEY, number INTEGER NOT NULL,"
                         " service TEXT NOT NULL, status TEXT NOT NULL, impact TEXT NOT NULL,"
                         " created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
                         " resolved_ms INTEGER NOT NULL DEFAULT 0,"
                         " started_minute INTEGER NOT NULL DEFAULT 0,"
                         " detected_minute INTEGER NOT NULL DEFAULT 0,"
                         " crowd_resolved_minute INTEGER NOT NULL DEFAULT 0);"
                         "CREATE TABLE incident_updates (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
                         " incident TEXT NOT NULL, at_ms INTEGER NOT NULL, status TEXT NOT NULL,"
                         " body TEXT NOT NULL, author TEXT NOT NULL);"
                         "INSERT INTO incidents VALUES ('OM1000004', 1000004, 'outlook',"
                         " 'identified', 'minor', 1, 2, 0, 3, 4, 0);"
                         "INSERT INTO incident_updates(incident, at_ms, status, body, author)"
                         " VALUES ('OM1000004', 2, 'identified', 'Found it.', 'noc')")
                    .ok());
  }
  // Opened by this release: meta.db migrates it.
  auto meta = db::TestingMetaStore(dir.str());
  auto opened = IncidentRecords::Open(*meta);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto r = *(*opened)->Find("OM1000004");
  EXPECT_EQ(r.services, (std::vector<std::string>{"outlook"}));
  EXPECT_TRUE(r.merged_into.empty());
  ASSERT_EQ(r.updates.size(), 1u);
  EXPECT_FALSE(r.updates[0].quiet);
  EXPECT_EQ(r.status, IncidentStatus::kIdentified);
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
  auto dir_meta = db::TestingMetaStore(dir.str());
  auto records = std::move(*IncidentRecords::Open(*dir_meta));
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
  auto dir_meta = db::TestingMetaStore(dir.str());
  auto records = std::move(*IncidentRecords::Open(*dir_meta));
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
                  ->PostUpdate("OM1000001", IncidentStatus::kIdentified, std::nullopt, std::nullopt,
                               "On it.", "noc", FromUnixMillis(kNowMs + 200 * 60000))
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
  auto dir_meta = db::TestingMetaStore(dir.str());
  {
    auto records = std::move(*IncidentRecords::Open(*dir_meta));
    IncidentSnapshot snapshot;
    snapshot.incidents.push_back(Open("OM1000007", "teams"));
    snapshot.incidents.push_back(Open("OM1000003", "slack"));
    ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs)).ok());
    auto updated = records->PostUpdate("OM1000007", IncidentStatus::kIdentified, Impact::kCritical,
                                       std::nullopt, "Sign-in service failing in US regions.",
                                       "noc", FromUnixMillis(kNowMs + 120000));
    ASSERT_TRUE(updated.ok()) << updated.status().ToString();
    EXPECT_EQ(updated->status, IncidentStatus::kIdentified);
    EXPECT_EQ(updated->impact, Impact::kCritical);
    EXPECT_EQ(updated->updates.back().author, "noc");
    // A text-only update keeps status and impact.
    auto note = records->PostUpdate("OM1000007", std::nullopt, std::nullopt, std::nullopt,
                                    "Still on it.", "noc", FromUnixMillis(kNowMs + 180000));
    EXPECT_EQ(note->status, IncidentStatus::kIdentified);
    EXPECT_EQ(note->updates.back().status, IncidentStatus::kIdentified);
    EXPECT_EQ(records
                  ->PostUpdate("OM999", std::nullopt, std::nullopt, std::nullopt, "x", "noc",
                               FromUnixMillis(kNowMs))
                  .status()
                  .code(),
              StatusCode::kNotFound);
    EXPECT_EQ(records
                  ->PostUpdate("OM1000007", std::nullopt, std::nullopt, std::nullopt, "", "noc",
                               FromUnixMillis(kNowMs))
                  .status()
                  .message(),
              "body: must be 1 to 5000 bytes of text");
    // An operator who resolved it first: the crowd's resolution adds no second update.
    ASSERT_TRUE(records
                    ->PostUpdate("OM1000003", IncidentStatus::kResolved, std::nullopt, std::nullopt,
                                 "Fixed by the vendor.", "noc", FromUnixMillis(kNowMs + 60000))
                    .ok());
    snapshot.incidents[1].resolved_minute = kMinute + 5;
    ASSERT_TRUE(records->Sync(snapshot, FromUnixMillis(kNowMs + 600000)).ok());
    EXPECT_EQ(records->Find("OM1000003")->updates.size(), 2u);
    EXPECT_EQ(records->Find("OM1000003")->crowd_resolved_minute, kMinute + 5);
  }
  // Everything is back after a restart, in order; numbering continues after the largest.
  auto again = std::move(*IncidentRecords::Open(*dir_meta));
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
