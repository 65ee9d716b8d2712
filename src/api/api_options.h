#pragma once
// The limits of the public API: the `[api]` table of the configuration (docs/configuration.md).
// Each resource (report_routes.h, service_routes.h, ...) takes the part it needs.

#include <cstddef>
#include <string>

#include "api/rate_limiter.h"

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

}  // namespace om::api
