#include "detect/footprint.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <unordered_map>

#include "base/time.h"
#include "detect/poisson.h"

namespace om::detect {
namespace {

// A country is out when regions holding this share of its usual reports are (the randomised
// worlds' truth says the same, docs/detection.md#randomised-worlds).
constexpr double kNationalCoverage = 0.8;

// The gazetteer's city for a Localization key (a GeoNames id in decimal); null when unknown.
const geo::City* CityOfKey(const geo::Gazetteer& gazetteer, const std::string& key) {
  uint32_t geonameid = 0;
  std::from_chars(key.data(), key.data() + key.size(), geonameid);
  geo::CityId city = gazetteer.FindByGeonameId(geonameid);
  return city == geo::kNoCity ? nullptr : &gazetteer.city(city);
}

// Reports of one region in an outage's window, and its usual count for the window.
struct RegionVolume {
  double observed = 0, expected = 0;
};

// The share of a country's usual reports, summed over its `regions`, that lies in regions well
// above their usual count: at least 1.5 times it, and at least a third of the ratio of the region
// with the most excess (the outage's core; a relative test, since every expectation of a window
// shares the baseline's error). Nullopt when the regions expect too few reports to tell
// (kMinJudgedReports), when only one region has any, or when no region is twice its usual count.
std::optional<double> CountryCoverage(
    const std::unordered_map<geo::RegionId, RegionVolume>& regions) {
  constexpr double kMinJudgedReports = 3, kMinRegionReports = 1;
  auto ratio = [](const RegionVolume& r) { return (r.observed + 1) / (r.expected + 1); };
  double core_excess = 0, core_ratio = 0;
  for (const auto& [region, r] : regions) {
    if (r.observed - r.expected > core_excess) {
      core_excess = r.observed - r.expected;
      core_ratio = ratio(r);
    }
  }
  if (core_ratio < 2) return std::nullopt;
  double judged = 0, affected = 0;
  int judged_regions = 0;
  for (const auto& [region, r] : regions) {
    const bool up = ratio(r) >= std::max(1.5, core_ratio / 3);
    if (r.expected >= kMinRegionReports || up) {
      judged += r.expected;
      ++judged_regions;
    }
    if (up) affected += r.expected;
  }
  // One region is no evidence of how much of a country is out.
  if (judged < kMinJudgedReports || judged_regions < 2) return std::nullopt;
  return affected / judged;
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
  // cities of the first one's region beyond 100 km of it; and the volumes of the regions of the
  // first one's country, the places without a report in the window counted at their usual count.
  std::vector<FootprintCity> footprint, spread;
  std::unordered_map<geo::RegionId, RegionVolume> country_regions;
  double far_observed = 0, far_expected = 0;
  const geo::City* top = nullptr;
  for (const auto& p : cities.places) {
    const geo::City* c = CityOfKey(gazetteer, p.key);
    if (!c) continue;
    if (!top) top = c;
    if (c->country_id == top->country_id) {
      RegionVolume& r = country_regions[c->region];
      r.observed += static_cast<double>(p.observed);
      r.expected += p.expected;
    }
    if (c->region == top->region && geo::DistanceKm(top->lat, top->lon, c->lat, c->lon) > 100) {
      far_observed += static_cast<double>(p.observed);
      far_expected += p.expected;
    }
    double excess = static_cast<double>(p.observed) - p.expected;
    if (p.in_footprint) footprint.push_back({c, excess});
    if (excess > 0) spread.push_back({c, excess});
  }
  for (const auto& [key, expected] : cities.quiet) {
    const geo::City* c = top ? CityOfKey(gazetteer, key) : nullptr;
    if (c && c->country_id == top->country_id) country_regions[c->region].expected += expected;
  }
  std::string_view scope = ScopeOf(footprint);
  // Whether the outage covers its country: judged on the regions' volumes, where the truth of a
  // map reader lies (a country is out when most of its users are), not on distances (a small
  // country's national outage lies within 400 km).
  if (std::optional<double> coverage = CountryCoverage(country_regions);
      coverage && (scope.empty() || scope == "local" || scope == "regional")) {
    if (*coverage >= kNationalCoverage) return "national";
    // Less than that: the footprint says where, and a wider spread of small excesses does not
    // make it national.
    return scope.empty() ? "regional" : scope;
  }
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

double ExpectedOverWindow(const store::Aggregates& aggregates, uint32_t service,
                          const Detector& detector, int64_t started_minute, int64_t end_minute) {
  // One baseline per quarter hour the window touches, over its first day; a longer window is
  // taken to go on at the first day's mean (an incident of several days is rare, and reading
  // every quarter hour of it on each API read would not be).
  const int64_t covered_end = std::min(end_minute, started_minute + kMinutesPerDay);
  std::vector<int64_t> starts;  // the minutes at which a quarter hour's part of the window begins
  for (int64_t q = started_minute; q < covered_end; q = std::min(covered_end, (q / 15 + 1) * 15)) {
    starts.push_back(q);
  }
  if (starts.empty()) return 0;
  std::vector<double> per_minute = detector.ExpectedPerMinute(aggregates, service, starts);
  double expected = 0;
  for (size_t k = 0; k < starts.size(); ++k) {
    int64_t next = std::min(covered_end, (starts[k] / 15 + 1) * 15);
    expected += per_minute[k] * static_cast<double>(next - starts[k]);
  }
  return expected * static_cast<double>(end_minute - started_minute) /
         static_cast<double>(covered_end - started_minute);
}

Localization LocalizeOutage(const store::Aggregates& aggregates, uint32_t service,
                            const Detector& detector, int64_t started_minute, int64_t end_minute,
                            size_t max_cities, const std::vector<store::KeyCount>* city_history) {
  end_minute = std::max(end_minute, started_minute + 1);
  const double expected =
      ExpectedOverWindow(aggregates, service, detector, started_minute, end_minute);
  if (city_history) {
    return Localize(aggregates, service, store::Dimension::kCity, started_minute, end_minute,
                    expected, max_cities, {}, *city_history);
  }
  return Localize(aggregates, service, store::Dimension::kCity, started_minute, end_minute,
                  expected, max_cities);
}

double OutageExcess(const store::Aggregates& aggregates, uint32_t service, const Detector& detector,
                    int64_t started_minute, int64_t end_minute) {
  return static_cast<double>(aggregates.Total(service, started_minute, end_minute)) -
         ExpectedOverWindow(aggregates, service, detector, started_minute, end_minute);
}

std::vector<std::string> FootprintRegions(const store::Aggregates& aggregates, uint32_t service,
                                          const Detector& detector, const geo::Gazetteer& gazetteer,
                                          int64_t started_minute, int64_t end_minute,
                                          const std::vector<store::KeyCount>* city_history) {
  std::vector<std::string> regions;
  constexpr size_t kMaxCities = 50;  // LocalizeOptions::max_footprint
  Localization l = LocalizeOutage(aggregates, service, detector, started_minute, end_minute,
                                  kMaxCities, city_history);
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
