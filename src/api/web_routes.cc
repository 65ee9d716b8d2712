#include "api/web_routes.h"

#include "api/csrf.h"
#include "api/params.h"
#include "api/response.h"
#include "base/json_writer.h"
#include "web/badge.h"

namespace om::api {

WebRoutes::WebRoutes(const ApiOptions& options, const web::Assets& assets,
                     ingest::ServiceRegistry& registry, const geo::Gazetteer& gazetteer,
                     const detect::Detector& detector, const incidents::IncidentTracker& incidents,
                     LiveEvents& live)
    : max_city_suggestions_(options.max_city_suggestions),
      assets_(assets),
      registry_(registry),
      gazetteer_(gazetteer),
      detector_(detector),
      incidents_(incidents),
      live_(live) {}

void WebRoutes::Register(Router& router) {
  // The web UI: one page for every route, which its script renders.
  for (const char* path : {"/", "/map", "/index.html"}) {
    router.Register({.method = "GET", .pattern = path},
                    [this](const RouteCall& call) { return ServePage(call.request, 200); });
  }
  // An unknown id still gets the page (it says so), with a 404 for crawlers and scripts. The
  // page's own router takes a trailing slash, so a reload of such an address gets the page too.
  for (const char* pattern : {"/services/{id}", "/services/{id}/"}) {
    router.Register({.method = "GET", .pattern = pattern}, [this](const RouteCall& call) {
      return ServePage(call.request, registry_.Find(call.Param("id")) ? 200 : 404);
    });
  }
  for (const char* pattern : {"/incidents/{id}", "/incidents/{id}/"}) {
    router.Register({.method = "GET", .pattern = pattern}, [this](const RouteCall& call) {
      bool known = incidents_.Snapshot()->Find(std::string(call.Param("id"))) != nullptr;
      return ServePage(call.request, known ? 200 : 404);
    });
  }
  router.Register({.method = "GET", .pattern = "/assets/{file...}"},
                  [this](const RouteCall& call) -> Result<HttpResponse> {
                    const web::Asset* asset = assets_.Find(call.request.path);
                    if (!asset) return Status::NotFound("no such endpoint: " + call.request.path);
                    return ServeAsset(*asset, call.request);
                  });
  router.Register({.method = "GET", .pattern = "/badge/{id}.svg", .cacheable = true},
                  [this](const RouteCall& call) { return GetBadge(call.Param("id")); });
  router.Register({.method = "GET", .pattern = "/api/v1/geo/cities", .cacheable = true},
                  [this](const RouteCall& call) { return SuggestCities(call.request); });
  router.Register({.method = "GET", .pattern = "/api/v1/events"},
                  [this](const RouteCall& call) { return StreamEvents(call.request); });
}

HttpResponse WebRoutes::ServePage(const HttpRequest& request, int status) {
  const web::Asset& page = assets_.index_html();
  HttpResponse r = ServeAsset(page, request);
  if (r.status == 200) r.status = status;
  // Every page load gets the form's CSRF cookie unless it already has one.
  if (std::string cookie = CsrfCookieFor(request); !cookie.empty()) {
    r.headers.emplace_back("Set-Cookie", std::move(cookie));
  }
  // Defence in depth behind the UI's text-only rendering: no script but our own file runs.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; script-src 'self'; style-src 'self' "
                         "'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
                         "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
                         "form-action 'self'");
  r.headers.emplace_back("Referrer-Policy", "same-origin");
  return r;
}

HttpResponse WebRoutes::ServeAsset(const web::Asset& asset, const HttpRequest& request) {
  HttpResponse r;
  r.content_type = asset.content_type;
  r.headers.emplace_back("ETag", asset.etag);
  // Names are not content-hashed: revalidate every time (a 304 costs one round trip).
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("Vary", "Accept-Encoding");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (web::EtagMatches(request.Header("if-none-match"), asset.etag)) {
    r.status = 304;
    return r;
  }
  if (web::AcceptsGzip(request.Header("accept-encoding"))) {
    r.headers.emplace_back("Content-Encoding", "gzip");
    r.body = std::string(asset.gzip);
  } else {
    r.body = std::string(asset.bytes);
  }
  return r;
}

