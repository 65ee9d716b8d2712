#pragma once
// The incidents resource (docs/api/README.md, "Incidents"):
//   GET  /api/v1/incidents                  the tracker's incidents, then those only the records
//                                           remember (?service=, ?state=, ?limit=)
//   GET  /api/v1/incidents.atom             the same as an Atom feed (atom_feed.h)
//   GET  /api/v1/incidents/{id}             one incident, with its places, problems and updates
//   POST /api/v1/incidents/{id}/updates     an operator's update (incident:write key)
//   POST /api/v1/incidents/{id}/merge       folds other incidents into this one (incident:write)
//   POST /api/v1/incidents/{id}/split       takes services out into incidents of their own
//
// Thread-safety: the handlers run on any HTTP worker; every dependency is thread-safe.

#include "api/api_options.h"
#include "api/router.h"
#include "base/json_writer.h"
#include "base/time.h"
#include "detect/detector.h"
#include "geo/gazetteer.h"
#include "incidents/incident_records.h"
#include "incidents/incident_tracker.h"
#include "ingest/service_registry.h"
#include "store/count_store.h"

namespace om::api {

class IncidentRoutes {
 public:
  // Everything is borrowed and must outlive this object. Uses options.max_archived_incidents.
  IncidentRoutes(const ApiOptions& options, ingest::ServiceRegistry& registry,
                 const store::CountStore& counts, const geo::Gazetteer& gazetteer,
                 const detect::Detector& detector, const incidents::IncidentTracker& incidents,
                 incidents::IncidentRecords& records, const Clock& clock);
  IncidentRoutes(const IncidentRoutes&) = delete;
  IncidentRoutes& operator=(const IncidentRoutes&) = delete;
  ~IncidentRoutes() = default;

  void Register(Router& router);

 private:
  Result<HttpResponse> ListIncidents(const HttpRequest& request);
  Result<HttpResponse> GetIncident(std::string_view id);
  Result<HttpResponse> IncidentFeed(const HttpRequest& request);
  // `updates` posts an update (text, status, impact, components), `merge` folds other incidents
  // in, `split` takes services out. REQUIRES: call.key (the route asks for incident:write).
  Result<HttpResponse> PostIncidentAction(std::string_view id, std::string_view action,
                                          const RouteCall& call);
  // kInvalidArgument naming "components" unless every one is a Statuspage component id of one
  // of the record's services.
  Status CheckComponents(const incidents::IncidentRecord& record,
                         const std::vector<std::string>& components) const;
  // An incident known only from its record (the tracker forgot it, e.g. after a restart).
  void WriteArchivedIncident(JsonWriter& w, const incidents::IncidentRecord& record);
  // Writes one incident, with its most impacted cities and scope from the aggregates.
  void WriteIncident(JsonWriter& w, const incidents::Incident& incident, size_t max_cities);

  const size_t max_archived_incidents_;
  ingest::ServiceRegistry& registry_;
  const store::CountStore& counts_;
  const geo::Gazetteer& gazetteer_;
  const detect::Detector& detector_;
  const incidents::IncidentTracker& incidents_;
  incidents::IncidentRecords& records_;
  const Clock& clock_;
};

}  // namespace om::api
