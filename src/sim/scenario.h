#pragma once
// Scenario: synthetic report traffic with known outages, for `outagemap simulate` and the
// scenario suite (tests/scenarios/). A scenario file (TOML, docs/formats/scenario.md) names the
// period, the services with their normal rate and their cities, the outages (service, start,
// length, area, multiplier) and spammers; Generate() writes the reports in time order and the
// ground truth that `outagemap evaluate` reads.
//
// Deterministic for a seed. Pure computation besides the callbacks; not thread-safe.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "geo/gazetteer.h"
#include "sim/demo_scenario.h"

namespace om::sim {

struct ScenarioService {
  std::string id;
  double peak_per_minute = 1;                   // normal reports per minute at the daily peak
  std::vector<std::string> countries = {"US"};  // cities: the most populous of these countries
  int cities = 50;
};

struct ScenarioOutage {
  std::string service;
  int64_t start_ms = 0;
  int minutes = 30;
  // "city:<geonameid>", "region:US-MN", "country:US" or "countries:US,CA"
  std::string area;
  double multiplier = 10;       // reports in the affected cities, relative to their normal rate
  double extra_per_minute = 0;  // added reports per minute spread over the area, on top
  std::string scope;            // truth: local, regional, national or multinational
};

struct ScenarioSpammer {
  std::string service;
  int64_t start_ms = 0;
  int minutes = 60;
  double per_minute = 100;
};

struct Scenario {
  uint64_t seed = 1;
  int64_t start_ms = 0;
  int days = 7;
  double utc_offset_hours = -6;  // local time of the daily cycle
  int64_t dst_change_ms = 0;     // from this instant the offset is one hour later (0: never)
  double weekend_factor = 1;     // normal traffic on local Saturdays and Sundays is this times
                                 // a weekday's
  std::vector<ScenarioService> services;
  std::vector<ScenarioOutage> outages;
  std::vector<ScenarioSpammer> spammers;
};

// Parses a scenario file. Errors name the source, line and key.
Result<Scenario> ParseScenario(std::string_view toml_text, std::string_view source);

struct TruthLine {
  std::string service;
  int64_t start_ms, end_ms;
  std::vector<uint32_t> cities;  // geonameids of the affected cities
  std::string scope;
};

// Generates the scenario: `report` for every report in time order, then returns the truth.
// kInvalidArgument for an area or country that names no city.
Result<std::vector<TruthLine>> GenerateScenario(
    const Scenario& scenario, const geo::Gazetteer& gazetteer,
    const std::function<void(const SimReport&)>& report);

}  // namespace om::sim
