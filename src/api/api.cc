#include "api/api.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "api/atom_feed.h"
#include "api/counts.h"
#include "api/incident_json.h"
#include "api/response.h"
#include "api/statuspage.h"
#include "base/json_writer.h"
#include "detect/footprint.h"
#include "detect/localize.h"
#include "detect/phrases.h"
#include "json/json_fields.h"

namespace om::api {

namespace {

// "unknown service \"<id>\"" (the id cut at 64 bytes), for the errors that name a service.
std::string UnknownService(std::string_view id) {
  return "unknown service \"" + std::string(id.substr(0, 64)) + "\"";
}

}  // namespace
namespace {

constexpr std::string_view kServicesPrefix = "/api/v1/services/";

// Parses a time parameter: RFC 3339 or epoch milliseconds.
Result<int64_t> ParseTimeParam(std::string_view name, std::string_view value) {
  int64_t ms;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
  if (ec == std::errc() && p == value.data() + value.size()) return ms;
  if (auto t = ParseRfc3339(value)) return ToUnixMillis(*t);
  return Status::InvalidArgument(std::string(name) +
                                 ": must be RFC 3339 (2026-01-22T14:37:00Z) or epoch milliseconds");
}

// Parses a step: "90" (seconds), "1m", "15m", "1h", "1d". Must be a whole number of minutes.
Result<int64_t> ParseStepMinutes(std::string_view value) {
  if (value.empty()) return Status::InvalidArgument("step: empty");
  int64_t unit_seconds = 1;
  char last = value.back();
  if (last == 's' || last == 'm' || last == 'h' || last == 'd') {
    unit_seconds = last == 's' ? 1 : last == 'm' ? 60 : last == 'h' ? 3600 : 86400;
    value.remove_suffix(1);
  }
  int64_t n;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || p != value.data() + value.size() || n <= 0 || n > 1000000) {
    return Status::InvalidArgument("step: must be a positive duration such as 60s, 5m or 1h");
  }
  int64_t seconds = n * unit_seconds;
  if (seconds % 60 != 0) return Status::InvalidArgument("step: must be a whole number of minutes");
  return seconds / 60;
}

struct TimeRange {
  int64_t from_ms, to_ms;
};

Result<TimeRange> ParseRange(const HttpRequest& request, int64_t now_ms, int64_t default_span_ms) {
  TimeRange range{now_ms - default_span_ms, now_ms};
  std::string value;
  if (QueryParam(request.query, "to", value)) {
    OM_ASSIGN_OR_RETURN(range.to_ms, ParseTimeParam("to", value));
  }
  if (QueryParam(request.query, "from", value)) {
    OM_ASSIGN_OR_RETURN(range.from_ms, ParseTimeParam("from", value));
  } else {
    range.from_ms = range.to_ms - default_span_ms;
  }
  if (range.from_ms >= range.to_ms) return Status::InvalidArgument("from: must be before to");
  return range;
}

int64_t FloorMinute(int64_t ms) { return ms >= 0 ? ms / 60000 : -((-ms + 59999) / 60000); }

// Status fields of a service; a service the detector has not seen (no reports yet) is normal.
void WriteDetection(JsonWriter& w, const detect::ServiceState* state) {
  w.Key("status").String(state ? detect::StatusName(state->status) : "normal");
  if (state) {
    w.Key("status_since").String(FormatRfc3339(FromUnixMillis(state->since_minute * 60000)));
    w.Key("expected_per_minute").Double(state->expected_per_minute, 4);
    w.Key("observed_per_minute").Double(state->observed_per_minute, 4);
    w.Key("ratio").Double(state->ratio, 4);
    w.Key("score").Double(state->score, 4);
    // The learned dispersion of its count model; null before the detector's first tick.
    if (std::isfinite(state->dispersion)) {
      w.Key("dispersion").Double(state->dispersion, 4);
    } else {
      w.Key("dispersion").Null();
    }
  } else {
    w.Key("status_since").Null().Key("expected_per_minute").Null();
    w.Key("observed_per_minute").Null().Key("ratio").Null().Key("score").Null();
    w.Key("dispersion").Null();
  }
}

void WriteRecentCounts(JsonWriter& w, const RecentCounts& c) {
  w.Key("reports_last_minute").Uint(c.last_minute).Key("reports_last_15m").Uint(c.last_15m);
  w.Key("reports_last_60m").Uint(c.last_60m).Key("reports_last_24h").Uint(c.last_24h);
}

// A number, or null when it is NaN (no baseline yet).
void DoubleOrNull(JsonWriter& w, double v) {
  if (std::isnan(v)) {
    w.Null();
  } else {
    w.Double(v, 4);
  }
}

// The home page's 24-hour sparkline: reports per hour for the 24 hours ending with the current
// hour, and the usual count of each hour, the median of the same hour over the 14 days before
// it. (A cheap stand-in for the detector's quarter-hour baseline, which costs one baseline per
// quarter and service; the service chart uses the detector's own.)
void WriteSparkline(JsonWriter& w, const store::Aggregates& a, std::optional<uint32_t> idx,
                    int64_t now_minute) {
  constexpr int64_t kHours = 24, kDays = 14;
  int64_t to = now_minute - now_minute % 60 + 60;
  int64_t from = to - kHours * 60;
  std::vector<uint64_t> counts(static_cast<size_t>((kDays + 1) * kHours), 0);
  if (idx) {
    auto answer = a.Series(*idx, std::nullopt, "", from - kDays * 1440, to, 60);
    for (size_t i = 0; i < answer.counts.size() && i < counts.size(); ++i) {
      counts[i] = answer.counts[i];
    }
  }
  w.Key("sparkline").BeginObject();
  w.Key("from").String(FormatRfc3339(FromUnixMillis(from * 60000)));
  w.Key("step_seconds").Int(3600).Key("reports").BeginArray();
  for (int64_t h = 0; h < kHours; ++h) w.Uint(counts[static_cast<size_t>(kDays * kHours + h)]);
  w.EndArray().Key("expected").BeginArray();
  std::vector<uint64_t> same_hour;
  for (int64_t h = 0; h < kHours; ++h) {
    same_hour.clear();
    for (int64_t d = 0; d < kDays; ++d) {
      same_hour.push_back(counts[static_cast<size_t>(d * kHours + h)]);
    }
    std::nth_element(same_hour.begin(), same_hour.begin() + kDays / 2, same_hour.end());
    w.Uint(same_hour[kDays / 2]);
  }
  w.EndArray().EndObject();
}

int StatusRank(const detect::ServiceState* state) {
  if (!state) return 2;
  switch (state->status) {
    case detect::Status::kOutage:
      return 0;
    case detect::Status::kPossible:
      return 1;
    case detect::Status::kNormal:
      return 2;
  }
  return 2;
}

void WriteStringArray(JsonWriter& w, std::string_view key, const std::vector<std::string>& values) {
  w.Key(key).BeginArray();
  for (const auto& v : values) w.String(v);
  w.EndArray();
}

}  // namespace