Result<HttpResponse> WebRoutes::GetBadge(std::string_view id) {
  auto service = registry_.Find(id);
  if (!service) return Status::NotFound(UnknownService(id));
  const detect::ServiceState* state = detector_.Snapshot()->Find(service->id);
  HttpResponse r;
  r.content_type = "image/svg+xml";
  r.body =
      web::RenderStatusBadge(service->name, state ? detect::StatusName(state->status) : "normal");
  // Badges sit on other sites' pages: let them be cached briefly, and never sniffed.
  r.headers.emplace_back("Cache-Control", "max-age=60");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; style-src 'unsafe-inline'");
  return r;
}

Result<HttpResponse> WebRoutes::SuggestCities(const HttpRequest& request) {
  std::string q, country, value;
  QueryParam(request.query, "q", q);
  if (geo::FoldName(q).size() < 2) {
    return Status::InvalidArgument("q: give at least 2 letters of a city name");
  }
  if (q.size() > 200) return Status::InvalidArgument("q: longer than 200 bytes");
  std::optional<geo::CountryId> country_id;
  if (QueryParam(request.query, "country", country)) {
    country_id = gazetteer_.FindCountry(country);
    if (!country_id) {
      return Status::InvalidArgument("country: not a two-letter country code with cities");
    }
  }
  OM_ASSIGN_OR_RETURN(size_t limit, ParseLimit(request.query, 8, max_city_suggestions_));
  // With a country filter, ask for more and filter: Suggest ranks by population worldwide.
  std::vector<geo::CityId> ids = gazetteer_.Suggest(q, country_id ? 2000 : limit);
  JsonWriter w;
  w.BeginObject().Key("cities").BeginArray();
  size_t n = 0;
  for (geo::CityId id : ids) {
    if (n == limit) break;
    const geo::City& c = gazetteer_.city(id);
    if (country_id && c.country_id != *country_id) continue;
    w.BeginObject().Key("geonameid").Uint(c.geonameid).Key("name").String(c.name);
    w.Key("country").String(c.country).Key("region").String(gazetteer_.region_code(c.region));
    w.Key("lat").Double(c.lat, 7).Key("lon").Double(c.lon, 7);
    w.Key("population").Uint(c.population).EndObject();
    ++n;
  }
  w.EndArray().EndObject();
  return DataResponse(w.str());
}

Result<HttpResponse> WebRoutes::StreamEvents(const HttpRequest& request) {
  OM_ASSIGN_OR_RETURN(LiveViewRequest view,
                      ParseLiveViewRequest(request.query, request.Header("last-event-id")));
  if (view.view == LiveView::kService && !registry_.Find(view.service)) {
    return Status::NotFound("service: " + UnknownService(view.service));
  }
  HttpResponse r;
  r.content_type = "text/event-stream; charset=utf-8";
  r.headers.emplace_back("Cache-Control", "no-cache");
  // Tells nginx-style proxies not to buffer the stream.
  r.headers.emplace_back("X-Accel-Buffering", "no");
  LiveEvents* live = &live_;
  r.on_stream = [live, view = std::move(view)](const std::shared_ptr<StreamSink>& sink) {
    if (!live->Attach(sink, view)) {
      sink->Send("event: error\ndata: {\"error\":\"too many event streams; retry later\"}\n\n");
      sink->Close();
    }
  };
  return r;
}

void OpsRoutes::Register(Router& router) {
  router.Register({.method = "GET", .pattern = "/healthz"},
                  [](const RouteCall&) { return DataResponse("{\"healthy\":true}"); });
  router.Register({.method = "GET", .pattern = "/readyz"},
                  [this](const RouteCall&) -> Result<HttpResponse> {
                    if (!ready_.load()) {
                      return Status::Unavailable("not ready: starting or stopping");
                    }
                    if (writable_) {
                      Status writable = writable_();
                      if (!writable.ok()) return Status::Unavailable(writable.message());
                    }
                    return DataResponse("{\"ready\":true}");
                  });
  router.Register({.method = "GET", .pattern = "/metrics"}, [this](const RouteCall&) {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics_.RenderText();
    return Result<HttpResponse>(std::move(r));
  });
}

}  // namespace om::api
