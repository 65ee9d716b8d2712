#pragma once
// The JSON shape of an incident, shared by /api/v1/incidents and `outagemap backtest` (whose
// output format DESIGN.md fixes): id, service, state, started_at, detected_at, resolved_at,
// peak_at, peak_reports_per_min, expected_per_min_at_peak, reports, problems, errors, cities
// (most impacted first, ranked by excess) and scope.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json_writer.h"
#include "detect/detector.h"
#include "detect/localize.h"
#include "geo/gazetteer.h"
#include "incidents/incident_records.h"
#include "incidents/incident_tracker.h"
#include "store/aggregates.h"

namespace om::api {

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
// footprint (in_footprint), widened (never narrowed) when the reports say more than those cities
// do. When the first city's region has a significant excess beyond 100 km of it too (a region of
// small cities around one metropolis), it is at least regional. When most of `service_excess`
// (the service's reports over its baseline in the window) lies beyond that judgement, counting
// every city with reports above its usual share, it takes that wider scope, at most national:
// with a few dozen reports, noise across borders cannot tell national from multinational. Empty
// without evidence.
std::string_view JudgeScope(const detect::Localization& cities, const geo::Gazetteer& gazetteer,
                            double service_excess);

// Writes "scope": `scope`, or null when it is empty.
void WriteScope(JsonWriter& w, std::string_view scope);

// Writes one incident. Open incidents are measured up to `now_minute`. Cities are those with a
// significant excess over their usual share (detect::Localize), or (`rank_cities_by_excess`
// false, for the reference method) the largest raw counts, with `expected` 0 and `score` the
// count. REQUIRES: the caller
// holds the aggregates' read lock.
// `extra`, when given, writes more fields before the object closes.
void WriteIncidentJson(JsonWriter& w, const incidents::Incident& incident,
                       const store::Aggregates& aggregates, const geo::Gazetteer& gazetteer,
                       const detect::Detector& detector, int64_t now_minute, size_t max_cities,
                       bool rank_cities_by_excess = true,
                       const std::function<void(JsonWriter&)>& extra = nullptr);

// The ISO 3166-2 regions ("US-MN") of the cities in an open incident's footprint, measured up to
// `now_minute`, in footprint order without repeats: what records keep and region subscriptions
// match. REQUIRES: the caller holds the aggregates' read lock.
std::vector<std::string> FootprintRegions(const incidents::Incident& incident,
                                          const store::Aggregates& aggregates,
                                          const geo::Gazetteer& gazetteer,
                                          const detect::Detector& detector, int64_t now_minute);

// The followed incident's fields: "status" and "impact" (Statuspage's names) and "updates"
// (oldest first: at, status, body, author). Without a record (none kept, or not yet synced), the
// status follows the crowd state (investigating or resolved), impact is null and there are no
// updates.
void WriteRecordFields(JsonWriter& w, const incidents::IncidentRecord* record, bool crowd_open);

}  // namespace om::api
