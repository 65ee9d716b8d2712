#pragma once
// The limits of the public API: the `[api]` table of the configuration (docs/configuration.md).
// Each resource (report_routes.h, service_routes.h, ...) takes the part it needs.

#include <chrono>
#include <cstddef>
#include <string>

#include "api/rate_limiter.h"
#include "base/option_key.h"

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
  // How long a cache in front of the server (a CDN, a reverse proxy, the browser) may serve the
  // public JSON reads without asking again (Cache-Control max-age); 0: it must revalidate each
  // time, which an ETag answered with 304 keeps cheap. An outage day's traffic is page views.
  std::chrono::seconds read_max_age{5};
};

// The keys of the configuration file that set these options (README.md's table lists them;
// server_config_test.cc holds the two to each other). Ranges are inclusive.
inline constexpr OptionKey kApiOptionKeys[] = {
    {"api.max_places", OptionType::kInt, "", 1, 100000, "largest `limit` of `/places`"},
    {"api.cache_seconds", OptionType::kInt, "s", 0, 3600,
     "public JSON reads carry `Cache-Control: public, max-age=` this and an `ETag` (304 when "
     "`If-None-Match` holds it); 0: `no-cache`, revalidated every time"},
    {"api.statuspage_root", OptionType::kString, "", 0, 0,
     "a Statuspage page (service id, `category:{name}` or an operator's page id) also served at "
     "the root, `/api/v2/…`, for widgets and clients that expect a status site's own host; "
     "`outagemap demo` sets `microsoft-365`"},
    {"api.max_series_points", OptionType::kInt, "", 1, 10000000,
     "most points in one `/series` answer"},
    {"api.form_reports_per_minute", OptionType::kDouble, "per min", 0.01, 1e6,
     "the report form's limit per client address: sustained rate and burst; past it 429"},
    {"api.form_burst", OptionType::kDouble, "", 1, 1e6,
     "the report form's limit per client address: sustained rate and burst; past it 429"},
    {"api.form_max_clients", OptionType::kInt, "", 1, 100000000,
     "most client addresses the form's limiter tracks; when full and none has refilled, the form "
     "answers 429"},
    {"api.public_reports_per_minute", OptionType::kDouble, "per min", 0, 1e9,
     "`POST /api/v1/reports` without an API key: reports per minute and burst per client address "
     "(a batch costs its lines); past it 429. 0 turns the limit off"},
    {"api.public_burst", OptionType::kDouble, "", 1, 1e9,
     "`POST /api/v1/reports` without an API key: reports per minute and burst per client address "
     "(a batch costs its lines); past it 429. 0 turns the limit off"},
    {"api.public_max_clients", OptionType::kInt, "", 1, 100000000,
     "most client addresses that limit tracks"},
};

}  // namespace om::api