Api::Api(ApiOptions options, ingest::ServiceRegistry& registry, ingest::Ingestor& ingestor,
         store::Store& store, const geo::Gazetteer& gazetteer, const detect::Detector& detector,
         const incidents::IncidentTracker& incidents, const web::Assets& assets, LiveEvents* live,
         auth::ApiKeys* keys, incidents::IncidentRecords* records,
         alerts::Subscriptions* subscriptions, incidents::Maintenances* maintenances,
         incidents::StatusPages* pages, const official::OfficialStatus* official,
         MetricsRegistry& metrics, const Clock& clock)
    : options_(options),
      registry_(registry),
      ingestor_(ingestor),
      store_(store),
      gazetteer_(gazetteer),
      detector_(detector),
      incidents_(incidents),
      assets_(assets),
      live_(live),
      keys_(keys),
      records_(records),
      subscriptions_(subscriptions),
      maintenances_(maintenances),
      pages_(pages),
      official_(official),
      form_limiter_(options.form_rate),
      public_limiter_(options.public_rate),
      metrics_(metrics),
      clock_(clock),
      overload_total_(metrics.GetCounter("om_ingest_overload_total",
                                         "Report requests refused with 429 (write queue full).")) {}

void Api::Handle(HttpRequest&& request, Responder respond) {
  const std::string& path = request.path;
  // HEAD is answered as GET; the HTTP server drops the body.
  bool get = request.method == "GET" || request.method == "HEAD";
  if (path == "/api/v1/reports") {
    if (request.method != "POST") {
      HttpResponse r = ErrorResponse(405, "method_not_allowed", "use POST for /api/v1/reports");
      r.headers.emplace_back("Allow", "POST");
      return respond(std::move(r));
    }
    return PostReports(std::move(request), std::move(respond));
  }
  if (request.method == "POST" && path.starts_with("/api/v1/incidents/")) {
    std::string_view rest = std::string_view(path).substr(18);
    size_t slash = rest.rfind('/');
    if (slash != std::string_view::npos) {
      std::string_view action = rest.substr(slash + 1);
      if (action == "updates" || action == "merge" || action == "split") {
        return respond(PostIncidentAction(UrlDecode(rest.substr(0, slash)), action, request));
      }
    }
  }
  if (path == "/api/v1/maintenances" || path.starts_with("/api/v1/maintenances/")) {
    return respond(HandleMaintenances(request));
  }
  if (path == "/api/v1/subscriptions" || path.starts_with("/api/v1/subscriptions/")) {
    return respond(HandleSubscriptions(request));
  }
  if (path == "/api/v1/pages" || path.starts_with("/api/v1/pages/")) {
    return respond(HandlePages(request));
  }
  if (path == "/api/v1/web/reports") {
    if (request.method != "POST") {
      HttpResponse r = ErrorResponse(405, "method_not_allowed", "use POST for " + path);
      r.headers.emplace_back("Allow", "POST");
      return respond(std::move(r));
    }
    return PostFormReport(std::move(request), std::move(respond));
  }
  if (!get) {
    HttpResponse r =
        ErrorResponse(405, "method_not_allowed", request.method + " not allowed on " + path);
    r.headers.emplace_back("Allow", "GET, HEAD");
    return respond(std::move(r));
  }
  // The web UI: one page for every route, which its script renders.
  if (path == "/" || path == "/map" || path == "/index.html") {
    return respond(ServePage(request, 200));
  }
  if (path.starts_with("/services/") || path.starts_with("/incidents/")) {
    std::string id = UrlDecode(std::string_view(path).substr(path.find('/', 1) + 1));
    bool known = path[1] == 's' ? registry_.Find(id).has_value()
                                : incidents_.Snapshot()->Find(id) != nullptr;
    // An unknown id still gets the page (it says so), with a 404 for crawlers and scripts.
    return respond(ServePage(request, known ? 200 : 404));
  }
  if (path.starts_with("/assets/")) {
    if (const web::Asset* asset = assets_.Find(path)) return respond(ServeAsset(*asset, request));
  }
  if (path.starts_with("/badge/") && path.ends_with(".svg")) {
    return respond(GetBadge(UrlDecode(std::string_view(path).substr(7, path.size() - 11))));
  }
  if (path == "/api/v1/events") return StreamEvents(std::move(respond));
  if (path.starts_with("/pages/")) {
    // /pages/{page}/api/v2/{document}
    std::string_view rest = std::string_view(path).substr(7);
    size_t slash = rest.find('/');
    constexpr std::string_view kApi = "/api/v2/";
    if (slash == std::string_view::npos || rest.substr(slash, kApi.size()) != kApi) {
      return respond(ErrorResponse(404, "not_found", "no such endpoint: " + path));
    }
    return respond(
        GetStatuspage(request, UrlDecode(rest.substr(0, slash)), rest.substr(slash + kApi.size())));
  }
  if (path.starts_with("/api/v2/")) {
    // A status site's own host: what Statuspage widgets ask for.
    if (options_.statuspage_root.empty()) {
      return respond(ErrorResponse(
          404, "not_found",
          "no Statuspage page at the root: set api.statuspage_root to a page id, or use "
          "/pages/{id}/api/v2/…"));
    }
    return respond(GetStatuspage(request, options_.statuspage_root, path.substr(8)));
  }
  if (path == "/api/v1/geo/cities") return respond(SuggestCities(request));
  if (path == "/healthz") {
    return respond(DataResponse("{\"healthy\":true}"));
  }
  if (path == "/readyz") {
    if (ready_.load()) return respond(DataResponse("{\"ready\":true}"));
    return respond(ErrorResponse(503, "unavailable", "not ready: starting or stopping"));
  }
  if (path == "/metrics") {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics_.RenderText();
    return respond(std::move(r));
  }
  if (path == "/api/v1/services") return respond(ListServices(request));
  if (path == "/api/v1/incidents") return respond(ListIncidents(request));
  if (path == "/api/v1/incidents.atom") return respond(IncidentFeed(request));
  if (path.starts_with("/api/v1/incidents/")) {
    return respond(GetIncident(UrlDecode(std::string_view(path).substr(18))));
  }
  if (path.starts_with(kServicesPrefix)) {
    std::string_view rest = std::string_view(path).substr(kServicesPrefix.size());
    size_t slash = rest.find('/');
    std::string id = UrlDecode(rest.substr(0, slash));
    std::string_view sub = slash == std::string_view::npos ? "" : rest.substr(slash);
    if (sub.empty()) return respond(GetService(id));
    if (sub == "/series") return respond(GetSeries(id, request));
    if (sub == "/places") return respond(GetPlaces(id, request));
  }
  respond(ErrorResponse(404, "not_found", "no such endpoint: " + path));
}

