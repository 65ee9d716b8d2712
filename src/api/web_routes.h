#pragma once
// What the web UI needs beyond the JSON API:
//   GET /, /map, /index.html, /services/{id}, /incidents/{id}   the one page its script renders
//                                   (404 for an unknown id, still with the page); every load
//                                   gets the report form's CSRF cookie (csrf.h)
//   GET /assets/{file}              its files (ETag, 304, gzip when accepted)
//   GET /badge/{id}.svg             an embeddable status badge, cacheable for a minute
//   GET /api/v1/geo/cities?q=       city name autocomplete for the report form
//   GET /api/v1/events              Server-Sent Events, per view (live_events.h)
// The report form's POST is in report_routes.h.
//
// Thread-safety: the handlers run on any HTTP worker; every dependency is thread-safe.

#include <functional>

#include "api/api_options.h"
#include "api/live_events.h"
#include "api/router.h"
#include "detect/detector.h"
#include "geo/gazetteer.h"
#include "incidents/incident_tracker.h"
#include "ingest/service_registry.h"
#include "web/assets.h"

namespace om::api {

class WebRoutes {
 public:
  // Everything is borrowed and must outlive this object. Uses options.max_city_suggestions.
  WebRoutes(const ApiOptions& options, const web::Assets& assets, ingest::ServiceRegistry& registry,
            const geo::Gazetteer& gazetteer, const detect::Detector& detector,
            const incidents::IncidentTracker& incidents, LiveEvents& live);
  WebRoutes(const WebRoutes&) = delete;
  WebRoutes& operator=(const WebRoutes&) = delete;
  ~WebRoutes() = default;

  void Register(Router& router);

 private:
  HttpResponse ServePage(const HttpRequest& request, int status);
  HttpResponse ServeAsset(const web::Asset& asset, const HttpRequest& request);
  Result<HttpResponse> GetBadge(std::string_view id);
  Result<HttpResponse> SuggestCities(const HttpRequest& request);
  Result<HttpResponse> StreamEvents(const HttpRequest& request);

  const size_t max_city_suggestions_;
  const web::Assets& assets_;
  ingest::ServiceRegistry& registry_;
  const geo::Gazetteer& gazetteer_;
  const detect::Detector& detector_;
  const incidents::IncidentTracker& incidents_;
  LiveEvents& live_;
};

// /healthz (always 200 while the process answers), /readyz (200 only after SetReady(true):
// recovery done and serving; 503 while starting or stopping, and while `writable` answers an
// error, such as a store that refuses writes after a disk failure) and /metrics (Prometheus
// text).
class OpsRoutes {
 public:
  // `writable` may be null; it must be thread-safe and fast (it runs on every /readyz).
  explicit OpsRoutes(MetricsRegistry& metrics, std::function<Status()> writable = nullptr)
      : metrics_(metrics), writable_(std::move(writable)) {}
  OpsRoutes(const OpsRoutes&) = delete;
  OpsRoutes& operator=(const OpsRoutes&) = delete;
  ~OpsRoutes() = default;

  void Register(Router& router);
  void SetReady(bool ready) { ready_.store(ready); }

 private:
  MetricsRegistry& metrics_;
  const std::function<Status()> writable_;
  std::atomic<bool> ready_{false};
};

}  // namespace om::api
