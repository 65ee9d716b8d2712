#include "api/statuspage.h"

#include <algorithm>

#include "base/json_writer.h"

namespace om::api {
namespace {

std::string Time(int64_t ms) { return FormatRfc3339(FromUnixMillis(ms)); }

// A component of the page and the member service whose status it shows.
struct Component {
  std::string id;
  std::string name;
  size_t member;
};

// A service page's components are the catalog's parts of the service (its name alone when it
// lists none), all showing the service's status: crowd reports cannot tell which part fails. A
// category page has one component per service.
std::vector<Component> Components(const StatuspageView& v) {
  std::vector<Component> out;
  if (v.group) {
    for (size_t m = 0; m < v.members.size(); ++m) {
      out.push_back({v.members[m].service->id, v.members[m].service->name, m});
    }
    return out;
  }
  const catalog::Service& s = *v.members.at(0).service;
  std::vector<std::string> names = s.components;
  if (names.empty()) names.push_back(s.name);
  for (size_t i = 0; i < names.size(); ++i) {
    out.push_back({s.id + "-" + std::to_string(i + 1), names[i], 0});
  }
  return out;
}

bool UnderMaintenance(const StatuspageView& v, const std::string& service) {
  return std::any_of(v.maintenances.begin(), v.maintenances.end(), [&](const auto& m) {
    return m.service == service && incidents::MaintenanceStatusAt(m, v.now_ms) == "in_progress";
  });
}

// Whether unresolved-or-not incident `i` affects component `c`: one of its services, and (when an
// operator named components) one of those. A category page's component is a whole service,
// affected when any of that service's components is.
bool Affects(const StatuspageView& v, const incidents::IncidentRecord& i, const Component& c) {
  const std::string& service = v.members[c.member].service->id;
  if (!i.Covers(service)) return false;
  if (i.components.empty()) return true;
  return std::any_of(i.components.begin(), i.components.end(), [&](const std::string& named) {
    return v.group ? named.starts_with(service + "-") : named == c.id;
  });
}

// Statuspage's status of a component: the worse of the crowd's view of its service (outage:
// major_outage, possible problems: degraded_performance) and the impact of the unresolved
// incidents that affect it (critical: major_outage, major: partial_outage, minor:
// degraded_performance); or under_maintenance while an announced window is under way and no
// incident is declared (the window explains what people report).
std::string_view ComponentStatus(const StatuspageView& v, const Component& c) {
  static constexpr std::string_view kStatus[] = {"operational", "degraded_performance",
                                                 "partial_outage", "major_outage"};
  const StatuspageMember& m = v.members[c.member];
  int worst = 0;
  if (m.crowd && m.crowd->status == detect::Status::kOutage) worst = 3;
  if (m.crowd && m.crowd->status == detect::Status::kPossible) worst = 1;
  bool declared = false;
  for (const auto& i : v.incidents) {
    if (i.resolved() || !i.Covers(m.service->id)) continue;
    declared = true;
    if (Affects(v, i, c)) worst = std::max(worst, static_cast<int>(i.impact));
  }
  if (!declared && UnderMaintenance(v, m.service->id)) return "under_maintenance";
  return kStatus[worst];
}

const catalog::Service* ServiceOf(const StatuspageView& v, const std::string& id) {
  for (const auto& m : v.members) {
    if (m.service->id == id) return m.service;
  }
  return nullptr;
}

// When the page last changed: the newest of the crowd status changes and the incidents' updates.
int64_t UpdatedAt(const StatuspageView& v) {
  int64_t t = 0;
  for (const auto& m : v.members) {
    if (m.crowd) t = std::max(t, m.crowd->since_minute * 60000);
  }
  for (const auto& i : v.incidents) t = std::max(t, i.updated_ms);
  return t > 0 ? t : v.now_ms;
}

void WritePage(JsonWriter& w, const StatuspageView& v) {
  w.Key("page").BeginObject().Key("id").String(v.page_id).Key("name").String(v.page_name);
  w.Key("url").String(v.base_url + v.page_path);
  w.Key("time_zone").String("Etc/UTC").Key("updated_at").String(Time(UpdatedAt(v)));
  w.EndObject();
}

void WriteComponents(JsonWriter& w, const StatuspageView& v) {
  w.Key("components").BeginArray();
  std::vector<Component> components = Components(v);
  for (size_t i = 0; i < components.size(); ++i) {
    const Component& c = components[i];
    const StatuspageMember& m = v.members[c.member];
    int64_t since = m.crowd && m.crowd->since_minute ? m.crowd->since_minute * 60000 : v.now_ms;
    w.BeginObject().Key("id").String(c.id).Key("name").String(c.name);
    w.Key("status").String(ComponentStatus(v, c));
    w.Key("created_at").String(Time(since)).Key("updated_at").String(Time(since));
    w.Key("position").Int(static_cast<int64_t>(i) + 1).Key("description").Null();
    w.Key("showcase").Bool(true).Key("start_date").Null().Key("group_id").Null();
    w.Key("page_id").String(v.page_id).Key("group").Bool(false);
    w.Key("only_show_if_degraded").Bool(false).EndObject();
  }
  w.EndArray();
}

// The page's overall status: the worst of the unresolved incidents' impacts and the crowd's
// views; maintenance when the only trouble is announced windows under way.
void WriteStatus(JsonWriter& w, const StatuspageView& v) {
  int worst = 0;  // none, minor, major, critical
  for (const auto& i : v.incidents) {
    if (!i.resolved()) worst = std::max(worst, static_cast<int>(i.impact));
  }
  bool maintenance = false;
  for (const Component& c : Components(v)) {
    std::string_view status = ComponentStatus(v, c);
    if (status == "under_maintenance") {
      maintenance = true;
      continue;
    }
    const detect::ServiceState* crowd = v.members[c.member].crowd;
    if (crowd && crowd->status == detect::Status::kOutage) worst = std::max(worst, 2);
    if (crowd && crowd->status == detect::Status::kPossible) worst = std::max(worst, 1);
  }
  static constexpr std::string_view kIndicator[] = {"none", "minor", "major", "critical"};
  static constexpr std::string_view kDescription[] = {
      "All Systems Operational", "Minor Service Outage", "Partial System Outage",
      "Major System Outage"};
  if (worst == 0 && maintenance) {
    w.Key("status").BeginObject().Key("indicator").String("maintenance");
    w.Key("description").String("Service Under Maintenance").EndObject();
    return;
  }
  w.Key("status").BeginObject().Key("indicator").String(kIndicator[worst]);
  w.Key("description").String(kDescription[worst]).EndObject();
}

// The components `affects(component)` selects, each with `status_of(component)`.
template <typename AffectsFn, typename StatusFn>
void WriteAffected(JsonWriter& w, const StatuspageView& v, AffectsFn affects, StatusFn status_of) {
  w.Key("components").BeginArray();
  for (const Component& c : Components(v)) {
    if (!affects(c)) continue;
    w.BeginObject().Key("id").String(c.id).Key("name").String(c.name);
    w.Key("status").String(status_of(c)).Key("page_id").String(v.page_id).EndObject();
  }
  w.EndArray();
}

void WriteIncident(JsonWriter& w, const StatuspageView& v, const incidents::IncidentRecord& i) {
  int64_t monitoring_at = 0;
  for (const auto& u : i.updates) {
    if (u.status == incidents::IncidentStatus::kMonitoring && !monitoring_at) {
      monitoring_at = u.at_ms;
    }
  }
  const catalog::Service* service = ServiceOf(v, i.service);
  w.BeginObject().Key("id").String(i.id);
  std::string others;
  if (i.services.size() > 1) {
    size_t n = i.services.size() - 1;
    others = " and " + std::to_string(n) + (n == 1 ? " more service" : " more services");
  }
  std::string name = service          ? service->name
                     : v.service_name ? v.service_name(i.service)
                                      : i.service;
  w.Key("name").String("Problems with " + name + others);
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
  w.Key("page_id").String(v.page_id);
  w.Key("incident_updates").BeginArray();
  // Statuspage lists updates newest first.
  for (size_t k = i.updates.size(); k-- > 0;) {
    const auto& u = i.updates[k];
    w.BeginObject().Key("id").String(i.id + "-" + std::to_string(k + 1));
    w.Key("status").String(incidents::StatusName(u.status)).Key("body").String(u.body);
    w.Key("incident_id").String(i.id).Key("created_at").String(Time(u.at_ms));
    w.Key("updated_at").String(Time(u.at_ms)).Key("display_at").String(Time(u.at_ms));
    w.Key("affected_components").Null().Key("deliver_notifications").Bool(!u.quiet);
    w.Key("custom_tweet").Null().Key("tweet_id").Null().EndObject();
  }
  w.EndArray();
  // Every component of its services (crowd reports do not say which part failed), or those an
  // operator named.
  WriteAffected(
      w, v, [&](const Component& c) { return Affects(v, i, c); },
      [&](const Component& c) {
        return i.resolved() ? std::string_view("operational") : ComponentStatus(v, c);
      });
  w.EndObject();
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
  w.Key("shortlink").String(v.base_url + "/services/" + m.service);
  w.Key("started_at").String(Time(m.starts_ms)).Key("page_id").String(v.page_id);
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
  WriteAffected(
      w, v, [&](const Component& c) { return v.members[c.member].service->id == m.service; },
      [&](const Component&) {
        return status == "in_progress" ? std::string_view("under_maintenance")
                                       : std::string_view("operational");
      });
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
