#include "api/statuspage.h"

#include <algorithm>

#include "base/json_writer.h"

namespace om::api {
namespace {

std::string Time(int64_t ms) { return FormatRfc3339(FromUnixMillis(ms)); }

// Statuspage's component status: the worse of the crowd's view (outage: major_outage, possible
// problems: degraded_performance) and the impact of the unresolved incidents (critical:
// major_outage, major: partial_outage, minor: degraded_performance). Crowd reports cannot tell
// which part of a service fails, so every component of the page shares it.
bool UnderMaintenance(const StatuspageView& v) {
  return std::any_of(v.maintenances.begin(), v.maintenances.end(), [&](const auto& m) {
    return incidents::MaintenanceStatusAt(m, v.now_ms) == "in_progress";
  });
}

std::string_view ComponentStatus(const StatuspageView& v) {
  static constexpr std::string_view kStatus[] = {"operational", "degraded_performance",
                                                 "partial_outage", "major_outage"};
  int worst = 0;
  if (v.crowd && v.crowd->status == detect::Status::kOutage) worst = 3;
  if (v.crowd && v.crowd->status == detect::Status::kPossible) worst = 1;
  for (const auto& i : v.incidents) {
    if (!i.resolved()) worst = std::max(worst, static_cast<int>(i.impact));
  }
  // An announced window explains what people report, unless an incident is declared too.
  bool declared = std::any_of(v.incidents.begin(), v.incidents.end(),
                              [](const auto& i) { return !i.resolved(); });
  if (!declared && UnderMaintenance(v)) return "under_maintenance";
  return kStatus[worst];
}

// Stable component ids: the page id, '-', the position.
std::string ComponentId(const StatuspageView& v, size_t i) {
  return v.service->id + "-" + std::to_string(i + 1);
}

std::vector<std::string> ComponentNames(const StatuspageView& v) {
  if (v.service->components.empty()) return {v.service->name};
  return v.service->components;
}

// When the page last changed: the newest of the crowd status change and the incidents' updates.
int64_t UpdatedAt(const StatuspageView& v) {
  int64_t t = v.crowd ? v.crowd->since_minute * 60000 : 0;
  for (const auto& i : v.incidents) t = std::max(t, i.updated_ms);
  return t > 0 ? t : v.now_ms;
}

void WritePage(JsonWriter& w, const StatuspageView& v) {
  w.Key("page").BeginObject().Key("id").String(v.service->id).Key("name").String(v.service->name);
  w.Key("url").String(v.base_url + "/services/" + v.service->id);
  w.Key("time_zone").String("Etc/UTC").Key("updated_at").String(Time(UpdatedAt(v)));
  w.EndObject();
}

void WriteComponents(JsonWriter& w, const StatuspageView& v) {
  std::vector<std::string> names = ComponentNames(v);
  int64_t since = v.crowd && v.crowd->since_minute ? v.crowd->since_minute * 60000 : v.now_ms;
  w.Key("components").BeginArray();
  for (size_t i = 0; i < names.size(); ++i) {
    w.BeginObject().Key("id").String(ComponentId(v, i)).Key("name").String(names[i]);
    w.Key("status").String(ComponentStatus(v));
    w.Key("created_at").String(Time(since)).Key("updated_at").String(Time(since));
    w.Key("position").Int(static_cast<int64_t>(i) + 1).Key("description").Null();
    w.Key("showcase").Bool(true).Key("start_date").Null().Key("group_id").Null();
    w.Key("page_id").String(v.service->id).Key("group").Bool(false);
    w.Key("only_show_if_degraded").Bool(false).EndObject();
  }
  w.EndArray();
}

// The page's overall status: the worst of the unresolved incidents' impacts, and the crowd.
void WriteStatus(JsonWriter& w, const StatuspageView& v) {
  int worst = 0;  // none, minor, major, critical
  for (const auto& i : v.incidents) {
    if (!i.resolved()) worst = std::max(worst, static_cast<int>(i.impact));
  }
  if (v.crowd && v.crowd->status == detect::Status::kOutage) worst = std::max(worst, 2);
  if (v.crowd && v.crowd->status == detect::Status::kPossible) worst = std::max(worst, 1);
  static constexpr std::string_view kIndicator[] = {"none", "minor", "major", "critical"};
  static constexpr std::string_view kDescription[] = {
      "All Systems Operational", "Minor Service Outage", "Partial System Outage",
      "Major System Outage"};
  if (ComponentStatus(v) == "under_maintenance") {
    w.Key("status").BeginObject().Key("indicator").String("maintenance");
    w.Key("description").String("Service Under Maintenance").EndObject();
    return;
  }
  w.Key("status").BeginObject().Key("indicator").String(kIndicator[worst]);
  w.Key("description").String(kDescription[worst]).EndObject();
}

void WriteIncident(JsonWriter& w, const StatuspageView& v, const incidents::IncidentRecord& i) {
  int64_t monitoring_at = 0;
  for (const auto& u : i.updates) {
    if (u.status == incidents::IncidentStatus::kMonitoring && !monitoring_at)
      monitoring_at = u.at_ms;
  }
  w.BeginObject().Key("id").String(i.id);
  w.Key("name").String("Problems with " + v.service->name);
  w.Key("status").String(incidents::StatusName(i.status));
  w.Key("created_at").String(Time(i.created_ms)).Key("updated_at").String(Time(i.updated_ms));
  if (monitoring_at) {
    w.Key("monitoring_at").String(Time(monitoring_at));
  } else {
    w.Key("monitoring_at").Null();
  }
  if (i.resolved()) {
    w.Key("resolved_at").String(Time(i.resolved_ms));
  } else {
    w.Key("resolved_at").Null();
  }
  w.Key("impact").String(incidents::ImpactName(i.impact));
  w.Key("shortlink").String(v.base_url + "/incidents/" + i.id);
  w.Key("started_at").String(Time(i.started_minute * 60000));
  w.Key("page_id").String(v.service->id);
  w.Key("incident_updates").BeginArray();
  // Statuspage lists updates newest first.
  for (size_t k = i.updates.size(); k-- > 0;) {
    const auto& u = i.updates[k];
    w.BeginObject().Key("id").String(i.id + "-" + std::to_string(k + 1));
    w.Key("status").String(incidents::StatusName(u.status)).Key("body").String(u.body);
    w.Key("incident_id").String(i.id).Key("created_at").String(Time(u.at_ms));
    w.Key("updated_at").String(Time(u.at_ms)).Key("display_at").String(Time(u.at_ms));
    w.Key("affected_components").Null().Key("deliver_notifications").Bool(true);
    w.Key("custom_tweet").Null().Key("tweet_id").Null().EndObject();
  }
  w.EndArray();
  // Every component: crowd reports do not say which part failed.
  std::vector<std::string> names = ComponentNames(v);
  w.Key("components").BeginArray();
  for (size_t c = 0; c < names.size(); ++c) {
    w.BeginObject().Key("id").String(ComponentId(v, c)).Key("name").String(names[c]);
    w.Key("status").String(i.resolved() ? "operational" : ComponentStatus(v));
    w.Key("page_id").String(v.service->id).EndObject();
  }
  w.EndArray().EndObject();
}

void WriteIncidents(JsonWriter& w, const StatuspageView& v, bool unresolved_only, size_t limit) {
  w.Key("incidents").BeginArray();
  size_t n = 0;
  for (const auto& i : v.incidents) {
    if (n == limit) break;
    if (unresolved_only && i.resolved()) continue;
    WriteIncident(w, v, i);
    ++n;
  }
  w.EndArray();
}

// One window as Statuspage's scheduled maintenance (an incident with impact "maintenance").
void WriteMaintenance(JsonWriter& w, const StatuspageView& v, const incidents::Maintenance& m) {
  std::string_view status = incidents::MaintenanceStatusAt(m, v.now_ms);
  w.BeginObject().Key("id").String(m.id).Key("name").String(m.title);
  w.Key("status").String(status);
  w.Key("created_at").String(Time(m.created_ms)).Key("updated_at").String(Time(m.created_ms));
  w.Key("monitoring_at").Null();
  if (status == "completed") {
    w.Key("resolved_at").String(Time(m.ends_ms));
  } else {
    w.Key("resolved_at").Null();
  }
  w.Key("impact").String("maintenance");
  w.Key("shortlink").String(v.base_url + "/services/" + v.service->id);
  w.Key("started_at").String(Time(m.starts_ms)).Key("page_id").String(v.service->id);
  w.Key("incident_updates").BeginArray();
  if (!m.body.empty()) {
    w.BeginObject().Key("id").String(m.id + "-1").Key("status").String("scheduled");
    w.Key("body").String(m.body).Key("incident_id").String(m.id);
    w.Key("created_at").String(Time(m.created_ms)).Key("updated_at").String(Time(m.created_ms));
    w.Key("display_at").String(Time(m.created_ms)).Key("affected_components").Null();
    w.Key("deliver_notifications").Bool(true).Key("custom_tweet").Null().Key("tweet_id").Null();
    w.EndObject();
  }
  w.EndArray();
  std::vector<std::string> names = ComponentNames(v);
  w.Key("components").BeginArray();
  for (size_t c = 0; c < names.size(); ++c) {
    w.BeginObject().Key("id").String(ComponentId(v, c)).Key("name").String(names[c]);
    w.Key("status").String(status == "in_progress" ? "under_maintenance" : "operational");
    w.Key("page_id").String(v.service->id).EndObject();
  }
  w.EndArray();
  w.Key("scheduled_for").String(Time(m.starts_ms)).Key("scheduled_until").String(Time(m.ends_ms));
  w.EndObject();
}

// `which`: "" every window (newest first), "upcoming" (scheduled), "active" (in_progress).
void WriteMaintenances(JsonWriter& w, const StatuspageView& v, std::string_view which) {
  w.Key("scheduled_maintenances").BeginArray();
  for (auto it = v.maintenances.rbegin(); it != v.maintenances.rend(); ++it) {
    std::string_view status = incidents::MaintenanceStatusAt(*it, v.now_ms);
    if (which == "upcoming" && status != "scheduled") continue;
    if (which == "active" && status != "in_progress") continue;
    WriteMaintenance(w, v, *it);
  }
  w.EndArray();
}

}  // namespace

std::string StatuspageDocument(std::string_view document, const StatuspageView& v) {
  JsonWriter w;
  w.BeginObject();
  WritePage(w, v);
  if (document == "summary.json") {
    WriteComponents(w, v);
    WriteIncidents(w, v, true, 50);
    // Statuspage's summary lists the upcoming and in-progress windows.
    w.Key("scheduled_maintenances").BeginArray();
    for (const auto& m : v.maintenances) {
      if (incidents::MaintenanceStatusAt(m, v.now_ms) != "completed") WriteMaintenance(w, v, m);
    }
    w.EndArray();
    WriteStatus(w, v);
  } else if (document == "status.json") {
    WriteStatus(w, v);
  } else if (document == "components.json") {
    WriteComponents(w, v);
  } else if (document == "incidents.json") {
    WriteIncidents(w, v, false, 50);
  } else if (document == "incidents/unresolved.json") {
    WriteIncidents(w, v, true, 50);
  } else if (document == "scheduled-maintenances.json") {
    WriteMaintenances(w, v, "");
  } else if (document == "scheduled-maintenances/upcoming.json") {
    WriteMaintenances(w, v, "upcoming");
  } else if (document == "scheduled-maintenances/active.json") {
    WriteMaintenances(w, v, "active");
  } else {
    return "";
  }
  w.EndObject();
  return std::move(w).Take();
}

}  // namespace om::api
