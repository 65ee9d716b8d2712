#pragma once
// RandomWorld: a randomised world of crowd reports with known outages, for judging detection on
// data no parameter was tuned on (`outagemap simulate --random --seed N`, docs/detection.md).
//
// Where a scenario file (scenario.h) describes one world by hand, a RandomWorld draws every
// property per service from wide ranges, with the phenomena of real crowd reports:
//   - peak rates from 0.02 to 30 reports a minute, most services small;
//   - single-country services (telecoms, banks, some consumer apps) in many countries, global
//     services with uneven country shares;
//   - daily cycles whose shape and peak hour depend on the category (work, consumer, gaming,
//     telecom, bank), in each place's own local time; weekends far quieter for work and banks
//     (down to 0.12x), busier for games;
//   - an hourly multiplicative noise of CV 0.2-0.3 and a slow mean-reverting drift of the level
//     (about +-15% over days);
//   - traps that must never become incidents: a game's daily reset (x3-5 for 20 minutes at a
//     fixed hour every day) and spammers (one reporter at one point, 200-2000 reports in 10-30
//     minutes);
//   - reports placed by lat/lon jittered by kilometres, by city + country only, or at a city's
//     centre; `ts` as RFC 3339 with the place's offset or as epoch milliseconds;
//   - outages of every footprint (a metro, a radius, admin-1 regions, a country, several
//     countries), magnitudes from barely visible to x250, durations from 5 minutes to 8 hours,
//     with ramps, plateaus, relapses and decaying tails, and cascades where dependents follow
//     an upstream by 0-15 minutes.
// The truth (WorldOutage) says of each outage whether it is clear (x5 or more over its
// footprint, 10 minutes or longer, 30 or more excess reports expected), its footprint kind and,
// for a metro outage, how much the service's total moved.
//
// Deterministic for (options, gazetteer). Pure computation besides the callback; not
// thread-safe.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "geo/gazetteer.h"
#include "sim/scenario.h"

namespace om::sim {

struct RandomWorldOptions {
  uint64_t seed = 1;
  // Length of the world in days. REQUIRES: warmup_days < days <= 60.
  int days = 21;
  // Services in the world. REQUIRES: 10 <= services <= 2000.
  int services = 80;
  // Countries the services are spread over (the first of a fixed list of 13). REQUIRES: 2-13.
  int countries = 13;
  // Days of history before the first outage, spammer or judged minute.
  int warmup_days = 7;
  // Primary outages (cascades add their dependents); 0 makes a quiet world with only traps.
  int outages = 48;
  // The first instant of the world (UTC midnight, a Monday by default: 2026-03-02).
  int64_t start_ms = 1772409600000;
};

// One outage of the truth (a TruthLine, plus what the evaluation needs to group outages).
struct WorldOutage {
  TruthLine line;        // service, start, end, affected cities, scope
  std::string kind;      // metro | radius | regions | country | countries
  double magnitude = 1;  // rate in the footprint at the plateau, over its normal rate
  double excess = 0;     // expected extra reports over the whole outage
  bool clear = false;    // magnitude >= 5, >= 10 minutes, excess >= 30
  // The service's total rate at the plateau over its normal total (for metro outages of large
  // national services, which barely move the total).
  double total_ratio = 1;
  std::string upstream;  // the upstream service when this outage follows it in a cascade
};

// A service of the world, as described in the world's summary.
struct WorldService {
  std::string id;
  std::string category;                // work | consumer | gaming | telecom | bank
  std::vector<std::string> countries;  // with their shares below
  std::vector<double> country_shares;
  double peak_per_minute = 0;  // at the daily peak of a weekday
  double weekend_factor = 1;
  double noise_cv = 0;              // of the hourly multiplicative noise
  int daily_surge_utc_minute = -1;  // start of the daily surge (minute of the UTC day), or -1
  double daily_surge_factor = 1;
};

class RandomWorld {
 public:
  // Draws the world. kInvalidArgument naming the option when an option is out of range.
  static Result<RandomWorld> Create(const RandomWorldOptions& options,
                                    const geo::Gazetteer& gazetteer);

  // Passes every report to `report` in time order. `gazetteer` must be the one given to Create.
  void Generate(const geo::Gazetteer& gazetteer,
                const std::function<void(const SimReport&)>& report) const;

  const std::vector<WorldService>& services() const { return services_; }
  const std::vector<WorldOutage>& outages() const { return outages_; }
  // Spammers and daily surges drawn, for the summary.
  size_t spammer_count() const { return spammers_.size(); }
  // Minutes from this instant on are judged (after the warm-up).
  int64_t judged_from_ms() const;
  // Service-days of the judged part: services x (days - warmup_days).
  double judged_service_days() const;

  // The cities of one service in one local-time zone, with the zone's share of the service.
  struct Zone {
    std::string country;
    int offset_minutes = 0;           // local time = UTC + this
    double share = 0;                 // of the service's reports (before local time)
    std::vector<geo::CityId> cities;  // most populous first
    std::vector<double> cumulative;   // of population^0.8
  };
  // The extra reports of one outage: its footprint's cities per zone and its time profile.
  struct Burst {
    size_t outage = 0;  // index in outages_
    size_t service = 0;
    int64_t start_ms = 0, end_ms = 0;
    double magnitude = 1;
    std::vector<size_t> zones;                          // zones of the service it touches
    std::vector<double> zone_fraction;                  // of each zone's weight affected
    std::vector<std::vector<geo::CityId>> cities;       // affected cities per touched zone
    std::vector<std::vector<double>> cumulative;        // their weights
    double ramp_minutes = 0;                            // linear rise
    double decay_from_minutes = -1, decay_tau = 0;      // exponential tail, or -1
    double gap_from_minutes = -1, gap_to_minutes = -1;  // quiet spell before a relapse, or -1
    double relapse_factor = 1;
    std::string problem;  // the outage's dominant problem type
    // Profile in [0, 1] at `t` minutes after the start.
    double Profile(double t) const;
  };
  struct Spammer {
    size_t service = 0;
    int64_t start_ms = 0;
    int minutes = 10;
    int reports = 200;
    double lat = 0, lon = 0;
    std::string reporter;
  };

 private:
  RandomWorld() = default;
  // The normal rate of service `s` in zone `z` at minute `m` (ms), drift included, noise not.
  double ZoneRate(size_t s, size_t z, int64_t m) const;
  // The hourly multiplicative noise of service `s` at minute `m` (mean 1).
  double Noise(size_t s, int64_t m) const;

  RandomWorldOptions options_;
  std::vector<WorldService> services_;
  std::vector<std::vector<Zone>> zones_;    // per service
  std::vector<std::vector<float>> shape_;   // per service, per local minute of the day: 0..1
  std::vector<std::vector<double>> drift_;  // per service, per day: multiplier of the level
  std::vector<WorldOutage> outages_;
  std::vector<Burst> bursts_;  // outage reports per (outage, minute) come from these
  std::vector<Spammer> spammers_;
};

// Writes `world`'s summary as one JSON object (services, spammers, judged period).
std::string WorldSummaryJson(const RandomWorld& world);

}  // namespace om::sim