void Api::PostReports(HttpRequest&& request, Responder respond) {
  std::string type = request.content_type.substr(0, request.content_type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  ingest::BodyFormat format;
  if (type == "application/json") {
    format = ingest::BodyFormat::kJson;
  } else if (type == "application/x-ndjson" || type == "application/ndjson") {
    format = ingest::BodyFormat::kNdjson;
  } else {
    return respond(
        ErrorResponse(415, "unsupported_media_type",
                      "Content-Type must be application/json or application/x-ndjson, got \"" +
                          type.substr(0, 100) + "\""));
  }
  // A key, when given, must be valid: a wrong key is an error, never silently anonymous.
  bool keyed = false;
  if (std::string_view authorization = request.Header("authorization"); !authorization.empty()) {
    if (!keys_) return respond(ErrorResponse(Status::Unauthenticated("API keys are not enabled")));
    Result<auth::ApiKey> key = keys_->Authenticate(authorization, auth::kReportWrite);
    if (!key.ok()) return respond(ErrorResponse(key.status()));
    keyed = true;
  }
  Result<ingest::ParsedBatch> parsed = ingestor_.Parse(request.body, format, request.client_ip);
  if (!parsed.ok()) {
    if (parsed.status().code() == StatusCode::kResourceExhausted) {
      return respond(ErrorResponse(413, "too_large", parsed.status().message()));
    }
    return respond(ErrorResponse(parsed.status()));
  }
  if (!keyed && options_.public_rate.per_minute > 0) {
    // Every line costs a token, good or bad: a flood of bad lines costs us parsing too.
    double lines = static_cast<double>(parsed->reports.size() + parsed->rejected.size());
    if (lines > public_limiter_.burst()) {
      return respond(ErrorResponse(
          429, "resource_exhausted",
          "a batch of " + std::to_string(static_cast<uint64_t>(lines)) +
              " reports is over the per-client limit of " +
              std::to_string(static_cast<uint64_t>(public_limiter_.burst())) +
              " without an API key; send smaller batches or use a key with report:write"));
    }
    int retry_after = 1;
    if (!public_limiter_.Allow(request.client_ip, clock_.Now(), &retry_after,
                               std::max(1.0, lines))) {
      return respond(
          RateLimited(retry_after, "too many reports from your address without an API key"));
    }
  }
  SubmitReports(std::move(*parsed), std::move(respond));
}

void Api::SubmitReports(ingest::ParsedBatch&& parsed, Responder respond) {
  auto write_body = [](JsonWriter& w, size_t accepted, size_t duplicates,
                       const std::vector<ingest::LineError>& rejected,
                       const std::vector<ingest::LineWarning>& warnings) {
    w.Key("accepted").Uint(accepted).Key("duplicates").Uint(duplicates);
    w.Key("rejected").BeginArray();
    for (const auto& e : rejected) {
      w.BeginObject().Key("line").Uint(e.line).Key("error").String(e.error).EndObject();
    }
    w.EndArray();
    w.Key("warnings").BeginArray();
    for (const auto& e : warnings) {
      w.BeginObject().Key("line").Uint(e.line).Key("warning").String(e.message).EndObject();
    }
    w.EndArray();
  };
  if (parsed.reports.empty()) {
    bool all_unknown = !parsed.rejected.empty();
    for (const auto& e : parsed.rejected) all_unknown &= e.code == StatusCode::kNotFound;
    JsonWriter w;
    w.BeginObject().Key("status").String("error");
    w.Key("errorType").String(all_unknown ? "not_found" : "invalid_argument");
    w.Key("error").String(parsed.rejected.empty() ? std::string("empty body: no report to accept")
                                                  : "no report accepted; line " +
                                                        std::to_string(parsed.rejected[0].line) +
                                                        ": " + parsed.rejected[0].error);
    write_body(w, 0, 0, parsed.rejected, parsed.warnings);
    w.EndObject();
    HttpResponse r;
    r.status = all_unknown ? 404 : 400;
    r.body = std::move(w).Take();
    return respond(std::move(r));
  }
  auto rejected = std::make_shared<std::vector<ingest::LineError>>(std::move(parsed.rejected));
  auto warnings = std::make_shared<std::vector<ingest::LineWarning>>(std::move(parsed.warnings));
  Status submitted = store_.TrySubmit(
      std::move(parsed.reports),
      [respond, rejected, warnings, write_body](Status status, store::WriteResult result) {
        if (!status.ok()) {
          return respond(
              ErrorResponse(503, "unavailable", "report log write failed: " + status.message()));
        }
        JsonWriter w;
        w.BeginObject().Key("status").String("success");
        write_body(w, result.accepted, result.duplicates, *rejected, *warnings);
        w.EndObject();
        HttpResponse r;
        r.body = std::move(w).Take();
        respond(std::move(r));
      });
  if (!submitted.ok()) {
    if (submitted.code() == StatusCode::kResourceExhausted) overload_total_.Add();
    respond(ErrorResponse(submitted));
  }
}

HttpResponse Api::ListServices(const HttpRequest& request) {
  int64_t now_minute = FloorMinute(ToUnixMillis(clock_.Now()));
  std::string category, q, status;
  QueryParam(request.query, "category", category);
  QueryParam(request.query, "q", q);
  if (QueryParam(request.query, "status", status) && status != "normal" && status != "possible" &&
      status != "outage") {
    return ErrorResponse(Status::InvalidArgument("status: must be normal, possible or outage"));
  }
  std::string value;
  bool sparkline = false;
  if (QueryParam(request.query, "sparkline", value)) {
    if (value != "24h") return ErrorResponse(Status::InvalidArgument("sparkline: must be 24h"));
    sparkline = true;
  }
  for (char& c : q) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto services = registry_.Services();
  auto detection = detector_.Snapshot();
  // Outages first, then possible problems, then the rest, each in catalog order.
  std::stable_sort(services.begin(), services.end(), [&](const auto& x, const auto& y) {
    return StatusRank(detection->Find(x.id)) < StatusRank(detection->Find(y.id));
  });
  JsonWriter w;
  w.BeginObject();
  if (detection->minute != 0) {
    w.Key("evaluated_at").String(FormatRfc3339(FromUnixMillis(detection->minute * 60000)));
  } else {
    w.Key("evaluated_at").Null();
  }
  w.Key("services").BeginArray();
  store_.Read([&](const store::Aggregates& a) {
    for (const auto& s : services) {
      const detect::ServiceState* state = detection->Find(s.id);
      if (!status.empty() && (state ? detect::StatusName(state->status) : "normal") != status) {
        continue;
      }
      if (!category.empty() && s.category != category) continue;
      if (!q.empty()) {
        std::string name = s.name;
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (name.find(q) == std::string::npos && s.id.find(q) == std::string::npos) continue;
      }
      auto idx = a.ServiceIndex(s.id);
      w.BeginObject().Key("id").String(s.id).Key("name").String(s.name);
      w.Key("category").String(s.category);
      WriteRecentCounts(w, CountRecent(a, idx, now_minute));
      WriteDetection(w, state);
      if (sparkline) WriteSparkline(w, a, idx, now_minute);
      w.EndObject();
    }
    return 0;
  });
  w.EndArray().EndObject();
  return DataResponse(w.str());
}

HttpResponse Api::GetService(std::string_view id) {
  auto service = registry_.Find(id);
  if (!service) return ErrorResponse(Status::NotFound(UnknownService(id)));
  int64_t now_minute = FloorMinute(ToUnixMillis(clock_.Now()));
  JsonWriter w;
  w.BeginObject().Key("id").String(service->id).Key("name").String(service->name);
  w.Key("category").String(service->category);
  WriteStringArray(w, "aliases", service->aliases);
  WriteStringArray(w, "problems", service->problems);
  WriteStringArray(w, "components", service->components);
  WriteStringArray(w, "depends_on", service->depends_on);
  if (service->status_url.empty()) {
    w.Key("status_url").Null();
  } else {
    w.Key("status_url").String(service->status_url);
  }
  w.Key("auto_registered").Bool(service->auto_registered);
  auto detection = detector_.Snapshot();
  WriteDetection(w, detection->Find(service->id));
  // Its open incident, if any: a page can ask for the incident's places at once, without waiting
  // for the incident list.
  {
    auto followed = incidents_.Snapshot();
    const incidents::Incident* open = nullptr;
    for (const incidents::Incident& incident : followed->incidents) {
      if (incident.open() && incident.service == service->id) {
        open = &incident;
        break;
      }
    }
    if (open) {
      w.Key("open_incident").BeginObject().Key("id").String(open->id);
      w.Key("started_at").String(FormatRfc3339(FromUnixMillis(open->started_minute * 60000)));
      w.EndObject();
    } else {
      w.Key("open_incident").Null();
    }
  }
  // What the provider says, beside the crowd (null when the service has no polled source).
  std::optional<official::OfficialState> said =
      official_ ? official_->Find(service->id) : std::nullopt;
  if (!said) {
    w.Key("official").Null();
  } else {
    auto time_or_null = [&](std::string_view key, int64_t ms) {
      if (ms) {
        w.Key(key).String(FormatRfc3339(FromUnixMillis(ms)));
      } else {
        w.Key(key).Null();
      }
    };
    w.Key("official").BeginObject();
    if (said->level) {
      w.Key("status").String(official::LevelName(*said->level));
    } else {
      w.Key("status").Null();
    }
    w.Key("description").String(said->description);
    time_or_null("since", said->since_ms);
    time_or_null("checked_at", said->checked_ms);
    w.Key("source").String(said->url);
    if (said->error.empty()) {
      w.Key("error").Null();
    } else {
      w.Key("error").String(said->error);
    }
    // How the page followed the crowd's incidents of the last 90 days.
    std::vector<official::CrowdIncident> crowd;
    int64_t now_ms = ToUnixMillis(clock_.Now());
    if (records_) {
      auto of_service = [&](const auto& r) { return r.service == service->id; };
      for (const auto& r : records_->List(options_.max_archived_incidents, of_service)) {
        if (r.detected_minute * 60000 < now_ms - 90 * 86400000LL) continue;
        crowd.push_back({r.detected_minute * 60000, r.crowd_resolved_minute * 60000});
      }
    }
    official::Accuracy accuracy = official_->AccuracyOf(service->id, crowd, now_ms);
    if (accuracy.incidents == 0) {
      w.Key("accuracy").Null();
    } else {
      w.Key("accuracy").BeginObject().Key("period_days").Int(90);
      w.Key("incidents").Int(accuracy.incidents).Key("acknowledged").Int(accuracy.acknowledged);
      if (accuracy.median_delay_ms < 0) {
        w.Key("median_delay_minutes").Null();
      } else {
        w.Key("median_delay_minutes")
            .Double(static_cast<double>(accuracy.median_delay_ms) / 60000, 3);
      }
      w.Key("grade").String(accuracy.grade).EndObject();
    }
    w.EndObject();
  }
  store_.Read([&](const store::Aggregates& a) {
    auto idx = a.ServiceIndex(service->id);
    RecentCounts counts = CountRecent(a, idx, now_minute);
    WriteRecentCounts(w, counts);
    w.Key("problems_last_60m").BeginArray();
    if (idx) {
      uint64_t sum = counts.last_60m;
      for (const auto& kc :
           a.Top(*idx, store::Dimension::kProblem, now_minute - 59, now_minute + 1, 10)) {
        w.BeginObject().Key("problem").String(kc.key).Key("count").Uint(kc.count);
        w.Key("share").Double(sum ? static_cast<double>(kc.count) / static_cast<double>(sum) : 0,
                              4);
        w.EndObject();
      }
    }
    w.EndArray();
    return 0;
  });
  w.EndObject();
  return DataResponse(w.str());
}

HttpResponse Api::GetSeries(std::string_view id, const HttpRequest& request) {
  auto service = registry_.Find(id);
  if (!service) return ErrorResponse(Status::NotFound(UnknownService(id)));
  int64_t now_ms = ToUnixMillis(clock_.Now());
  Result<TimeRange> range = ParseRange(request, now_ms + 60000 - now_ms % 60000, 24 * 3600 * 1000);
  if (!range.ok()) return ErrorResponse(range.status());
  int64_t step_minutes = 1;
  std::string value;
  if (QueryParam(request.query, "step", value)) {
    Result<int64_t> step = ParseStepMinutes(value);
    if (!step.ok()) return ErrorResponse(step.status());
    step_minutes = *step;
  }
  int64_t from_minute = FloorMinute(range->from_ms);
  int64_t to_minute = FloorMinute(range->to_ms + 59999);
  int64_t points = (to_minute - from_minute + step_minutes - 1) / step_minutes;
  if (static_cast<size_t>(points) > options_.max_series_points) {
    return ErrorResponse(Status::InvalidArgument(
        "step: too many points (" + std::to_string(points) + " > " +
        std::to_string(options_.max_series_points) + "); use a larger step"));
  }
  bool with_expected = false;
  if (QueryParam(request.query, "expected", value)) {
    if (value != "1" && value != "0") {
      return ErrorResponse(Status::InvalidArgument("expected: must be 1 or 0"));
    }
    with_expected = value == "1";
  }
  std::vector<double> expected;
  auto answer = store_.Read([&](const store::Aggregates& a) {
    auto idx = a.ServiceIndex(service->id);
    if (idx && with_expected) {
      // The detector's baseline of each quarter hour, times the minutes of it in each step.
      int64_t first_quarter = from_minute - ((from_minute % 15) + 15) % 15;
      std::vector<int64_t> quarters;
      for (int64_t q = first_quarter; q < to_minute; q += 15) quarters.push_back(q);
      std::vector<double> per_quarter = detector_.ExpectedPerMinute(a, *idx, quarters);
      for (int64_t m = from_minute; m < to_minute; m += step_minutes) {
        double sum = 0;
        int64_t end = std::min(m + step_minutes, to_minute);
        for (int64_t q = m - ((m % 15) + 15) % 15; q < end; q += 15) {
          int64_t overlap = std::min(q + 15, end) - std::max(q, m);
          sum += per_quarter[static_cast<size_t>((q - first_quarter) / 15)] *
                 static_cast<double>(overlap);
        }
        expected.push_back(sum);
      }
    }
    if (!idx) {
      store::Aggregates::SeriesAnswer empty;
      empty.from_minute = from_minute;
      empty.step_minutes = step_minutes;
      empty.counts.assign(
          static_cast<size_t>((to_minute - from_minute + step_minutes - 1) / step_minutes), 0);
      return empty;
    }
    return a.Series(*idx, std::nullopt, "", from_minute, to_minute, step_minutes);
  });
  JsonWriter w;
  w.BeginObject().Key("service").String(service->id);
  w.Key("from").String(FormatRfc3339(FromUnixMillis(answer.from_minute * 60000)));
  w.Key("step_seconds").Int(answer.step_minutes * 60);
  w.Key("points").BeginArray();
  for (size_t i = 0; i < answer.counts.size(); ++i) {
    int64_t t = (answer.from_minute + static_cast<int64_t>(i) * answer.step_minutes) * 60000;
    w.BeginArray().Int(t).Uint(answer.counts[i]).EndArray();
  }
  w.EndArray();
  // The band is computed on the requested steps; with a rollup answer (older than the minute
  // retention) the steps differ and the band is left out rather than misaligned.
  if (with_expected && answer.from_minute == from_minute && answer.step_minutes == step_minutes) {
    expected.resize(answer.counts.size(), NAN);
    w.Key("expected").BeginArray();
    for (double e : expected) DoubleOrNull(w, e);
    w.EndArray().Key("upper").BeginArray();
    // The band of the service's own (learned) dispersion. The detector tests windows of up to 5
    // minutes: a longer step's top is the count at which each of its 5-minute parts would pass,
    // not one test of the whole step (whose overdispersion term would grow with the step).
    auto detection = detector_.Snapshot();
    const detect::ServiceState* state = detection->Find(service->id);
    double dispersion = state ? state->dispersion : NAN;
    double parts = std::max(1.0, static_cast<double>(step_minutes) / 5);
    for (double e : expected) {
      DoubleOrNull(w, parts * detector_.PossibleThreshold(e / parts, dispersion));
    }
    w.EndArray();
  }
  w.EndObject();
  return DataResponse(w.str());
}

HttpResponse Api::GetPlaces(std::string_view id, const HttpRequest& request) {
  auto service = registry_.Find(id);
  if (!service) return ErrorResponse(Status::NotFound(UnknownService(id)));
  int64_t now_ms = ToUnixMillis(clock_.Now());
  Result<TimeRange> range = ParseRange(request, now_ms + 60000 - now_ms % 60000, 3600 * 1000);
  if (!range.ok()) return ErrorResponse(range.status());
  std::string level = "city", value;
  QueryParam(request.query, "level", level);
  store::Dimension dimension;
  if (level == "city") {
    dimension = store::Dimension::kCity;
  } else if (level == "region") {
    dimension = store::Dimension::kRegion;
  } else if (level == "country") {
    dimension = store::Dimension::kCountry;
  } else {
    return ErrorResponse(Status::InvalidArgument("level: must be city, region or country"));
  }
  Result<size_t> limit_param = ParseLimit(request.query, 20, options_.max_places);
  if (!limit_param.ok()) return ErrorResponse(limit_param.status());
  size_t limit = *limit_param;
  std::string rank = "excess";
  QueryParam(request.query, "rank", rank);
  if (rank != "excess" && rank != "reports") {
    return ErrorResponse(Status::InvalidArgument("rank: must be excess or reports"));
  }
  int64_t from_minute = FloorMinute(range->from_ms), to_minute = FloorMinute(range->to_ms + 59999);
  // Both rankings come back as PlaceExcess rows; with rank=reports only `observed` is filled.
  struct Answer {
    // Cities by excess: every city (the scope judges them all); the first `limit` are listed.
    detect::Localization localization;
    double expected_total = 0;
    double observed_total = 0;
  };
  Answer answer = store_.Read([&](const store::Aggregates& a) {
    Answer out;
    auto idx = a.ServiceIndex(service->id);
    if (!idx) return out;
    if (rank == "reports") {
      for (auto& kc : a.Top(*idx, dimension, from_minute, to_minute, limit)) {
        detect::PlaceExcess p;
        p.key = std::move(kc.key);
        p.observed = kc.count;
        out.localization.places.push_back(std::move(p));
      }
      return out;
    }
    // The service's expected total: the baseline of each quarter hour in the window (at most a
    // day of quarters; longer windows use the mean of those).
    std::vector<int64_t> quarters;
    for (int64_t q = from_minute - from_minute % 15; q < to_minute && quarters.size() < 96;
         q += 15) {
      quarters.push_back(q);
    }
    double per_minute_sum = 0;
    for (double e : detector_.ExpectedPerMinute(a, *idx, quarters)) per_minute_sum += e;
    double per_minute =
        quarters.empty() ? 0 : per_minute_sum / static_cast<double>(quarters.size());
    out.expected_total = per_minute * static_cast<double>(to_minute - from_minute);
    constexpr size_t kAllCities = 5000;
    bool cities = dimension == store::Dimension::kCity;
    out.localization = detect::Localize(a, *idx, dimension, from_minute, to_minute,
                                        out.expected_total, cities ? kAllCities : limit);
    if (cities) out.observed_total = static_cast<double>(a.Total(*idx, from_minute, to_minute));
    return out;
  });
  const auto& places = answer.localization.places;
  JsonWriter w;
  w.BeginObject().Key("service").String(service->id).Key("level").String(level);
  w.Key("rank").String(rank);
  w.Key("from").String(FormatRfc3339(FromUnixMillis(from_minute * 60000)));
  w.Key("to").String(FormatRfc3339(FromUnixMillis(to_minute * 60000)));
  if (rank == "excess") {
    w.Key("expected_total").Double(answer.expected_total, 4);
    w.Key("footprint_excess_share").Double(answer.localization.excess_covered, 4);
  }
  w.Key("places").BeginArray();
  for (size_t k = 0; k < places.size() && k < limit; ++k) {
    const detect::PlaceExcess& p = places[k];
    w.BeginObject();
    if (dimension == store::Dimension::kCity) {
      uint32_t geonameid = 0;
      std::from_chars(p.key.data(), p.key.data() + p.key.size(), geonameid);
      geo::CityId city = gazetteer_.FindByGeonameId(geonameid);
      w.Key("geonameid").Uint(geonameid);
      if (city != geo::kNoCity) {
        const geo::City& c = gazetteer_.city(city);
        w.Key("name").String(c.name).Key("country").String(c.country);
        w.Key("region").String(gazetteer_.region_code(c.region));
        w.Key("lat").Double(c.lat, 7).Key("lon").Double(c.lon, 7);
      }
    } else {
      w.Key(dimension == store::Dimension::kRegion ? "region" : "country").String(p.key);
    }
    w.Key("reports").Uint(p.observed);
    if (rank == "excess") {
      w.Key("expected").Double(p.expected, 4).Key("ratio").Double(p.ratio, 4);
      w.Key("score").Double(p.score, 4).Key("significant").Bool(p.significant);
      w.Key("in_footprint").Bool(p.in_footprint);
    }
    w.EndObject();
  }
  w.EndArray();
  if (rank == "excess" && dimension == store::Dimension::kCity) {
    WriteScope(w, detect::JudgeScope(answer.localization, gazetteer_,
                                     answer.observed_total - answer.expected_total));
  }
  w.EndObject();
  return DataResponse(w.str());
}

HttpResponse Api::ListIncidents(const HttpRequest& request) {
  std::string service, state, value;
  QueryParam(request.query, "service", service);
  if (QueryParam(request.query, "state", state) && state != "open" && state != "resolved") {
    return ErrorResponse(Status::InvalidArgument("state: must be open or resolved"));
  }
  Result<size_t> limit_param = ParseLimit(request.query, 50, 1000);
  if (!limit_param.ok()) return ErrorResponse(limit_param.status());
  size_t limit = *limit_param;
  if (!service.empty()) {
    auto found = registry_.Find(service);
    if (!found) return ErrorResponse(Status::NotFound(UnknownService(service)));
    service = found->id;
  }
  auto snapshot = incidents_.Snapshot();
  JsonWriter w;
  w.BeginObject().Key("incidents").BeginArray();
  size_t n = 0;
  for (const auto& incident : snapshot->incidents) {
    if (n >= limit) break;
    if (!service.empty() && incident.service != service) continue;
    if (state == "open" && !incident.open()) continue;
    if (state == "resolved" && incident.open()) continue;
    WriteIncident(w, incident, 5);
    ++n;
  }
  // Then incidents only the records remember (from before a restart), newest first.
  if (records_ && n < limit) {
    auto of_service = [&](const auto& r) { return service.empty() || r.Covers(service); };
    for (const auto& record : records_->List(options_.max_archived_incidents, of_service)) {
      if (n >= limit) break;
      if (snapshot->Find(record.id)) continue;
      bool open = record.crowd_resolved_minute == 0;
      if ((state == "open" && !open) || (state == "resolved" && open)) continue;
      WriteArchivedIncident(w, record);
      ++n;
    }
  }
  w.EndArray().EndObject();
  return DataResponse(w.str());
}

HttpResponse Api::GetIncident(std::string_view id) {
  auto snapshot = incidents_.Snapshot();
  const incidents::Incident* incident = snapshot->Find(std::string(id));
  if (!incident) {
    if (auto record = records_ ? records_->Find(id) : std::nullopt) {
      JsonWriter w;
      WriteArchivedIncident(w, *record);
      return DataResponse(w.str());
    }
    return ErrorResponse(
        Status::NotFound("unknown incident \"" + std::string(id.substr(0, 64)) + "\""));
  }
  JsonWriter w;
  WriteIncident(w, *incident, 20);
  return DataResponse(w.str());
}

void Api::WriteIncident(JsonWriter& w, const incidents::Incident& incident, size_t max_cities) {
  int64_t now_minute = MinuteOf(clock_.Now());
  std::optional<incidents::IncidentRecord> record;
  if (records_) record = records_->Find(incident.id);
  store_.Read([&](const store::Aggregates& a) {
    WriteIncidentJson(w, incident, a, gazetteer_, detector_, now_minute, max_cities, true,
                      [&](JsonWriter& out) {
                        WriteRecordFields(out, record ? &*record : nullptr, incident.open());
                      });
    return 0;
  });
}

void Api::WriteArchivedIncident(JsonWriter& w, const incidents::IncidentRecord& r) {
  auto time = [](int64_t minute) { return FormatRfc3339(FromUnixMillis(minute * 60000)); };
  bool open = r.crowd_resolved_minute == 0;
  w.BeginObject().Key("id").String(r.id).Key("service").String(r.service);
  w.Key("state").String(open ? "open" : "resolved");
  w.Key("started_at").String(time(r.started_minute));
  w.Key("detected_at").String(time(r.detected_minute));
  if (open) {
    w.Key("resolved_at").Null();
  } else {
    w.Key("resolved_at").String(time(r.crowd_resolved_minute));
  }
  // The tracker's measurements (peak, cities, problems) were not kept across the restart.
  w.Key("archived").Bool(true);
  WriteRecordFields(w, &r, open);
  w.EndObject();
}

namespace {

// A field of a parsed JSON object of strings, empty when absent.
std::string FieldOr(const std::map<std::string, std::string>& fields, const std::string& name) {
  auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

void WriteSubscription(JsonWriter& w, const alerts::Subscription& s, bool with_secret) {
  w.BeginObject().Key("id").String(s.id).Key("channel").String(alerts::ChannelName(s.channel));
  w.Key("url").String(s.url);
  if (with_secret && !s.secret.empty()) w.Key("secret").String(s.secret);
  if (s.service.empty()) {
    w.Key("service").Null();
  } else {
    w.Key("service").String(s.service);
  }
  if (s.region.empty()) {
    w.Key("region").Null();
  } else {
    w.Key("region").String(s.region);
  }
  w.Key("min_impact").String(incidents::ImpactName(s.min_impact));
  w.Key("created_at").String(FormatRfc3339(FromUnixMillis(s.created_ms)));
  w.Key("delivered").Int(s.delivered).Key("failed_attempts").Int(s.attempts);
  if (s.last_error.empty()) {
    w.Key("last_error").Null();
  } else {
    w.Key("last_error").String(s.last_error);
  }
  w.EndObject();
}

}  // namespace

HttpResponse Api::HandleMaintenances(const HttpRequest& request) {
  if (!maintenances_) return ErrorResponse(503, "unavailable", "maintenance windows are not kept");
  std::string_view id =
      std::string_view(request.path).substr(std::string_view("/api/v1/maintenances").size());
  if (!id.empty()) id.remove_prefix(1);
  int64_t now_ms = ToUnixMillis(clock_.Now());
  auto write = [&](JsonWriter& w, const incidents::Maintenance& m) {
    w.BeginObject().Key("id").String(m.id).Key("service").String(m.service);
    w.Key("title").String(m.title).Key("body").String(m.body);
    w.Key("starts_at").String(FormatRfc3339(FromUnixMillis(m.starts_ms)));
    w.Key("ends_at").String(FormatRfc3339(FromUnixMillis(m.ends_ms)));
    w.Key("status").String(incidents::MaintenanceStatusAt(m, now_ms)).EndObject();
  };
  if (request.method == "GET" || request.method == "HEAD") {
    if (!id.empty()) return ErrorResponse(404, "not_found", "no such endpoint: " + request.path);
    std::string service;
    if (QueryParam(request.query, "service", service)) {
      auto found = registry_.Find(service);
      if (!found) {
        return ErrorResponse(Status::NotFound(UnknownService(service)));
      }
      service = found->id;
    }
    JsonWriter w;
    w.BeginObject().Key("maintenances").BeginArray();
    for (const auto& m : maintenances_->List(service)) write(w, m);
    w.EndArray().EndObject();
    return DataResponse(w.str());
  }
  if (!keys_) return ErrorResponse(Status::Unauthenticated("API keys are not enabled"));
  Result<auth::ApiKey> key =
      keys_->Authenticate(request.Header("authorization"), auth::kIncidentWrite);
  if (!key.ok()) return ErrorResponse(key.status());
  if (request.method == "DELETE" && !id.empty()) {
    Status cancelled = maintenances_->Cancel(id);
    if (!cancelled.ok()) return ErrorResponse(cancelled);
    return DataResponse("{\"cancelled\":true}");
  }
  if (request.method != "POST" || !id.empty()) {
    return MethodNotAllowed(request, id.empty() ? "GET, POST" : "DELETE");
  }
  Result<std::map<std::string, std::string>> fields =
      json::ParseStringFields(request.body, {"service", "title", "body", "starts_at", "ends_at"});
  if (!fields.ok()) return ErrorResponse(fields.status());
  auto field = [&](const std::string& name) { return FieldOr(*fields, name); };
  auto service = registry_.Find(field("service"));
  if (!service) {
    return ErrorResponse(Status::InvalidArgument("service: " + UnknownService(field("service"))));
  }
  Result<int64_t> starts = ParseTimeParam("starts_at", field("starts_at"));
  if (!starts.ok()) return ErrorResponse(starts.status());
  Result<int64_t> ends = ParseTimeParam("ends_at", field("ends_at"));
  if (!ends.ok()) return ErrorResponse(ends.status());
  Result<incidents::Maintenance> scheduled = maintenances_->Schedule(
      service->id, field("title"), field("body"), *starts, *ends, clock_.Now());
  if (!scheduled.ok()) return ErrorResponse(scheduled.status());
  JsonWriter w;
  write(w, *scheduled);
  HttpResponse r = DataResponse(w.str());
  r.status = 201;
  return r;
}

HttpResponse Api::HandleSubscriptions(const HttpRequest& request) {
  if (!keys_) return ErrorResponse(Status::Unauthenticated("API keys are not enabled"));
  Result<auth::ApiKey> key = keys_->Authenticate(request.Header("authorization"), auth::kAdmin);
  if (!key.ok()) return ErrorResponse(key.status());
  if (!subscriptions_ || !records_) {
    return ErrorResponse(503, "unavailable", "notifications are not running");
  }
  std::string_view id =
      std::string_view(request.path).substr(std::string_view("/api/v1/subscriptions").size());
  if (!id.empty()) id.remove_prefix(1);
  if (request.method == "DELETE" && !id.empty()) {
    Status deleted = subscriptions_->Delete(id);
    if (!deleted.ok()) return ErrorResponse(deleted);
    return DataResponse("{\"deleted\":true}");
  }
  if ((request.method == "GET" || request.method == "HEAD") && id.empty()) {
    JsonWriter w;
    w.BeginObject().Key("subscriptions").BeginArray();
    for (const auto& s : subscriptions_->List()) WriteSubscription(w, s, false);
    w.EndArray().EndObject();
    return DataResponse(w.str());
  }
  if (request.method != "POST" || !id.empty()) {
    return MethodNotAllowed(request, id.empty() ? "GET, POST" : "DELETE");
  }
  Result<std::map<std::string, std::string>> fields =
      json::ParseStringFields(request.body, {"channel", "url", "service", "region", "min_impact"});
  if (!fields.ok()) return ErrorResponse(fields.status());
  auto field = [&](const std::string& name) { return FieldOr(*fields, name); };
  Result<alerts::Channel> channel = alerts::ParseChannel(field("channel"));
  if (!channel.ok()) return ErrorResponse(channel.status());
  std::string service = field("service");
  if (!service.empty()) {
    auto found = registry_.Find(service);
    if (!found) {
      return ErrorResponse(Status::InvalidArgument("service: " + UnknownService(service)));
    }
    service = found->id;
  }
  incidents::Impact min_impact = incidents::Impact::kNone;
  if (std::string impact = field("min_impact"); !impact.empty()) {
    Result<incidents::Impact> parsed = incidents::ParseImpact(impact, "min_impact");
    if (!parsed.ok()) return ErrorResponse(parsed.status());
    min_impact = *parsed;
  }
  // A new subscription hears about what happens from now on, not the whole history.
  int64_t first_seq = records_->LastSeq();
  Result<alerts::Subscription> created = subscriptions_->Create(
      *channel, field("url"), service, field("region"), min_impact, first_seq, clock_.Now());
  if (!created.ok()) return ErrorResponse(created.status());
  JsonWriter w;
  WriteSubscription(w, *created, true);
  HttpResponse r = DataResponse(w.str());
  r.status = 201;
  return r;
}

HttpResponse Api::HandlePages(const HttpRequest& request) {
  std::string_view id =
      std::string_view(request.path).substr(std::string_view("/api/v1/pages").size());
  if (!id.empty()) id.remove_prefix(1);
  auto write = [](JsonWriter& w, const incidents::StatusPage& p) {
    w.BeginObject().Key("id").String(p.id).Key("name").String(p.name);
    w.Key("services").BeginArray();
    for (const auto& s : p.services) w.String(s);
    w.EndArray().Key("url").String("/pages/" + p.id + "/api/v2/summary.json");
    w.Key("created_at").String(FormatRfc3339(FromUnixMillis(p.created_ms))).EndObject();
  };
  if (!pages_) return ErrorResponse(503, "unavailable", "status pages are not kept");
  if ((request.method == "GET" || request.method == "HEAD") && id.empty()) {
    JsonWriter w;
    w.BeginObject().Key("pages").BeginArray();
    for (const auto& p : pages_->List()) write(w, p);
    w.EndArray().EndObject();
    return DataResponse(w.str());
  }
  if (id.empty() || (request.method != "PUT" && request.method != "DELETE")) {
    return MethodNotAllowed(request, id.empty() ? "GET" : "PUT, DELETE");
  }
  if (!keys_) return ErrorResponse(Status::Unauthenticated("API keys are not enabled"));
  Result<auth::ApiKey> key = keys_->Authenticate(request.Header("authorization"), auth::kAdmin);
  if (!key.ok()) return ErrorResponse(key.status());
  if (request.method == "DELETE") {
    Status deleted = pages_->Delete(id);
    if (!deleted.ok()) return ErrorResponse(deleted);
    return DataResponse("{\"deleted\":true}");
  }
  Result<json::Fields> fields = json::ParseFields(request.body, {"name"}, {"services"}, 1000);
  if (!fields.ok()) return ErrorResponse(fields.status());
  incidents::StatusPage page;
  page.id = std::string(id);
  if (registry_.Find(page.id) || page.id.starts_with("category")) {
    return ErrorResponse(Status::InvalidArgument("id: \"" + page.id.substr(0, 64) +
                                                 "\" is taken by a built-in page; choose another"));
  }
  page.name = FieldOr(fields->strings, "name");
  for (const auto& service : fields->lists["services"]) {
    auto found = registry_.Find(service);
    if (!found) {
      return ErrorResponse(Status::InvalidArgument("services: " + UnknownService(service)));
    }
    page.services.push_back(found->id);
  }
  Result<incidents::StatusPage> put = pages_->Put(std::move(page), clock_.Now());
  if (!put.ok()) return ErrorResponse(put.status());
  JsonWriter w;
  write(w, *put);
  return DataResponse(w.str());
}

HttpResponse Api::IncidentFeed(const HttpRequest& request) {
  if (!records_) return ErrorResponse(503, "unavailable", "incident records are not kept");
  std::string service;
  AtomFeedInput feed;
  feed.title = "outagemap incidents";
  feed.self_path = "/api/v1/incidents.atom";
  if (QueryParam(request.query, "service", service)) {
    auto found = registry_.Find(service);
    if (!found) {
      return ErrorResponse(Status::NotFound(UnknownService(service)));
    }
    service = found->id;
    feed.title = found->name + " incidents";
    feed.self_path += "?service=" + service;
  }
  Result<size_t> limit = ParseLimit(request.query, 50, 1000);
  if (!limit.ok()) return ErrorResponse(limit.status());
  // A member's updates continue in its group's incident, which covers its service.
  auto of_service = [&](const auto& r) {
    return r.merged_into.empty() && (service.empty() || r.Covers(service));
  };
  for (auto& record : records_->List(*limit, of_service)) {
    if (auto s = registry_.Find(record.service)) {
      feed.service_names.emplace_back(s->id, s->name);
    }
    feed.incidents.push_back(std::move(record));
  }
  std::string_view host = request.Header("host");
  feed.base_url = "http://" + std::string(host.empty() ? "localhost" : host.substr(0, 256));
  feed.now_ms = ToUnixMillis(clock_.Now());
  HttpResponse r;
  r.content_type = "application/atom+xml; charset=utf-8";
  r.body = RenderAtomFeed(feed);
  return r;
}

HttpResponse Api::GetStatuspage(const HttpRequest& request, std::string id,
                                std::string_view document) {
  StatuspageView view;
  std::vector<catalog::Service> services;
  if (id.starts_with("category:")) {
    // A page of every service of one catalog category, one component each.
    std::string category = id.substr(9);
    for (auto& s : registry_.Services()) {
      if (s.category == category) services.push_back(std::move(s));
    }
    view.group = true;
    view.page_name = category + " services";
    view.page_path = "/";
  } else if (auto service = registry_.Find(id)) {
    services.push_back(std::move(*service));
    view.page_name = services[0].name;
    view.page_path = "/services/" + services[0].id;
    id = services[0].id;
  } else if (auto page = pages_ ? pages_->Find(id) : std::nullopt) {
    // An operator's page of chosen services, one component each.
    for (const auto& member : page->services) {
      if (auto s = registry_.Find(member)) services.push_back(std::move(*s));
    }
    view.group = true;
    view.page_name = page->name;
    view.page_path = "/";
  }
  if (services.empty()) {
    return ErrorResponse(Status::NotFound("unknown page \"" + id.substr(0, 64) + "\""));
  }
  view.page_id = id;
  auto detection = detector_.Snapshot();
  for (const auto& s : services) view.members.push_back({&s, detection->Find(s.id)});
  auto member = [&](const std::string& service) {
    return std::any_of(services.begin(), services.end(),
                       [&](const auto& s) { return s.id == service; });
  };
  if (records_) {
    // A member's updates continue in its group's incident, which lists the member's service.
    auto of_member = [&](const incidents::IncidentRecord& r) {
      return r.merged_into.empty() && std::any_of(r.services.begin(), r.services.end(), member);
    };
    view.incidents = records_->List(options_.max_archived_incidents, of_member);
  }
  if (maintenances_) {
    for (auto& m : maintenances_->List("")) {
      if (member(m.service)) view.maintenances.push_back(std::move(m));
    }
  }
  std::string_view host = request.Header("host");
  view.base_url = "http://" + std::string(host.empty() ? "localhost" : host.substr(0, 256));
  view.now_ms = ToUnixMillis(clock_.Now());
  view.service_name = [this](const std::string& service) {
    auto found = registry_.Find(service);
    return found ? found->name : service;
  };
  HttpResponse r;
  r.body = StatuspageDocument(document, view);
  if (r.body.empty()) return ErrorResponse(404, "not_found", "no such endpoint: " + request.path);
  // Status widgets read these from other sites' pages.
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  r.headers.emplace_back("Cache-Control", "max-age=10");
  return r;
}

HttpResponse Api::PostIncidentAction(std::string_view id, std::string_view action,
                                     const HttpRequest& request) {
  if (!keys_) return ErrorResponse(Status::Unauthenticated("API keys are not enabled"));
  Result<auth::ApiKey> key =
      keys_->Authenticate(request.Header("authorization"), auth::kIncidentWrite);
  if (!key.ok()) return ErrorResponse(key.status());
  if (!records_) return ErrorResponse(503, "unavailable", "incident records are not kept");
  Result<incidents::IncidentRecord> done = Status::Internal("no action");
  if (action == "merge") {
    Result<json::Fields> fields = json::ParseFields(request.body, {}, {"from"});
    if (!fields.ok()) return ErrorResponse(fields.status());
    done = records_->Merge(id, fields->lists["from"], key->name, clock_.Now());
  } else if (action == "split") {
    Result<json::Fields> fields = json::ParseFields(request.body, {}, {"services"});
    if (!fields.ok()) return ErrorResponse(fields.status());
    done = records_->Split(id, fields->lists["services"], key->name, clock_.Now());
  } else {
    Result<json::Fields> fields =
        json::ParseFields(request.body, {"body", "status", "impact"}, {"components"});
    if (!fields.ok()) return ErrorResponse(fields.status());
    std::optional<incidents::IncidentStatus> status;
    std::optional<incidents::Impact> impact;
    std::optional<std::vector<std::string>> components;
    if (auto it = fields->strings.find("status"); it != fields->strings.end()) {
      Result<incidents::IncidentStatus> parsed =
          incidents::ParseIncidentStatus(it->second, "status");
      if (!parsed.ok()) return ErrorResponse(parsed.status());
      status = *parsed;
    }
    if (auto it = fields->strings.find("impact"); it != fields->strings.end()) {
      Result<incidents::Impact> parsed = incidents::ParseImpact(it->second, "impact");
      if (!parsed.ok()) return ErrorResponse(parsed.status());
      impact = *parsed;
    }
    if (auto it = fields->lists.find("components"); it != fields->lists.end()) {
      std::optional<incidents::IncidentRecord> record = records_->Find(id);
      if (!record) {
        return ErrorResponse(
            Status::NotFound("unknown incident \"" + std::string(id.substr(0, 64)) + "\""));
      }
      Status known = CheckComponents(*record, it->second);
      if (!known.ok()) return ErrorResponse(known);
      components = it->second;
    }
    auto body = fields->strings.find("body");
    done = records_->PostUpdate(id, status, impact, std::move(components),
                                body == fields->strings.end() ? "" : body->second, key->name,
                                clock_.Now());
  }
  if (!done.ok()) return ErrorResponse(done.status());
  HttpResponse r = GetIncident(done->id);
  r.status = action == "updates" ? 201 : 200;
  return r;
}

Status Api::CheckComponents(const incidents::IncidentRecord& record,
                            const std::vector<std::string>& components) const {
  // The Statuspage component ids of its services' pages: "{service}-{n}", n from 1.
  std::vector<std::string> known;
  for (const auto& service : record.services) {
    auto found = registry_.Find(service);
    size_t n = found ? std::max<size_t>(1, found->components.size()) : 1;
    for (size_t k = 1; k <= n; ++k) known.push_back(service + "-" + std::to_string(k));
  }
  for (const auto& c : components) {
    if (std::find(known.begin(), known.end(), c) == known.end()) {
      std::string list;
      for (const auto& k : known) list.append(list.empty() ? "" : ", ").append(k);
      return Status::InvalidArgument("components: \"" + c.substr(0, 64) +
                                     "\" is not a component of " + record.id + " (" + list + ")");
    }
  }
  return Status::Ok();
}

}  // namespace om::api
