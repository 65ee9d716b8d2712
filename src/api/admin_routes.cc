#include "api/admin_routes.h"

#include "api/params.h"
#include "api/response.h"
#include "base/json_writer.h"
#include "json/json_fields.h"

namespace om::api {
namespace {

void WriteSubscription(JsonWriter& w, const alerts::Subscription& s, bool with_secret) {
  w.BeginObject().Key("id").String(s.id).Key("channel").String(alerts::ChannelName(s.channel));
  w.Key("url").String(s.url);
  if (with_secret && !s.secret.empty()) w.Key("secret").String(s.secret);
  if (s.service.empty()) {
    w.Key("service").Null();
  } else {
    w.Key("service").String(s.service);
  }
  if (s.region.empty()) {
    w.Key("region").Null();
  } else {
    w.Key("region").String(s.region);
  }
  w.Key("min_impact").String(incidents::ImpactName(s.min_impact));
  w.Key("created_at").String(FormatRfc3339(FromUnixMillis(s.created_ms)));
  w.Key("delivered").Int(s.delivered).Key("failed_attempts").Int(s.attempts);
  if (s.last_error.empty()) {
    w.Key("last_error").Null();
  } else {
    w.Key("last_error").String(s.last_error);
  }
  w.EndObject();
}

void WriteMaintenance(JsonWriter& w, const incidents::Maintenance& m, int64_t now_ms) {
  w.BeginObject().Key("id").String(m.id).Key("service").String(m.service);
  w.Key("title").String(m.title).Key("body").String(m.body);
  w.Key("starts_at").String(FormatRfc3339(FromUnixMillis(m.starts_ms)));
  w.Key("ends_at").String(FormatRfc3339(FromUnixMillis(m.ends_ms)));
  w.Key("status").String(incidents::MaintenanceStatusAt(m, now_ms)).EndObject();
}

void WritePage(JsonWriter& w, const incidents::StatusPage& p) {
  w.BeginObject().Key("id").String(p.id).Key("name").String(p.name);
  w.Key("services").BeginArray();
  for (const auto& s : p.services) w.String(s);
  w.EndArray().Key("url").String("/pages/" + p.id + "/api/v2/summary.json");
  w.Key("created_at").String(FormatRfc3339(FromUnixMillis(p.created_ms))).EndObject();
}

HttpResponse Created(std::string_view data_json) {
  HttpResponse r = DataResponse(data_json);
  r.status = 201;
  return r;
}

}  // namespace

AdminRoutes::AdminRoutes(ingest::ServiceRegistry& registry, alerts::Subscriptions& subscriptions,
                         const incidents::IncidentRecords& records,
                         incidents::Maintenances& maintenances, incidents::StatusPages& pages,
                         const Clock& clock)
    : registry_(registry),
      subscriptions_(subscriptions),
      records_(records),
      maintenances_(maintenances),
      pages_(pages),
      clock_(clock) {}

void AdminRoutes::Register(Router& router) {
  router.Register({.method = "GET", .pattern = "/api/v1/subscriptions", .scope = auth::kAdmin},
                  [this](const RouteCall&) { return ListSubscriptions(); });
  router.Register({.method = "POST",
                   .pattern = "/api/v1/subscriptions",
                   .scope = auth::kAdmin,
                   .leader_write = true},
                  [this](const RouteCall& call) { return CreateSubscription(call.request); });
  router.Register({.method = "DELETE",
                   .pattern = "/api/v1/subscriptions/{id}",
                   .scope = auth::kAdmin,
                   .leader_write = true},
                  [this](const RouteCall& call) -> Result<HttpResponse> {
                    OM_RETURN_IF_ERROR(subscriptions_.Delete(call.Param("id")));
                    return DataResponse("{\"deleted\":true}");
                  });
  router.Register({.method = "GET", .pattern = "/api/v1/maintenances"},
                  [this](const RouteCall& call) { return ListMaintenances(call.request); });
  router.Register({.method = "POST",
                   .pattern = "/api/v1/maintenances",
                   .scope = auth::kIncidentWrite,
                   .leader_write = true},
                  [this](const RouteCall& call) { return ScheduleMaintenance(call.request); });
  router.Register({.method = "DELETE",
                   .pattern = "/api/v1/maintenances/{id}",
                   .scope = auth::kIncidentWrite,
                   .leader_write = true},
                  [this](const RouteCall& call) -> Result<HttpResponse> {
                    OM_RETURN_IF_ERROR(maintenances_.Cancel(call.Param("id")));
                    return DataResponse("{\"cancelled\":true}");
                  });
  router.Register({.method = "GET", .pattern = "/api/v1/pages"},
                  [this](const RouteCall&) { return ListPages(); });
  router.Register(
      {.method = "PUT",
       .pattern = "/api/v1/pages/{id}",
       .scope = auth::kAdmin,
       .leader_write = true},
      [this](const RouteCall& call) { return PutPage(call.Param("id"), call.request); });
  router.Register({.method = "DELETE",
                   .pattern = "/api/v1/pages/{id}",
                   .scope = auth::kAdmin,
                   .leader_write = true},
                  [this](const RouteCall& call) -> Result<HttpResponse> {
                    OM_RETURN_IF_ERROR(pages_.Delete(call.Param("id")));
                    return DataResponse("{\"deleted\":true}");
                  });
}

Result<HttpResponse> AdminRoutes::ListSubscriptions() {
  JsonWriter w;
  w.BeginObject().Key("subscriptions").BeginArray();
  for (const auto& s : subscriptions_.List()) WriteSubscription(w, s, false);
  w.EndArray().EndObject();
  return DataResponse(w.str());
}

Result<HttpResponse> AdminRoutes::CreateSubscription(const HttpRequest& request) {
  OM_ASSIGN_OR_RETURN(
      auto fields,
      json::ParseStringFields(request.body, {"channel", "url", "service", "region", "min_impact"}));
  auto field = [&](const std::string& name) { return FieldOr(fields, name); };
  OM_ASSIGN_OR_RETURN(alerts::Channel channel, alerts::ParseChannel(field("channel")));
  std::string service = field("service");
  if (!service.empty()) {
    auto found = registry_.Find(service);
    if (!found) return Status::InvalidArgument("service: " + UnknownService(service));
    service = found->id;
  }
  incidents::Impact min_impact = incidents::Impact::kNone;
  if (std::string impact = field("min_impact"); !impact.empty()) {
    OM_ASSIGN_OR_RETURN(min_impact, incidents::ParseImpact(impact, "min_impact"));
  }
  // A new subscription hears about what happens from now on, not the whole history.
  int64_t first_seq = records_.LastSeq();
  OM_ASSIGN_OR_RETURN(alerts::Subscription created,
                      subscriptions_.Create(channel, field("url"), service, field("region"),
                                            min_impact, first_seq, clock_.Now()));
  JsonWriter w;
  WriteSubscription(w, created, true);
  return Created(w.str());
}

Result<HttpResponse> AdminRoutes::ListMaintenances(const HttpRequest& request) {
  std::string service;
  if (QueryParam(request.query, "service", service)) {
    auto found = registry_.Find(service);
    if (!found) return Status::NotFound(UnknownService(service));
    service = found->id;
  }
  int64_t now_ms = ToUnixMillis(clock_.Now());
  JsonWriter w;
  w.BeginObject().Key("maintenances").BeginArray();
  for (const auto& m : maintenances_.List(service)) WriteMaintenance(w, m, now_ms);
  w.EndArray().EndObject();
  return DataResponse(w.str());
}

Result<HttpResponse> AdminRoutes::ScheduleMaintenance(const HttpRequest& request) {
  OM_ASSIGN_OR_RETURN(
      auto fields,
      json::ParseStringFields(request.body, {"service", "title", "body", "starts_at", "ends_at"}));
  auto field = [&](const std::string& name) { return FieldOr(fields, name); };
  auto service = registry_.Find(field("service"));
  if (!service) return Status::InvalidArgument("service: " + UnknownService(field("service")));
  OM_ASSIGN_OR_RETURN(int64_t starts, ParseTimeParam("starts_at", field("starts_at")));
  OM_ASSIGN_OR_RETURN(int64_t ends, ParseTimeParam("ends_at", field("ends_at")));
  Timestamp now = clock_.Now();
  OM_ASSIGN_OR_RETURN(
      incidents::Maintenance scheduled,
      maintenances_.Schedule(service->id, field("title"), field("body"), starts, ends, now));
  JsonWriter w;
  WriteMaintenance(w, scheduled, ToUnixMillis(now));
  return Created(w.str());
}

Result<HttpResponse> AdminRoutes::ListPages() {
  JsonWriter w;
  w.BeginObject().Key("pages").BeginArray();
  for (const auto& p : pages_.List()) WritePage(w, p);
  w.EndArray().EndObject();
  return DataResponse(w.str());
}

Result<HttpResponse> AdminRoutes::PutPage(std::string_view id, const HttpRequest& request) {
  OM_ASSIGN_OR_RETURN(json::Fields fields,
                      json::ParseFields(request.body, {"name"}, {"services"}, 1000));
  incidents::StatusPage page;
  page.id = std::string(id);
  if (registry_.Find(page.id) || page.id.starts_with("category")) {
    return Status::InvalidArgument("id: \"" + page.id.substr(0, 64) +
                                   "\" is taken by a built-in page; choose another");
  }
  page.name = FieldOr(fields.strings, "name");
  for (const auto& service : fields.lists["services"]) {
    auto found = registry_.Find(service);
    if (!found) return Status::InvalidArgument("services: " + UnknownService(service));
    page.services.push_back(found->id);
  }
  OM_ASSIGN_OR_RETURN(incidents::StatusPage put, pages_.Put(std::move(page), clock_.Now()));
  JsonWriter w;
  WritePage(w, put);
  return DataResponse(w.str());
}

}  // namespace om::api
