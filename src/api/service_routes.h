#pragma once
// The services resource (docs/api/README.md, "Services"):
//   GET /api/v1/services                 every service with its recent counts and status
//                                        (?category=, ?q=, ?status=, ?sparkline=24h)
//   GET /api/v1/services/{id}            one service: catalog entry, status, open incident, the
//                                        official page beside the crowd, top problems
//   GET /api/v1/services/{id}/series     counts over time, with the detector's band (?expected=1)
//   GET /api/v1/services/{id}/places     places ranked by excess or by raw reports
// It reads; it computes no figure of its own beyond sums over the aggregates it shows.
//
// Thread-safety: the handlers run on any HTTP worker; every dependency is thread-safe.

#include "api/api_options.h"
#include "api/router.h"
#include "base/json_writer.h"
#include "base/time.h"
#include "detect/detector.h"
#include "geo/gazetteer.h"
#include "incidents/incident_tracker.h"
#include "ingest/service_registry.h"
#include "official/official_status.h"
#include "store/count_store.h"

namespace om::api {

class ServiceRoutes {
 public:
  // Everything is borrowed and must outlive this object. Uses options.max_places and
  // options.max_series_points.
  ServiceRoutes(const ApiOptions& options, ingest::ServiceRegistry& registry,
                const store::CountStore& counts, const geo::Gazetteer& gazetteer,
                const detect::Detector& detector, const incidents::IncidentTracker& incidents,
                const official::OfficialStatus& official, const Clock& clock);
  ServiceRoutes(const ServiceRoutes&) = delete;
  ServiceRoutes& operator=(const ServiceRoutes&) = delete;
  ~ServiceRoutes() = default;

  void Register(Router& router);

 private:
  Result<HttpResponse> ListServices(const HttpRequest& request);
  Result<HttpResponse> GetService(std::string_view id);
  Result<HttpResponse> GetSeries(std::string_view id, const HttpRequest& request);
  Result<HttpResponse> GetPlaces(std::string_view id, const HttpRequest& request);
  // The "official" object of a service: its polled page's level and how it followed the crowd.
  void WriteOfficial(JsonWriter& w, const official::OfficialState& said, std::string_view service);

  const size_t max_places_;
  const size_t max_series_points_;
  ingest::ServiceRegistry& registry_;
  const store::CountStore& counts_;
  const geo::Gazetteer& gazetteer_;
  const detect::Detector& detector_;
  const incidents::IncidentTracker& incidents_;
  const official::OfficialStatus& official_;
  const Clock& clock_;
};

}  // namespace om::api
