#pragma once
// What operators manage over the API (docs/api/README.md): notification subscriptions,
// maintenance windows and their own status pages.
//   GET    /api/v1/subscriptions           every subscription (admin key)
//   POST   /api/v1/subscriptions           a new webhook, Slack or e-mail subscription (admin)
//   DELETE /api/v1/subscriptions/{id}      (admin)
//   GET    /api/v1/maintenances            scheduled windows (?service=), public
//   POST   /api/v1/maintenances            schedules one (incident:write key)
//   DELETE /api/v1/maintenances/{id}       cancels one (incident:write)
//   GET    /api/v1/pages                   the operators' status pages, public
//   PUT    /api/v1/pages/{id}              creates or replaces a page of chosen services (admin)
//   DELETE /api/v1/pages/{id}              (admin)
//
// Thread-safety: the handlers run on any HTTP worker; every dependency is thread-safe.

#include "alerts/subscriptions.h"
#include "api/router.h"
#include "base/time.h"
#include "incidents/incident_records.h"
#include "incidents/maintenances.h"
#include "incidents/status_pages.h"
#include "ingest/service_registry.h"

namespace om::api {

class AdminRoutes {
 public:
  // Everything is borrowed and must outlive this object.
  AdminRoutes(ingest::ServiceRegistry& registry, alerts::Subscriptions& subscriptions,
              const incidents::IncidentRecords& records, incidents::Maintenances& maintenances,
              incidents::StatusPages& pages, const Clock& clock);
  AdminRoutes(const AdminRoutes&) = delete;
  AdminRoutes& operator=(const AdminRoutes&) = delete;
  ~AdminRoutes() = default;

  void Register(Router& router);

 private:
  Result<HttpResponse> ListSubscriptions();
  Result<HttpResponse> CreateSubscription(const HttpRequest& request);
  Result<HttpResponse> ListMaintenances(const HttpRequest& request);
  Result<HttpResponse> ScheduleMaintenance(const HttpRequest& request);
  Result<HttpResponse> ListPages();
  Result<HttpResponse> PutPage(std::string_view id, const HttpRequest& request);

  ingest::ServiceRegistry& registry_;
  alerts::Subscriptions& subscriptions_;
  const incidents::IncidentRecords& records_;
  incidents::Maintenances& maintenances_;
  incidents::StatusPages& pages_;
  const Clock& clock_;
};

}  // namespace om::api
