#pragma once
// Where an outage is and how far it reaches: its cities ranked by excess over their usual share,
// the ISO 3166-2 regions of its footprint, and its scope (local, regional, national,
// multinational). Shared by the incident JSON of the API and `backtest`, the incident records'
// regions (what region subscriptions match) and /places. An outage is given as a service and a
// window of minutes [started_minute, end_minute), so this module needs no incident type.
//
// REQUIRES for every function taking Aggregates: the caller holds the aggregates' read lock.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "detect/detector.h"
#include "detect/localize.h"
#include "geo/gazetteer.h"
#include "store/aggregates.h"

namespace om::detect {

// A footprint city with its excess reports (observed - expected).
struct FootprintCity {
  const geo::City* city;
  double excess;
};

// Scope of a footprint, judged on where most of its excess lies (so one stray city across a
// border does not make an outage multinational): local (80% within 100 km of the first city),
// regional (80% in one admin-1 region, or within 400 km), national (90% in one country),
// multinational.
// Empty without cities.
// With `total_excess` > 0 the shares are of that total (the excess of the service as a whole)
// rather than of the footprint's sum.
std::string_view ScopeOf(const std::vector<FootprintCity>& footprint, double total_excess = 0);

// The scope of an outage from `cities`, every city's localisation (best first): ScopeOf its
// footprint (in_footprint), local, regional or none, is national when regions of the first city's
// country holding at least 80% of its usual reports are well above their usual count, and stays
// as it is otherwise, once those regions expect enough reports to tell (a few). Without that
// evidence (a small service), it is widened (never narrowed) when the reports say more than those
// cities do. When the first city's region has a significant excess beyond 100 km of it too (a
// region of small cities around one metropolis), it is at least regional. When most of
// `service_excess` (the service's reports over its baseline in the window) lies beyond that
// judgement, counting every city with reports above its usual share, it takes that wider scope, at
// most national: with a few dozen reports, noise across borders cannot tell national from
// multinational. Empty without evidence.
std::string_view JudgeScope(const Localization& cities, const geo::Gazetteer& gazetteer,
                            double service_excess);

// The service's usual reports in minutes [started_minute, end_minute): each quarter hour's part
// of the window at that quarter hour's baseline, over the window's first day (a longer window goes
// on at the first day's mean). NaN when the service is too young to have a baseline.
double ExpectedOverWindow(const store::Aggregates& aggregates, uint32_t service,
                          const Detector& detector, int64_t started_minute, int64_t end_minute);

// The cities of the outage of `service` (an Aggregates index) in minutes
// [started_minute, end_minute) (at least one), ranked by excess over their usual share, the
// expected count of the whole window being ExpectedOverWindow: an outage that runs from a quiet
// hour into a busy one is not measured against its quiet onset alone.
Localization LocalizeOutage(const store::Aggregates& aggregates, uint32_t service,
                            const Detector& detector, int64_t started_minute, int64_t end_minute,
                            size_t max_cities,
                            const std::vector<store::KeyCount>* city_history = nullptr);

// The service's reports over its baseline in [started_minute, end_minute): its count minus
// ExpectedOverWindow.
double OutageExcess(const store::Aggregates& aggregates, uint32_t service, const Detector& detector,
                    int64_t started_minute, int64_t end_minute);

// The ISO 3166-2 regions ("US-MN") of the cities in the outage's footprint (LocalizeOutage with
// up to 50 cities), in footprint order without repeats: what incident records keep and region
// subscriptions match.
std::vector<std::string> FootprintRegions(
    const store::Aggregates& aggregates, uint32_t service, const Detector& detector,
    const geo::Gazetteer& gazetteer, int64_t started_minute, int64_t end_minute,
    const std::vector<store::KeyCount>* city_history = nullptr);

}  // namespace om::detect
