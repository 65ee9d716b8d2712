#pragma once
// Api routes HTTP requests to the public JSON API (docs/api/README.md):
//   POST /api/v1/reports                       report intake (JSON or NDJSON); limited per client
//                                              unless sent with a report:write API key
//   GET  /api/v1/services                      every service with current counts
//   GET  /api/v1/services/{id}                 one service
//   GET  /api/v1/services/{id}/series          counts over time
//   GET  /api/v1/services/{id}/places          places ranked by excess (or raw reports)
//   GET  /api/v1/incidents, /api/v1/incidents/{id}   outages followed as incidents
//   POST /api/v1/incidents/{id}/updates        an operator's update (incident:write key)
//   GET  /api/v1/incidents.atom                the incidents as an Atom feed
//   POST/GET/DELETE /api/v1/subscriptions      notification subscriptions (admin key)
//   POST/GET/DELETE /api/v1/maintenances       scheduled maintenance windows
//   GET  /api/v1/geo/cities?q=                 city name autocomplete (the report form)
//   GET  /api/v1/events                        Server-Sent Events (live_events.h)
//   POST /api/v1/web/reports                   the report form: CSRF token, rate limit per client
//   GET  /, /map, /services/{id}, /incidents/{id}   the web UI page; /assets/... its files
//   GET  /badge/{id}.svg                       embeddable status badge
//   GET  /pages/{id}/api/v2/...                Statuspage v2-compatible read API (statuspage.h)
//   GET  /healthz, /readyz, /metrics
// Every error uses the envelope of response.h.
//
// Thread-safety: Handle() is called concurrently by HTTP workers; Api holds no mutable state of
// its own beyond atomics and the form's rate limiter (which has its own lock).

#include <atomic>

#include "alerts/subscriptions.h"
#include "api/http.h"
#include "api/live_events.h"
#include "api/rate_limiter.h"
#include "auth/api_keys.h"
#include "base/json_writer.h"
#include "base/metrics.h"
#include "base/time.h"
#include "detect/detector.h"
#include "geo/gazetteer.h"
#include "incidents/incident_records.h"
#include "incidents/incident_tracker.h"
#include "incidents/maintenances.h"
#include "incidents/status_pages.h"
#include "ingest/ingestor.h"
#include "ingest/service_registry.h"
#include "official/official_status.h"
#include "store/store.h"
#include "web/assets.h"

namespace om::api {

struct ApiOptions {
  // Most rows a /places answer may ask for.
  size_t max_places = 1000;
  // Most points a /series answer may hold.
  size_t max_series_points = 20000;
  // The report form's limit per client address.
  RateLimitOptions form_rate;
  // The public intake's limit per client address, in reports (a batch costs its lines). Requests
  // with a report:write API key are exempt. per_minute 0 turns it off.
  RateLimitOptions public_rate{.per_minute = 60000, .burst = 10000, .max_clients = 100000};
  // Most cities a /geo/cities answer may hold.
  size_t max_city_suggestions = 50;
  // Most incident records /api/v1/incidents looks through beyond the tracker's own.
  size_t max_archived_incidents = 10000;
  // The Statuspage page also served at the root, /api/v2/... (a service id, `category:{name}` or
  // an operator's page id), for clients and widgets that expect a status site's own host; empty:
  // none (404 naming this setting).
  std::string statuspage_root;
};

class Api {
 public:
  // Everything is borrowed and must outlive the Api. `live` may be null: /api/v1/events then
  // answers 503. `keys` may be null: requests with an Authorization header then get 401.
  // `records` may be null: incidents then have no status, impact or updates of their own, and
  // the operator API answers 503. `subscriptions` may be null: /api/v1/subscriptions answers 503.
  // `maintenances` may be null: /api/v1/maintenances answers 503. `pages` may be null:
  // /api/v1/pages answers 503 and only the built-in pages exist. `official` may be null: services
  // then have "official": null.
  Api(ApiOptions options, ingest::ServiceRegistry& registry, ingest::Ingestor& ingestor,
      store::Store& store, const geo::Gazetteer& gazetteer, const detect::Detector& detector,
      const incidents::IncidentTracker& incidents, const web::Assets& assets, LiveEvents* live,
      auth::ApiKeys* keys, incidents::IncidentRecords* records,
      alerts::Subscriptions* subscriptions, incidents::Maintenances* maintenances,
      incidents::StatusPages* pages, const official::OfficialStatus* official,
      MetricsRegistry& metrics, const Clock& clock);
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  void Handle(HttpRequest&& request, Responder respond);
  // /readyz answers 200 only after SetReady(true) (recovery done, serving).
  void SetReady(bool ready) { ready_.store(ready); }

