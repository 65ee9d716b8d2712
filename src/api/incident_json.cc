#include "api/incident_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "base/time.h"
#include "detect/footprint.h"
#include "detect/localize.h"
#include "detect/phrases.h"

namespace om::api {
void WriteScope(JsonWriter& w, std::string_view scope) {
  if (scope.empty()) {
    w.Key("scope").Null();
  } else {
    w.Key("scope").String(scope);
  }
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
    l = detect::LocalizeOutage(a, *idx, detector, i.started_minute, end, kAllCities);
    service_excess = detect::OutageExcess(a, *idx, detector, i.started_minute, end);
  }
  std::vector<detect::FootprintCity> naive_footprint;
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
  WriteScope(w, rank_cities_by_excess ? detect::JudgeScope(l, gazetteer, service_excess)
                                      : detect::ScopeOf(naive_footprint));
  if (extra) extra(w);
  w.EndObject();
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
