#include "api/incident_routes.h"

#include <algorithm>

#include "api/atom_feed.h"
#include "api/incident_json.h"
#include "api/params.h"
#include "api/response.h"
#include "base/json_writer.h"
#include "json/json_fields.h"

namespace om::api {

IncidentRoutes::IncidentRoutes(const ApiOptions& options, ingest::ServiceRegistry& registry,
                               const store::CountStore& counts, const geo::Gazetteer& gazetteer,
                               const detect::Detector& detector,
                               const incidents::IncidentTracker& incidents,
                               incidents::IncidentRecords& records, const Clock& clock)
    : max_archived_incidents_(options.max_archived_incidents),
      registry_(registry),
      counts_(counts),
      gazetteer_(gazetteer),
      detector_(detector),
      incidents_(incidents),
      records_(records),
      clock_(clock) {}

void IncidentRoutes::Register(Router& router) {
  router.Register({.method = "GET", .pattern = "/api/v1/incidents", .cacheable = true},
                  [this](const RouteCall& call) { return ListIncidents(call.request); });
  router.Register({.method = "GET", .pattern = "/api/v1/incidents.atom", .cacheable = true},
                  [this](const RouteCall& call) { return IncidentFeed(call.request); });
  router.Register({.method = "GET", .pattern = "/api/v1/incidents/{id}", .cacheable = true},
                  [this](const RouteCall& call) { return GetIncident(call.Param("id")); });
  for (std::string action : {"updates", "merge", "split"}) {
    router.Register({.method = "POST",
                     .pattern = "/api/v1/incidents/{id}/" + action,
                     .scope = auth::kIncidentWrite,
                     .leader_write = true},
                    [this, action](const RouteCall& call) {
                      return PostIncidentAction(call.Param("id"), action, call);
                    });
  }
}

Result<HttpResponse> IncidentRoutes::ListIncidents(const HttpRequest& request) {
  std::string service, state, value;
  QueryParam(request.query, "service", service);
  if (QueryParam(request.query, "state", state) && state != "open" && state != "resolved") {
    return Status::InvalidArgument("state: must be open or resolved");
  }
  Result<size_t> limit_param = ParseLimit(request.query, 50, 1000);
  if (!limit_param.ok()) return limit_param.status();
  size_t limit = *limit_param;
  if (!service.empty()) {
    auto found = registry_.Find(service);
    if (!found) return Status::NotFound(UnknownService(service));
    service = found->id;
  }
  auto snapshot = incidents_.Snapshot();
  JsonWriter w;
  w.BeginObject().Key("incidents").BeginArray();
  size_t n = 0;
  for (const auto& incident : snapshot->incidents) {
    if (n >= limit) break;
    if (!service.empty() && incident.service != service) continue;
    if (state == "open" && !incident.open()) continue;
    if (state == "resolved" && incident.open()) continue;
    WriteIncident(w, incident, 5);
    ++n;
  }
  // Then incidents only the records remember (from before a restart), newest first.
  if (n < limit) {
    auto of_service = [&](const auto& r) { return service.empty() || r.Covers(service); };
    for (const auto& record : records_.List(max_archived_incidents_, of_service)) {
      if (n >= limit) break;
      if (snapshot->Find(record.id)) continue;
      bool open = record.crowd_resolved_minute == 0;
      if ((state == "open" && !open) || (state == "resolved" && open)) continue;
      WriteArchivedIncident(w, record);
      ++n;
    }
  }
  w.EndArray().EndObject();
  return DataResponse(w.str());
}

Result<HttpResponse> IncidentRoutes::GetIncident(std::string_view id) {
  auto snapshot = incidents_.Snapshot();
  const incidents::Incident* incident = snapshot->Find(std::string(id));
  if (!incident) {
    if (auto record = records_.Find(id)) {
      JsonWriter w;
      WriteArchivedIncident(w, *record);
      return DataResponse(w.str());
    }
    return Status::NotFound("unknown incident \"" + std::string(id.substr(0, 64)) + "\"");
  }
  JsonWriter w;
  WriteIncident(w, *incident, 20);
  return DataResponse(w.str());
}

void IncidentRoutes::WriteIncident(JsonWriter& w, const incidents::Incident& incident,
                                   size_t max_cities) {
  int64_t now_minute = MinuteOf(clock_.Now());
  std::optional<incidents::IncidentRecord> record = records_.Find(incident.id);
  counts_.Read([&](const store::Aggregates& a) {
    WriteIncidentJson(w, incident, a, gazetteer_, detector_, now_minute, max_cities, true,
                      [&](JsonWriter& out) {
                        WriteRecordFields(out, record ? &*record : nullptr, incident.open());
                      });
    return 0;
  });
}

void IncidentRoutes::WriteArchivedIncident(JsonWriter& w, const incidents::IncidentRecord& r) {
  auto time = [](int64_t minute) { return FormatRfc3339(FromUnixMillis(minute * 60000)); };
  bool open = r.crowd_resolved_minute == 0;
  w.BeginObject().Key("id").String(r.id).Key("service").String(r.service);
  w.Key("state").String(open ? "open" : "resolved");
  w.Key("started_at").String(time(r.started_minute));
  w.Key("detected_at").String(time(r.detected_minute));
  if (open) {
    w.Key("resolved_at").Null();
  } else {
    w.Key("resolved_at").String(time(r.crowd_resolved_minute));
  }
  // The tracker's measurements (peak, cities, problems) were not kept across the restart.
  w.Key("archived").Bool(true);
  WriteRecordFields(w, &r, open);
  w.EndObject();
}

Result<HttpResponse> IncidentRoutes::IncidentFeed(const HttpRequest& request) {
  std::string service;
  AtomFeedInput feed;
  feed.title = "outagemap incidents";
  feed.self_path = "/api/v1/incidents.atom";
  if (QueryParam(request.query, "service", service)) {
    auto found = registry_.Find(service);
    if (!found) {
      return Status::NotFound(UnknownService(service));
    }
    service = found->id;
    feed.title = found->name + " incidents";
    feed.self_path += "?service=" + service;
  }
  Result<size_t> limit = ParseLimit(request.query, 50, 1000);
  if (!limit.ok()) return limit.status();
  // A member's updates continue in its group's incident, which covers its service.
  auto of_service = [&](const auto& r) {
    return r.merged_into.empty() && (service.empty() || r.Covers(service));
  };
  for (auto& record : records_.List(*limit, of_service)) {
    if (auto s = registry_.Find(record.service)) {
      feed.service_names.emplace_back(s->id, s->name);
    }
    feed.incidents.push_back(std::move(record));
  }
  feed.base_url = BaseUrl(request);
  feed.now_ms = ToUnixMillis(clock_.Now());
  HttpResponse r;
  r.content_type = "application/atom+xml; charset=utf-8";
  r.body = RenderAtomFeed(feed);
  return r;
}

Result<HttpResponse> IncidentRoutes::PostIncidentAction(std::string_view id,
                                                        std::string_view action,
                                                        const RouteCall& call) {
  const HttpRequest& request = call.request;
  const auth::ApiKey* key = &*call.key;
  Result<incidents::IncidentRecord> done = Status::Internal("no action");
  if (action == "merge") {
    Result<json::Fields> fields = json::ParseFields(request.body, {}, {"from"});
    if (!fields.ok()) return fields.status();
    done = records_.Merge(id, fields->lists["from"], key->name, clock_.Now());
  } else if (action == "split") {
    Result<json::Fields> fields = json::ParseFields(request.body, {}, {"services"});
    if (!fields.ok()) return fields.status();
    done = records_.Split(id, fields->lists["services"], key->name, clock_.Now());
  } else {
    Result<json::Fields> fields =
        json::ParseFields(request.body, {"body", "status", "impact"}, {"components"});
    if (!fields.ok()) return fields.status();
    std::optional<incidents::IncidentStatus> status;
    std::optional<incidents::Impact> impact;
    std::optional<std::vector<std::string>> components;
    if (auto it = fields->strings.find("status"); it != fields->strings.end()) {
      Result<incidents::IncidentStatus> parsed =
          incidents::ParseIncidentStatus(it->second, "status");
      if (!parsed.ok()) return parsed.status();
      status = *parsed;
    }
    if (auto it = fields->strings.find("impact"); it != fields->strings.end()) {
      Result<incidents::Impact> parsed = incidents::ParseImpact(it->second, "impact");
      if (!parsed.ok()) return parsed.status();
      impact = *parsed;
    }
    if (auto it = fields->lists.find("components"); it != fields->lists.end()) {
      std::optional<incidents::IncidentRecord> record = records_.Find(id);
      if (!record) {
        return Status::NotFound("unknown incident \"" + std::string(id.substr(0, 64)) + "\"");
      }
      Status known = CheckComponents(*record, it->second);
      if (!known.ok()) return known;
      components = it->second;
    }
    auto body = fields->strings.find("body");
    done = records_.PostUpdate(id, status, impact, std::move(components),
                               body == fields->strings.end() ? "" : body->second, key->name,
                               clock_.Now());
  }
  if (!done.ok()) return done.status();
  OM_ASSIGN_OR_RETURN(HttpResponse r, GetIncident(done->id));
  r.status = action == "updates" ? 201 : 200;
  return r;
}

Status IncidentRoutes::CheckComponents(const incidents::IncidentRecord& record,
                                       const std::vector<std::string>& components) const {
  // The Statuspage component ids of its services' pages: "{service}-{n}", n from 1.
  std::vector<std::string> known;
  for (const auto& service : record.services) {
    auto found = registry_.Find(service);
    size_t n = found ? std::max<size_t>(1, found->components.size()) : 1;
    for (size_t k = 1; k <= n; ++k) known.push_back(service + "-" + std::to_string(k));
  }
  for (const auto& c : components) {
    if (std::find(known.begin(), known.end(), c) == known.end()) {
      std::string list;
      for (const auto& k : known) list.append(list.empty() ? "" : ", ").append(k);
      return Status::InvalidArgument("components: \"" + c.substr(0, 64) +
                                     "\" is not a component of " + record.id + " (" + list + ")");
    }
  }
  return Status::Ok();
}

}  // namespace om::api
