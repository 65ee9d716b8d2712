#include "detect/footprint.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "detect/poisson.h"

namespace om::detect {
namespace {

// The gazetteer's city for a Localization key (a GeoNames id in decimal); null when unknown.
const geo::City* CityOfKey(const geo::Gazetteer& gazetteer, const std::string& key) {
  uint32_t geonameid = 0;
  std::from_chars(key.data(), key.data() + key.size(), geonameid);
  geo::CityId city = gazetteer.FindByGeonameId(geonameid);
  return city == geo::kNoCity ? nullptr : &gazetteer.city(city);
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

std::string_view JudgeScope(const Localization& cities, const geo::Gazetteer& gazetteer,
                            double service_excess) {
  // The footprint; every city with reports above its usual share (a small national outage has a
  // few reports in each of many cities, and only the largest stands out on its own); and the
  // cities of the first one's region beyond 100 km of it.
  std::vector<FootprintCity> footprint, spread;
  double far_observed = 0, far_expected = 0;
  const geo::City* top = nullptr;
  for (const auto& p : cities.places) {
    const geo::City* c = CityOfKey(gazetteer, p.key);
    if (!c) continue;
    if (!top) top = c;
    if (c->region == top->region && geo::DistanceKm(top->lat, top->lon, c->lat, c->lon) > 100) {
      far_observed += static_cast<double>(p.observed);
      far_expected += p.expected;
    }
    double excess = static_cast<double>(p.observed) - p.expected;
    if (p.in_footprint) footprint.push_back({c, excess});
    if (excess > 0) spread.push_back({c, excess});
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
             OverdispersedTailScore(far_observed, far_expected, kDispersion) >= kFarScore;
  // The service's excess as a whole is the denominator: unbiased, unlike the sum of the cities'
  // positive parts.
  std::string_view wide = ScopeOf(spread, service_excess);
  if (far && rank(wide) < 1) wide = "regional";
  // (Empty ranks past every scope: without a city there is no evidence to widen with.)
  if (!wide.empty() && rank(wide) > 2) wide = "national";
  if (!wide.empty() && (scope.empty() || rank(wide) > rank(scope))) scope = wide;
  return scope;
}

Localization LocalizeOutage(const store::Aggregates& aggregates, uint32_t service,
                            const Detector& detector, int64_t started_minute, int64_t end_minute,
                            size_t max_cities) {
  int64_t minutes = std::max<int64_t>(1, end_minute - started_minute);
  double expected = detector.ExpectedPerMinute(aggregates, service, started_minute) *
                    static_cast<double>(minutes);
  return Localize(aggregates, service, store::Dimension::kCity, started_minute, end_minute,
                  expected, max_cities);
}

double OutageExcess(const store::Aggregates& aggregates, uint32_t service, const Detector& detector,
                    int64_t started_minute, int64_t end_minute) {
  double excess = static_cast<double>(aggregates.Total(service, started_minute, end_minute));
  std::vector<int64_t> starts;  // the minutes at which a quarter hour's part of the window begins
  for (int64_t q = started_minute; q < end_minute && q < started_minute + 1440;
       q = std::min(end_minute, (q / 15 + 1) * 15)) {
    starts.push_back(q);
  }
  std::vector<double> per_minute = detector.ExpectedPerMinute(aggregates, service, starts);
  for (size_t k = 0; k < starts.size(); ++k) {
    int64_t next = std::min(end_minute, (starts[k] / 15 + 1) * 15);
    excess -= per_minute[k] * static_cast<double>(next - starts[k]);
  }
  return excess;
}

std::vector<std::string> FootprintRegions(const store::Aggregates& aggregates, uint32_t service,
                                          const Detector& detector, const geo::Gazetteer& gazetteer,
                                          int64_t started_minute, int64_t end_minute) {
  std::vector<std::string> regions;
  constexpr size_t kMaxCities = 50;  // LocalizeOptions::max_footprint
  Localization l =
      LocalizeOutage(aggregates, service, detector, started_minute, end_minute, kMaxCities);
  for (const auto& p : l.places) {
    if (!p.in_footprint) continue;
    const geo::City* c = CityOfKey(gazetteer, p.key);
    if (!c) continue;
    std::string code(gazetteer.region_code(c->region));
    if (!code.empty() && std::find(regions.begin(), regions.end(), code) == regions.end()) {
      regions.push_back(std::move(code));
    }
  }
  return regions;
}

}  // namespace om::detect
