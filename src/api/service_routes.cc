#include "api/service_routes.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "api/counts.h"
#include "api/incident_json.h"
#include "api/params.h"
#include "api/response.h"
#include "base/json_writer.h"
#include "detect/footprint.h"
#include "detect/localize.h"

namespace om::api {
namespace {

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

ServiceRoutes::ServiceRoutes(const ApiOptions& options, ingest::ServiceRegistry& registry,
                             const store::CountStore& counts, const geo::Gazetteer& gazetteer,
                             const detect::Detector& detector,
                             const incidents::IncidentTracker& incidents,
                             const official::OfficialStatus& official, const Clock& clock)
    : max_places_(options.max_places),
      max_series_points_(options.max_series_points),
      registry_(registry),
      counts_(counts),
      gazetteer_(gazetteer),
      detector_(detector),
      incidents_(incidents),
      official_(official),
      clock_(clock) {}

void ServiceRoutes::Register(Router& router) {
  router.Register({.method = "GET", .pattern = "/api/v1/services", .cacheable = true},
                  [this](const RouteCall& call) { return ListServices(call.request); });
  router.Register({.method = "GET", .pattern = "/api/v1/services/{id}", .cacheable = true},
                  [this](const RouteCall& call) { return GetService(call.Param("id")); });
  router.Register(
      {.method = "GET", .pattern = "/api/v1/services/{id}/series", .cacheable = true},
      [this](const RouteCall& call) { return GetSeries(call.Param("id"), call.request); });
  router.Register(
      {.method = "GET", .pattern = "/api/v1/services/{id}/places", .cacheable = true},
      [this](const RouteCall& call) { return GetPlaces(call.Param("id"), call.request); });
}

Result<HttpResponse> ServiceRoutes::ListServices(const HttpRequest& request) {
  int64_t now_minute = FloorMinute(ToUnixMillis(clock_.Now()));
  std::string category, q, status;
  QueryParam(request.query, "category", category);
  QueryParam(request.query, "q", q);
  if (QueryParam(request.query, "status", status) && status != "normal" && status != "possible" &&
      status != "outage") {
    return Status::InvalidArgument("status: must be normal, possible or outage");
  }
  std::string value;
  bool sparkline = false;
  if (QueryParam(request.query, "sparkline", value)) {
    if (value != "24h") return Status::InvalidArgument("sparkline: must be 24h");
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
  counts_.Read([&](const store::Aggregates& a) {
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

Result<HttpResponse> ServiceRoutes::GetService(std::string_view id) {
  auto service = registry_.Find(id);
  if (!service) return Status::NotFound(UnknownService(id));
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
  if (std::optional<official::OfficialState> said = official_.Find(service->id)) {
    WriteOfficial(w, *said, service->id);
  } else {
    w.Key("official").Null();
  }
  counts_.Read([&](const store::Aggregates& a) {
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

Result<HttpResponse> ServiceRoutes::GetSeries(std::string_view id, const HttpRequest& request) {
  auto service = registry_.Find(id);
  if (!service) return Status::NotFound(UnknownService(id));
  int64_t now_ms = ToUnixMillis(clock_.Now());
  Result<TimeRange> range = ParseRange(request, now_ms + 60000 - now_ms % 60000, kMillisPerDay);
  if (!range.ok()) return range.status();
  int64_t step_minutes = 1;
  std::string value;
  if (QueryParam(request.query, "step", value)) {
    Result<int64_t> step = ParseStepMinutes(value);
    if (!step.ok()) return step.status();
    step_minutes = *step;
  }
  int64_t from_minute = FloorMinute(range->from_ms);
  int64_t to_minute = FloorMinute(range->to_ms + 59999);
  int64_t points = (to_minute - from_minute + step_minutes - 1) / step_minutes;
  if (static_cast<size_t>(points) > max_series_points_) {
    return Status::InvalidArgument("step: too many points (" + std::to_string(points) + " > " +
                                   std::to_string(max_series_points_) + "); use a larger step");
  }
  bool with_expected = false;
  if (QueryParam(request.query, "expected", value)) {
    if (value != "1" && value != "0") {
      return Status::InvalidArgument("expected: must be 1 or 0");
    }
    with_expected = value == "1";
  }
  std::vector<double> expected;
  auto answer = counts_.Read([&](const store::Aggregates& a) {
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

Result<HttpResponse> ServiceRoutes::GetPlaces(std::string_view id, const HttpRequest& request) {
  auto service = registry_.Find(id);
  if (!service) return Status::NotFound(UnknownService(id));
  int64_t now_ms = ToUnixMillis(clock_.Now());
  Result<TimeRange> range = ParseRange(request, now_ms + 60000 - now_ms % 60000, kMillisPerHour);
  if (!range.ok()) return range.status();
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
    return Status::InvalidArgument("level: must be city, region or country");
  }
  Result<size_t> limit_param = ParseLimit(request.query, 20, max_places_);
  if (!limit_param.ok()) return limit_param.status();
  size_t limit = *limit_param;
  std::string rank = "excess";
  QueryParam(request.query, "rank", rank);
  if (rank != "excess" && rank != "reports") {
    return Status::InvalidArgument("rank: must be excess or reports");
  }
  int64_t from_minute = FloorMinute(range->from_ms), to_minute = FloorMinute(range->to_ms + 59999);
  // Both rankings come back as PlaceExcess rows; with rank=reports only `observed` is filled.
  struct Answer {
    // Cities by excess: every city (the scope judges them all); the first `limit` are listed.
    detect::Localization localization;
    double expected_total = 0;
    double observed_total = 0;
  };
  Answer answer = counts_.Read([&](const store::Aggregates& a) {
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

void ServiceRoutes::WriteOfficial(JsonWriter& w, const official::OfficialState& said,
                                  std::string_view service) {
  auto time_or_null = [&](std::string_view key, int64_t ms) {
    if (ms) {
      w.Key(key).String(FormatRfc3339(FromUnixMillis(ms)));
    } else {
      w.Key(key).Null();
    }
  };
  w.Key("official").BeginObject();
  if (said.level) {
    w.Key("status").String(official::LevelName(*said.level));
  } else {
    w.Key("status").Null();
  }
  w.Key("description").String(said.description);
  time_or_null("since", said.since_ms);
  time_or_null("checked_at", said.checked_ms);
  w.Key("source").String(said.url);
  if (said.error.empty()) {
    w.Key("error").Null();
  } else {
    w.Key("error").String(said.error);
  }
  // How the page followed the crowd's incidents of the last 90 days.
  official::Accuracy accuracy = official_.RecentAccuracy(service, ToUnixMillis(clock_.Now()));
  if (accuracy.incidents == 0) {
    w.Key("accuracy").Null();
  } else {
    w.Key("accuracy").BeginObject().Key("period_days").Int(official::kAccuracyPeriodDays);
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

}  // namespace om::api
