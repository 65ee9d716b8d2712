// The routes only the web UI needs: its page and files, the status badge, city autocomplete,
// the live event stream and the report form. They use the same envelope and limits as the rest
// of the API (api.cc).
#include <charconv>

#include "api/api.h"
#include "api/response.h"
#include "base/hex.h"
#include "base/json_writer.h"
#include "web/badge.h"

namespace om::api {
namespace {

constexpr std::string_view kCsrfCookie = "om_csrf";
constexpr size_t kCsrfTokenChars = 32;

// A new CSRF token: 128 random bits from the kernel as hex. Without randomness no page gets a
// token (and the form refuses every post) rather than a guessable one.
std::string NewCsrfToken() {
  Result<std::string> token = RandomHex(kCsrfTokenChars / 2);
  return token.ok() ? *token : "";
}

bool IsToken(std::string_view s) {
  return s.size() == kCsrfTokenChars &&
         s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// The value of cookie `name` in a Cookie header ("a=1; om_csrf=..."), empty when absent.
std::string_view CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    size_t semi = header.find(';');
    std::string_view pair = header.substr(0, semi);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

// Why a form post is not from our own page, or empty when it is. The token is the
// double-submit pattern (OWASP CSRF Prevention Cheat Sheet): the page's script copies the
// SameSite=Strict cookie into a header, which another site can neither read nor set. The Origin
// and Sec-Fetch-Site checks refuse cross-site requests outright where browsers send them.
std::string CsrfProblem(const HttpRequest& request) {
  std::string_view site = request.Header("sec-fetch-site");
  if (!site.empty() && site != "same-origin" && site != "none") {
    return "csrf: cross-site request (Sec-Fetch-Site: " + std::string(site.substr(0, 32)) + ")";
  }
  std::string_view origin = request.Header("origin"), host = request.Header("host");
  if (!origin.empty() && origin != "null") {
    size_t scheme = origin.find("://");
    if (scheme == std::string_view::npos || origin.substr(scheme + 3) != host) {
      return "csrf: Origin " + std::string(origin.substr(0, 100)) + " is not this site";
    }
  }
  std::string_view cookie = CookieValue(request.Header("cookie"), kCsrfCookie);
  std::string_view header = request.Header("x-csrf-token");
  if (!IsToken(cookie)) return "csrf: the om_csrf cookie is missing; reload the page";
  if (header != cookie) return "csrf: X-CSRF-Token does not match the om_csrf cookie";
  return "";
}

}  // namespace

HttpResponse Api::ServePage(const HttpRequest& request, int status) {
  const web::Asset& page = assets_.index_html();
  HttpResponse r = ServeAsset(page, request);
  if (r.status == 200) r.status = status;
  // Every page load gets the form's CSRF cookie unless it already has one.
  if (!IsToken(CookieValue(request.Header("cookie"), kCsrfCookie))) {
    if (std::string token = NewCsrfToken(); !token.empty()) {
      r.headers.emplace_back("Set-Cookie",
                             std::string(kCsrfCookie) + "=" + token + "; Path=/; SameSite=Strict");
    }
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

HttpResponse Api::ServeAsset(const web::Asset& asset, const HttpRequest& request) {
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

HttpResponse Api::GetBadge(std::string_view id) {
  auto service = registry_.Find(id);
  if (!service) {
    return ErrorResponse(
        Status::NotFound("unknown service \"" + std::string(id.substr(0, 64)) + "\""));
  }
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

HttpResponse Api::SuggestCities(const HttpRequest& request) {
  std::string q, country, value;
  QueryParam(request.query, "q", q);
  if (geo::FoldName(q).size() < 2) {
    return ErrorResponse(Status::InvalidArgument("q: give at least 2 letters of a city name"));
  }
  if (q.size() > 200) return ErrorResponse(Status::InvalidArgument("q: longer than 200 bytes"));
  std::optional<geo::CountryId> country_id;
  if (QueryParam(request.query, "country", country)) {
    country_id = gazetteer_.FindCountry(country);
    if (!country_id) {
      return ErrorResponse(
          Status::InvalidArgument("country: not a two-letter country code with cities"));
    }
  }
  Result<size_t> limit_param = ParseLimit(request.query, 8, options_.max_city_suggestions);
  if (!limit_param.ok()) return ErrorResponse(limit_param.status());
  size_t limit = *limit_param;
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

void Api::StreamEvents(Responder respond) {
  if (!live_) return respond(ErrorResponse(503, "unavailable", "live events are not running"));
  HttpResponse r;
  r.content_type = "text/event-stream; charset=utf-8";
  r.headers.emplace_back("Cache-Control", "no-cache");
  // Tells nginx-style proxies not to buffer the stream.
  r.headers.emplace_back("X-Accel-Buffering", "no");
  LiveEvents* live = live_;
  r.on_stream = [live](std::shared_ptr<StreamSink> sink) {
    if (!live->Attach(sink)) {
      sink->Send("event: error\ndata: {\"error\":\"too many event streams; retry later\"}\n\n");
      sink->Close();
    }
  };
  respond(std::move(r));
}

void Api::PostFormReport(HttpRequest&& request, Responder respond) {
  std::string problem = CsrfProblem(request);
  if (!problem.empty()) return respond(ErrorResponse(403, "forbidden", problem));
  int retry_after = 1;
  if (!form_limiter_.Allow(request.client_ip, clock_.Now(), &retry_after)) {
    return respond(RateLimited(retry_after, "too many reports from your address"));
  }
  std::string type = request.content_type.substr(0, request.content_type.find(';'));
  if (type != "application/json") {
    return respond(
        ErrorResponse(415, "unsupported_media_type", "Content-Type must be application/json"));
  }
  Result<ingest::ParsedBatch> parsed =
      ingestor_.Parse(request.body, ingest::BodyFormat::kJson, request.client_ip);
  if (!parsed.ok()) return respond(ErrorResponse(parsed.status()));
  for (store::Report& report : parsed->reports) report.source = store::Source::kWeb;
  SubmitReports(std::move(*parsed), std::move(respond));
}

}  // namespace om::api
