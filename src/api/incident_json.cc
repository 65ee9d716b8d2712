#include "api/incident_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "base/time.h"
#include "detect/localize.h"
#include "detect/phrases.h"
#include "detect/poisson.h"

namespace om::api {
namespace {

// The incident's cities in minutes [started, end), ranked by excess over their usual share.
detect::Localization LocalizeCities(const incidents::Incident& i, const store::Aggregates& a,
                                    uint32_t idx, const detect::Detector& detector, int64_t end,
                                    size_t max_cities) {
  int64_t minutes = std::max<int64_t>(1, end - i.started_minute);
  double expected =
      detector.ExpectedPerMinute(a, idx, i.started_minute) * static_cast<double>(minutes);
  return detect::Localize(a, idx, store::Dimension::kCity, i.started_minute, end, expected,
                          max_cities);
}

}  // namespace

std::string_view ScopeOf(const std::vector<FootprintCity>& footprint, double total_excess) {
  if (footprint.empty()) return {};
  const geo::City& first = *footprint[0].city;
  double total = 0, near = 0, in_region = 0, in_country = 0, within_400 = 0;
  for (const FootprintCity& f : footprint) {
    double e = std::max(f.excess, 0.0);
    double km = geo::DistanceKm(first.lat, first.lon, f.city->lat, f.city->lon);
    total += e;
    near += km <= 100 ? e : 0;
    within_400 += km <= 400 ? e : 0;
    in_region += f.city->region == first.region ? e : 0;
    in_country += f.city->country_id == first.country_id ? e : 0;
  }
  if (total_excess > 0) total = total_excess;
  if (total <= 0) total = 1, near = in_region = in_country = within_400 = 1;
  // 80% of the excess decides local and regional; a single country needs 90%, since a few
  // percent abroad (a neighbouring country's users of a national service) is common but an
  // outage in two countries' worth of reports usually puts a fifth or more in the second.
  constexpr double kMost = 0.8, kOneCountry = 0.9;
  if (near >= kMost * total) return "local";
  if (in_region >= kMost * total || (in_country >= kMost * total && within_400 >= kMost * total)) {
    return "regional";
  }
  if (in_country >= kOneCountry * total) return "national";
  return "multinational";
}

void WriteScope(JsonWriter& w, std::string_view scope) {
  if (scope.empty()) {
    w.Key("scope").Null();
  } else {
    w.Key("scope").String(scope);
  }
}

std::string_view JudgeScope(const detect::Localization& cities, const geo::Gazetteer& gazetteer,
                            double service_excess) {
  // The footprint; every city with reports above its usual share (a small national outage has a
  // few reports in each of many cities, and only the largest stands out on its own); and the
  // cities of the first one's region beyond 100 km of it.
  std::vector<FootprintCity> footprint, spread;
  double far_observed = 0, far_expected = 0;
  const geo::City* top = nullptr;
  for (const auto& p : cities.places) {
    uint32_t geonameid = 0;
    std::from_chars(p.key.data(), p.key.data() + p.key.size(), geonameid);
    geo::CityId city = gazetteer.FindByGeonameId(geonameid);
    if (city == geo::kNoCity) continue;
    const geo::City& c = gazetteer.city(city);
    if (!top) top = &c;
    if (c.region == top->region && geo::DistanceKm(top->lat, top->lon, c.lat, c.lon) > 100) {
      far_observed += static_cast<double>(p.observed);
      far_expected += p.expected;
    }
    double excess = static_cast<double>(p.observed) - p.expected;
    if (p.in_footprint) footprint.push_back({&c, excess});
    if (excess > 0) spread.push_back({&c, excess});
  }
  std::string_view scope = ScopeOf(footprint);
  if (!(scope.empty() || scope == "local" || scope == "regional") || service_excess <= 0) {
    return scope;
  }
  static constexpr std::string_view kOrder[] = {"local", "regional", "national", "multinational"};
  auto rank = [](std::string_view sc) {
    return std::find(std::begin(kOrder), std::end(kOrder), sc) - std::begin(kOrder);
  };
  constexpr double kFarScore = 8, kFarExcess = 5, kDispersion = 0.02;
  bool far = far_observed - far_expected >= kFarExcess &&
             detect::OverdispersedTailScore(far_observed, far_expected, kDispersion) >= kFarScore;
  // The service's excess as a whole is the denominator: unbiased, unlike the sum of the cities'
  // positive parts.
  std::string_view wide = ScopeOf(spread, service_excess);
  if (far && rank(wide) < 1) wide = "regional";
  if (rank(wide) > 2) wide = "national";
  if (!wide.empty() && (scope.empty() || rank(wide) > rank(scope))) scope = wide;
  return scope;
}

void WriteIncidentJson(JsonWriter& w, const incidents::Incident& i, const store::Aggregates& a,
                       const geo::Gazetteer& gazetteer, const detect::Detector& detector,
                       int64_t now_minute, size_t max_cities, bool rank_cities_by_excess,
                       const std::function<void(JsonWriter&)>& extra) {
  auto time = [](int64_t minute) { return FormatRfc3339(FromUnixMillis(minute * 60000)); };
  w.BeginObject().Key("id").String(i.id).Key("service").String(i.service);
  w.Key("state").String(i.open() ? "open" : "resolved");
  w.Key("started_at").String(time(i.started_minute));
  w.Key("detected_at").String(time(i.detected_minute));
  if (i.open()) {
    w.Key("resolved_at").Null();
  } else {
    w.Key("resolved_at").String(time(i.resolved_minute));
  }
  w.Key("peak_at").String(time(i.peak_minute));
  w.Key("peak_reports_per_min").Uint(i.peak_reports_per_minute);
  w.Key("expected_per_min_at_peak").Double(i.expected_per_minute_at_peak, 4);
  w.Key("reports").Uint(i.reports);
  w.Key("origin").String(i.external() ? "external" : "internal");
  if (i.external()) {
    w.Key("upstream").BeginObject().Key("service").String(i.upstream_service);
    w.Key("incident").String(i.upstream_incident);
    w.Key("basis").String(i.upstream_learned ? "learned" : "catalog").EndObject();
  } else {
    w.Key("upstream").Null();
  }
  w.Key("related").BeginArray();
  for (const auto& id : i.related) w.String(id);
  w.EndArray();
  w.Key("problems").BeginArray();
  for (const auto& p : i.problems) {
    w.BeginObject().Key("problem").String(p.problem).Key("share").Double(p.share, 4).EndObject();
  }
  w.EndArray();
  int64_t end = i.open() ? now_minute + 1 : i.resolved_minute;
  auto idx = a.ServiceIndex(i.service);
  // Error codes and phrases of the incident's report texts.
  std::vector<detect::Phrase> phrases =
      idx ? detect::TopPhrases(a.RecentTexts(*idx, i.started_minute, end), 5)
          : std::vector<detect::Phrase>{};
  w.Key("errors").BeginArray();
  for (const auto& p : phrases) {
    w.BeginObject().Key("text").String(p.text);
    if (p.code.empty()) {
      w.Key("code").Null();
    } else {
      w.Key("code").String(p.code);
    }
    w.Key("count").Uint(p.count).Key("share").Double(p.share, 4).EndObject();
  }
  w.EndArray();
  // Most impacted cities over the incident so far, ranked by excess (as /places): every city is
  // localised once, for the scope; the first max_cities are listed.
  detect::Localization l;
  double service_excess = 0;
  if (idx && !rank_cities_by_excess) {
    for (auto& kc : a.Top(*idx, store::Dimension::kCity, i.started_minute, end, max_cities)) {
      detect::PlaceExcess p;
      p.key = std::move(kc.key);
      p.observed = kc.count;
      p.score = static_cast<double>(kc.count);
      p.in_footprint = l.places.size() < 3;  // the naive footprint: the three largest counts
      l.places.push_back(std::move(p));
    }
  } else if (idx) {
    constexpr size_t kAllCities = 5000;
    l = LocalizeCities(i, a, *idx, detector, end, kAllCities);
    // The service's excess over the incident, against the baseline of each of its quarter hours
    // (at most a day of them).
    service_excess = static_cast<double>(a.Total(*idx, i.started_minute, end));
    std::vector<int64_t> starts;  // the incident's minutes at which a quarter hour's part begins
    for (int64_t q = i.started_minute; q < end && q < i.started_minute + 1440;
         q = std::min(end, (q / 15 + 1) * 15)) {
      starts.push_back(q);
    }
    std::vector<double> per_minute = detector.ExpectedPerMinute(a, *idx, starts);
    for (size_t k = 0; k < starts.size(); ++k) {
      int64_t next = std::min(end, (starts[k] / 15 + 1) * 15);
      service_excess -= per_minute[k] * static_cast<double>(next - starts[k]);
    }
  }
  std::vector<FootprintCity> naive_footprint;
  w.Key("cities").BeginArray();
  for (size_t k = 0; k < l.places.size() && k < max_cities; ++k) {
    const detect::PlaceExcess& p = l.places[k];
    // Most impacted means beyond chance above its usual share.
    if (rank_cities_by_excess && !p.significant) continue;
    uint32_t geonameid = 0;
    std::from_chars(p.key.data(), p.key.data() + p.key.size(), geonameid);
    geo::CityId city = gazetteer.FindByGeonameId(geonameid);
    if (city == geo::kNoCity) continue;
    const geo::City& c = gazetteer.city(city);
    if (p.in_footprint) naive_footprint.push_back({&c, static_cast<double>(p.observed)});
    w.BeginObject().Key("geonameid").Uint(geonameid).Key("name").String(c.name);
    w.Key("country").String(c.country).Key("lat").Double(c.lat, 7).Key("lon").Double(c.lon, 7);
    w.Key("observed").Uint(p.observed).Key("expected").Double(p.expected, 4);
    w.Key("score").Double(p.score, 4).EndObject();
  }
  w.EndArray();
  WriteScope(w, rank_cities_by_excess ? JudgeScope(l, gazetteer, service_excess)
                                      : ScopeOf(naive_footprint));
  if (extra) extra(w);
  w.EndObject();
}

std::vector<std::string> FootprintRegions(const incidents::Incident& incident,
                                          const store::Aggregates& aggregates,
                                          const geo::Gazetteer& gazetteer,
                                          const detect::Detector& detector, int64_t now_minute) {
  std::vector<std::string> regions;
  auto idx = aggregates.ServiceIndex(incident.service);
  if (!idx) return regions;
  constexpr size_t kMaxCities = 50;  // LocalizeOptions::max_footprint
  detect::Localization l =
      LocalizeCities(incident, aggregates, *idx, detector, now_minute + 1, kMaxCities);
  for (const auto& p : l.places) {
    if (!p.in_footprint) continue;
    uint32_t geonameid = 0;
    std::from_chars(p.key.data(), p.key.data() + p.key.size(), geonameid);
    geo::CityId city = gazetteer.FindByGeonameId(geonameid);
    if (city == geo::kNoCity) continue;
    std::string code(gazetteer.region_code(gazetteer.city(city).region));
    if (!code.empty() && std::find(regions.begin(), regions.end(), code) == regions.end()) {
      regions.push_back(std::move(code));
    }
  }
  return regions;
}

void WriteRecordFields(JsonWriter& w, const incidents::IncidentRecord* record, bool crowd_open) {
  if (!record) {
    w.Key("status").String(crowd_open ? "investigating" : "resolved");
    w.Key("impact").Null();
    for (std::string_view key : {"services", "components", "regions"}) {
      w.Key(key).BeginArray().EndArray();
    }
    w.Key("merged_into").Null().Key("members").BeginArray().EndArray();
    w.Key("updates").BeginArray().EndArray();
    return;
  }
  w.Key("status").String(incidents::StatusName(record->status));
  w.Key("impact").String(incidents::ImpactName(record->impact));
  auto list = [&](std::string_view key, const std::vector<std::string>& items) {
    w.Key(key).BeginArray();
    for (const auto& item : items) w.String(item);
    w.EndArray();
  };
  list("services", record->services);
  list("components", record->components);
  list("regions", record->regions);
  if (record->merged_into.empty()) {
    w.Key("merged_into").Null();
  } else {
    w.Key("merged_into").String(record->merged_into);
  }
  list("members", record->members);
  w.Key("updates").BeginArray();
  for (const auto& u : record->updates) {
    w.BeginObject().Key("at").String(FormatRfc3339(FromUnixMillis(u.at_ms)));
    w.Key("status").String(incidents::StatusName(u.status)).Key("body").String(u.body);
    w.Key("author").String(u.author).EndObject();
  }
  w.EndArray();
}

}  // namespace om::api
