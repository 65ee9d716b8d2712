#pragma once
// The JSON shape of an incident, shared by /api/v1/incidents and `outagemap backtest` (whose
// output format DESIGN.md fixes): id, service, state, started_at, detected_at, resolved_at,
// peak_at, peak_reports_per_min, expected_per_min_at_peak, reports, problems, errors, cities
// (most impacted first, ranked by excess) and scope (detect/footprint.h measures them).

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

// The followed incident's fields: "status" and "impact" (Statuspage's names) and "updates"
// (oldest first: at, status, body, author). Without a record (none kept, or not yet synced), the
// status follows the crowd state (investigating or resolved), impact is null and there are no
// updates.
void WriteRecordFields(JsonWriter& w, const incidents::IncidentRecord* record, bool crowd_open);

}  // namespace om::api
