#include "api/statuspage_routes.h"

#include <algorithm>

#include "api/params.h"
#include "api/response.h"
#include "api/statuspage.h"

namespace om::api {

StatuspageRoutes::StatuspageRoutes(const ApiOptions& options, ingest::ServiceRegistry& registry,
                                   const detect::Detector& detector,
                                   const incidents::IncidentRecords& records,
                                   const incidents::Maintenances& maintenances,
                                   const incidents::StatusPages& pages, const Clock& clock)
    : root_page_(options.statuspage_root),
      max_archived_incidents_(options.max_archived_incidents),
      registry_(registry),
      detector_(detector),
      records_(records),
      maintenances_(maintenances),
      pages_(pages),
      clock_(clock) {}

void StatuspageRoutes::Register(Router& router) {
  router.Register(
      {.method = "GET", .pattern = "/pages/{page}/api/v2/{document...}", .cacheable = true},
      [this](const RouteCall& call) {
        return GetStatuspage(call.request, std::string(call.Param("page")), call.Param("document"));
      });
  // A status site's own host: what Statuspage widgets ask for.
  router.Register(
      {.method = "GET", .pattern = "/api/v2/{document...}", .cacheable = true},
      [this](const RouteCall& call) -> Result<HttpResponse> {
        if (root_page_.empty()) {
          return Status::NotFound(
              "no Statuspage page at the root: set api.statuspage_root to a page id, or use "
              "/pages/{id}/api/v2/…");
        }
        return GetStatuspage(call.request, root_page_, call.Param("document"));
      });
}

Result<HttpResponse> StatuspageRoutes::GetStatuspage(const HttpRequest& request, std::string id,
                                                     std::string_view document) {
  StatuspageView view;
  std::vector<catalog::Service> services;
  if (id.starts_with("category:")) {
    // A page of every service of one catalog category, one component each.
    std::string category = id.substr(9);
    for (auto& s : registry_.Services()) {
      if (s.category == category) services.push_back(std::move(s));
    }
    view.group = true;
    view.page_name = category + " services";
    view.page_path = "/";
  } else if (auto service = registry_.Find(id)) {
    services.push_back(std::move(*service));
    view.page_name = services[0].name;
    view.page_path = "/services/" + services[0].id;
    id = services[0].id;
  } else if (auto page = pages_.Find(id)) {
    // An operator's page of chosen services, one component each.
    for (const auto& member : page->services) {
      if (auto s = registry_.Find(member)) services.push_back(std::move(*s));
    }
    view.group = true;
    view.page_name = page->name;
    view.page_path = "/";
  }
  if (services.empty()) {
    return Status::NotFound("unknown page \"" + id.substr(0, 64) + "\"");
  }
  view.page_id = id;
  auto detection = detector_.Snapshot();
  for (const auto& s : services) view.members.push_back({&s, detection->Find(s.id)});
  auto member = [&](const std::string& service) {
    return std::any_of(services.begin(), services.end(),
                       [&](const auto& s) { return s.id == service; });
  };
  // A member's updates continue in its group's incident, which lists the member's service.
  auto of_member = [&](const incidents::IncidentRecord& r) {
    return r.merged_into.empty() && std::any_of(r.services.begin(), r.services.end(), member);
  };
  view.incidents = records_.List(max_archived_incidents_, of_member);
  for (auto& m : maintenances_.List("")) {
    if (member(m.service)) view.maintenances.push_back(std::move(m));
  }
  view.base_url = BaseUrl(request);
  view.now_ms = ToUnixMillis(clock_.Now());
  view.service_name = [this](const std::string& service) {
    auto found = registry_.Find(service);
    return found ? found->name : service;
  };
  HttpResponse r;
  r.body = StatuspageDocument(document, view);
  if (r.body.empty()) return Status::NotFound("no such endpoint: " + request.path);
  // Status widgets read these from other sites' pages.
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  r.headers.emplace_back("Cache-Control", "max-age=10");
  return r;
}

}  // namespace om::api
