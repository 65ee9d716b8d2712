#pragma once
// DemoScenario generates the reports of the built-in demo: normal traffic for a few dozen
// services (daily and weekly cycle, cities weighted by population), and an outage modelled on the
// Microsoft 365 failure of 22 January 2026: about nine hours of problems in North America, peaks
// near 16,000 reports per 15 minutes for Microsoft 365 and 12,000 for Outlook, Teams close
// behind, Mimecast and GoDaddy (which sit on Microsoft's mail) rising a few minutes later, the
// most reports from Los Angeles, Minneapolis, Phoenix, Dallas, Houston, San Francisco and
// Seattle, and the SMTP error "451 4.3.2 temporary server issue" in the report text.
//
// Generation is deterministic for a seed and independent per minute (each minute seeds its own
// generator), so any minute can be produced on its own and in any order.
//
// Thread-safety: const methods are thread-safe.

#include <climits>
#include <cstdint>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "geo/gazetteer.h"

namespace om::sim {

struct SimReport {
  int64_t ts_ms = 0;
  std::string service;
  std::string problem;
  double lat = 0, lon = 0;
  // When `city` is set the report names its place as city + country instead of lat/lon.
  std::string city, country;
  std::string reporter;
  std::string text;
  // `ts` is written as epoch milliseconds, or as RFC 3339 in local time with this offset from UTC
  // in minutes ("2026-03-09T08:15:00-05:00").
  static constexpr int kEpochMillis = INT32_MIN;
  int ts_offset_minutes = kEpochMillis;
};

// Appends `r` as one NDJSON line (the body format of POST /api/v1/reports), with '\n'.
void AppendNdjson(const SimReport& r, std::string& out);

class DemoScenario {
 public:
  // The outage begins at `outage_start_ms` (event time). `catalog` supplies each service's
  // problem types; `gazetteer` the cities. Both must outlive the scenario.
  DemoScenario(const catalog::Catalog& catalog, const geo::Gazetteer& gazetteer,
               int64_t outage_start_ms, uint64_t seed = 20260122);

  // Appends every report whose time falls in the minute starting at `minute_start_ms`
  // (a multiple of 60000), in time order.
  void GenerateMinute(int64_t minute_start_ms, std::vector<SimReport>& out) const;

  int64_t outage_start_ms() const { return outage_start_ms_; }
  // When the last service is back to normal.
  int64_t outage_end_ms() const;
  // Services that carry traffic in the demo.
  std::vector<std::string> services() const;

  // Expected outage reports per minute for `service` at `minutes_since_start` (0 before the
  // start and after the end). Exposed for tests.
  double OutageRate(size_t service_index, double minutes_since_start) const;

 private:
  struct Profile {
    std::string id;
    double peak_per_minute;             // normal traffic at the daily peak
    double outage_peak_per_minute;      // extra reports at the outage peak, 0 if not affected
    double outage_delay_minutes;        // onset after the Microsoft 365 onset
    std::vector<std::string> problems;  // weighted towards the first ones
  };
  struct WeightedCity {
    double lat, lon, cumulative;
  };
  double NormalRate(const Profile& p, int64_t ms) const;
  const WeightedCity& PickCity(const std::vector<WeightedCity>& cities, double u) const;

  int64_t outage_start_ms_;
  uint64_t seed_;
  std::vector<Profile> profiles_;
  std::vector<WeightedCity> world_cities_;   // background traffic
  std::vector<WeightedCity> outage_cities_;  // North America, named cities boosted
};

}  // namespace om::sim