 private:
  void PostReports(HttpRequest&& request, Responder respond);
  // Writes parsed reports and answers with the intake's {accepted, duplicates, rejected}.
  void SubmitReports(ingest::ParsedBatch&& parsed, Responder respond);
  // web_routes.cc: the UI and what only the UI needs.
  HttpResponse ServePage(const HttpRequest& request, int status);
  HttpResponse ServeAsset(const web::Asset& asset, const HttpRequest& request);
  HttpResponse GetBadge(std::string_view id);
  HttpResponse SuggestCities(const HttpRequest& request);
  void StreamEvents(Responder respond);
  void PostFormReport(HttpRequest&& request, Responder respond);
  HttpResponse ListServices(const HttpRequest& request);
  HttpResponse GetService(std::string_view id);
  HttpResponse GetSeries(std::string_view id, const HttpRequest& request);
  HttpResponse GetPlaces(std::string_view id, const HttpRequest& request);
  HttpResponse ListIncidents(const HttpRequest& request);
  HttpResponse GetIncident(std::string_view id);
  // /api/v1/maintenances[/{id}]: POST schedules, DELETE cancels (incident:write), GET lists.
  HttpResponse HandleMaintenances(const HttpRequest& request);
  // /api/v1/pages[/{id}]: GET lists; PUT /api/v1/pages/{id} creates or replaces, DELETE removes
  // (admin key).
  HttpResponse HandlePages(const HttpRequest& request);
  // /api/v1/subscriptions[/{id}]: POST creates, GET lists, DELETE removes (admin key).
  HttpResponse HandleSubscriptions(const HttpRequest& request);
  // GET /api/v1/incidents.atom (atom_feed.h).
  HttpResponse IncidentFeed(const HttpRequest& request);
  // GET /pages/{page}/api/v2/... and, for ApiOptions::statuspage_root, /api/v2/...
  // (statuspage.h). `page` is decoded; `document` is what follows /api/v2/.
  HttpResponse GetStatuspage(const HttpRequest& request, std::string page,
                             std::string_view document);
  // POST /api/v1/incidents/{id}/{action} (incident:write): `updates` posts an update (text,
  // status, impact, components), `merge` folds other incidents in, `split` takes services out.
  HttpResponse PostIncidentAction(std::string_view id, std::string_view action,
                                  const HttpRequest& request);
  // kInvalidArgument naming "components" unless every one is a Statuspage component id of one
  // of the record's services.
  Status CheckComponents(const incidents::IncidentRecord& record,
                         const std::vector<std::string>& components) const;
  // An incident known only from its record (the tracker forgot it, e.g. after a restart).
  void WriteArchivedIncident(JsonWriter& w, const incidents::IncidentRecord& record);
  // Writes one incident, with its most impacted cities and scope from the aggregates.
  void WriteIncident(JsonWriter& w, const incidents::Incident& incident, size_t max_cities);

  const ApiOptions options_;
  ingest::ServiceRegistry& registry_;
  ingest::Ingestor& ingestor_;
  store::Store& store_;
  const geo::Gazetteer& gazetteer_;
  const detect::Detector& detector_;
  const incidents::IncidentTracker& incidents_;
  const web::Assets& assets_;
  LiveEvents* const live_;
  auth::ApiKeys* const keys_;
  incidents::IncidentRecords* const records_;
  alerts::Subscriptions* const subscriptions_;
  incidents::Maintenances* const maintenances_;
  incidents::StatusPages* const pages_;
  const official::OfficialStatus* const official_;
  ClientRateLimiter form_limiter_;
  ClientRateLimiter public_limiter_;
  MetricsRegistry& metrics_;
  const Clock& clock_;
  std::atomic<bool> ready_{false};
  Counter& overload_total_;
};

}  // namespace om::api
