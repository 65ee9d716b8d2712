#pragma once
// The Statuspage v2-compatible read API (statuspage.h renders its documents):
//   GET /pages/{page}/api/v2/{document}   a service's page, `category:{name}` (every service of
//                                         a catalog category) or an operator's page
//   GET /api/v2/{document}                the page of ApiOptions::statuspage_root, for widgets
//                                         that expect a status site's own host (404 naming the
//                                         setting when it is empty)
// Its answers may be read by other sites (Access-Control-Allow-Origin: *) and cached 10 s.
//
// Thread-safety: the handlers run on any HTTP worker; every dependency is thread-safe.

#include <string>

#include "api/api_options.h"
#include "api/router.h"
#include "base/time.h"
#include "detect/detector.h"
#include "incidents/incident_records.h"
#include "incidents/maintenances.h"
#include "incidents/status_pages.h"
#include "ingest/service_registry.h"

namespace om::api {

class StatuspageRoutes {
 public:
  // Everything is borrowed and must outlive this object. Uses options.statuspage_root and
  // options.max_archived_incidents.
  StatuspageRoutes(const ApiOptions& options, ingest::ServiceRegistry& registry,
                   const detect::Detector& detector, const incidents::IncidentRecords& records,
                   const incidents::Maintenances& maintenances, const incidents::StatusPages& pages,
                   const Clock& clock);
  StatuspageRoutes(const StatuspageRoutes&) = delete;
  StatuspageRoutes& operator=(const StatuspageRoutes&) = delete;
  ~StatuspageRoutes() = default;

  void Register(Router& router);

 private:
  // `page` is decoded; `document` is what follows /api/v2/.
  Result<HttpResponse> GetStatuspage(const HttpRequest& request, std::string page,
                                     std::string_view document);

  const std::string root_page_;
  const size_t max_archived_incidents_;
  ingest::ServiceRegistry& registry_;
  const detect::Detector& detector_;
  const incidents::IncidentRecords& records_;
  const incidents::Maintenances& maintenances_;
  const incidents::StatusPages& pages_;
  const Clock& clock_;
};

}  // namespace om::api
