#pragma once
// Detector decides, minute by minute, whether each service is normal, has possible problems, or
// has an outage, from the per-minute counts in store::Aggregates (docs/detection.md).
//
//  - Baseline: the expected reports per minute at minute t is the median, over the last
//    `history_days` days, of the service's count in the same quarter hour of the day, divided by
//    15. The median ignores past outages as long as they covered fewer than half of those days.
//    A slow drift term scales it by the last week's level against the whole history's.
//    A service with less than `min_history_days` of history falls back to its mean rate over the
//    last day (a service younger than a day: since its first report, and it is not judged in its
//    first 2 x `warmup_minutes`), and every expectation is at least `min_expected_per_minute`.
//  - Test: the counts of the last 1, 3 and 5 complete minutes against their expectation under an
//    overdispersed Poisson model (poisson.h); the score is the largest -log10 tail probability.
//  - Status: `possible` after `possible_after_minutes` consecutive minutes that pass the possible
//    test, `outage` after `outage_after_minutes` that pass the outage test (higher score, ratio and
//    excess), back down only after `clear_after_minutes` quiet minutes (hysteresis).
//
// Thread-safety: Tick() from one thread (the detector thread); Snapshot() from any thread.

#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "base/mutex.h"
#include "base/option_key.h"
#include "geo/gazetteer.h"
#include "store/aggregates.h"

namespace om::detect {

enum class Status { kNormal, kPossible, kOutage };
std::string_view StatusName(Status s);  // "normal", "possible", "outage"

struct DetectOptions {
  // Days of history the baseline looks back over.
  int history_days = 14;
  // Fewer days of history than this: the baseline is the mean rate of the last day leaving out
  // the last hour (no lower than the same quarter hour on the days it has), or for a service
  // younger than a day its mean rate since its first report leaving out the last
  // `warmup_minutes` (and no judgement at all before it has that much history).
  int min_history_days = 3;
  int warmup_minutes = 15;
  // The weekly profile (below) near local midnight: the local time found from a daily cycle can
  // be hours off (the harmonic's peak of a work tool busiest at 10:00 and 15:00 is nearer 12:30
  // than 15:00, a game's evening peak puts it hours the other way), and near local midnight
  // such an error puts Friday evenings among the weekend days and Saturday nights among the
  // weekdays: the median of a mix. Quarter hours within this many hours of local midnight are
  // judged against all days. 0: the profile applies around the clock.
  int weekly_edge_hours = 6;
  // A service younger than a day must pass the ratio and excess floors times this.
  double young_service_factor = 2;
  // Expected reports per minute never go below this, so one report on a silent service is not
  // an outage.
  double min_expected_per_minute = 0.05;
  // Slow drift: the baseline is scaled by the level of the last 7 days against the whole
  // history, within [1 / max_drift, max_drift]. 1 turns it off.
  double max_drift = 2;
  // Weekly profile: the baseline of a weekend quarter hour (Saturday and Sunday, local time) is
  // the median of the same quarter hour on past weekend days, and of a weekday one on past
  // weekdays, when the history has at least `min_weekly_samples` of each; else of all days. A
  // service's local time is found from its own daily cycle: the peak of its first harmonic is
  // taken as 15:00. false: always all days.
  bool weekly_profile = true;
  int min_weekly_samples = 4;
  // Fewer reports than this over the history: no weekly profile (too few to tell its local time).
  double min_weekly_reports = 500;
  // Overdispersion of the count model: variance = mu * (1 + dispersion * mu).
  double dispersion = 0.02;
  // Learned dispersion: each service's dispersion is tuned, as its minutes are judged, so that
  // minutes of a normal status scoring 4 or more (p <= 1e-4) are as rare as the model says
  // (about 2 in 10,000). Each such minute raises it by 30% (at most 3 steps a burst), every
  // other lowers it a little (a week of quiet takes about half off). They count half an hour
  // after the last of them, once the status is normal again, and only if no outage began
  // meanwhile: an outage's first minutes are not noise.
  // Minutes of a `possible` or `outage` status, and of a service with fewer than
  // `min_history_days` of history (its baseline knows no daily cycle yet), do not count. Bursty
  // services (real crowd counts burst often) need far more than `dispersion`, which stays the
  // floor (learning starts from at least 0.001); `max_dispersion` is the ceiling. The server
  // saves the learned values (server/learned_dispersion.h) and seeds a restarted detector with
  // them (SeedDispersions); without learning, seeds are ignored.
  // false: `dispersion` for every service.
  bool learn_dispersion = true;
  double max_dispersion = 10;
  // The possible test: score (-log10 p), ratio observed/expected and excess reports over 5 min.
  double possible_score = 5;
  double possible_ratio = 2;
  double possible_excess = 5;
  // The outage test.
  double outage_score = 8;
  double outage_ratio = 3;
  double outage_excess = 10;
  // Regional outages: a service whose total rose by at least the outage excess also has its
  // busiest regions (ISO 3166-2) and countries of the last 5 minutes tested against their own
  // usual count at this time of day: their share of the service's reports in the same quarter
  // hour over the history (outage days left out), shrunk towards their share over whole days by
  // `region_prior` pseudo-reports, and taken at its upper bound (two standard errors). An area
  // passing the outage test, with its score raised by log10 of the number of areas (several are
  // tested), puts the service in an outage: a metro, regional or one-country outage of a large
  // service barely moves its total. false: the service total alone.
  bool regional = true;
  int regional_top = 3;
  double region_prior = 20;
  // The slow window: outages too slow to reach the outage excess within 5 minutes (a trickle on
  // a small service, a metro or a country of a large one) are tested over this many minutes too,
  // the service's total and its busiest regions and countries, against the same score and ratio
  // and `slow_excess_factor` times the outage excess, once a service has a week of history.
  // Off (0) by default: on the training worlds (docs/detection.md#randomised-worlds) 30 minutes
  // found 3 more of 132 clear outages but raised 9 more false incidents. REQUIRES: at most 60.
  int slow_window_minutes = 0;
  double slow_excess_factor = 1.5;
  // The metro scan: every 5 minutes, each city of a service expecting at least
  // `metro_min_expected` reports a minute is tested over this many minutes against its own usual
  // count (as regions are, with its score raised by log10 of the number of cities), with
  // `slow_excess_factor` times the outage excess. A metro at ten times its level can move a
  // large national service's total by 3%, and its admin-1 region barely more. 0 turns it off.
  // REQUIRES: at most 60.
  int metro_window_minutes = 60;
  double metro_min_expected = 1;
  // Consecutive minutes passing a test before the status rises.
  int possible_after_minutes = 1;
  int outage_after_minutes = 1;
  // Consecutive minutes failing the test of the current status before it falls: from outage to
  // possible if the possible test passes in that minute, else to normal.
  int clear_after_minutes = 10;
};

// The keys of the configuration file that set these options (README.md's table lists them;
// server_config_test.cc holds the two to each other). Ranges are inclusive.
inline constexpr OptionKey kDetectOptionKeys[] = {
    {"detect.history_days", OptionType::kInt, "days", 1, 365,
     "days of history the baseline (median of the same quarter hour) looks back over"},
    {"detect.min_history_days", OptionType::kInt, "days", 0, 365,
     "with less history, the baseline is the recent mean rate"},
    {"detect.warmup_minutes", OptionType::kInt, "min", 1, 1440,
     "a brand-new service is not judged before twice this much history"},
    {"detect.regional_top", OptionType::kInt, "", 1, 100,
     "the regional test looks at this many busiest regions and countries; an area's share at a "
     "time of day is shrunk towards its whole-day share by this many pseudo-reports"},
    {"detect.slow_window_minutes", OptionType::kInt, "min", 0, 60,
     "an optional longer window (the total, regions and countries) for outages too slow for 5 "
     "minutes to show, with this many times the outage excess; 0 = off, at most 60 "
     "([measured](docs/detection.md#randomised-worlds))"},
    {"detect.metro_window_minutes", OptionType::kInt, "min", 0, 60,
     "the metro scan: every 5 minutes, each city of a service expecting at least this many reports "
     "a minute, and each metro (its cities within 25 km of a larger one) as a whole, is tested "
     "over this window against its own usual count (a metro outage barely moves a large "
     "service's total); 0 = off, at most 60"},
    {"detect.min_weekly_samples", OptionType::kInt, "", 1, 365,
     "the weekly profile needs at least this many past days of each kind in the history, else all "
     "days are used"},
    {"detect.weekly_edge_hours", OptionType::kInt, "h", 0, 11,
     "the weekly profile applies to quarter hours at least this far from local midnight, where an "
     "error in the local time found from the daily cycle cannot mix Fridays with weekend days "
     "([measured](docs/detection.md#randomised-worlds))"},
    {"detect.possible_after_minutes", OptionType::kInt, "min", 1, 1440,
     "consecutive minutes passing a test before the status rises"},
    {"detect.outage_after_minutes", OptionType::kInt, "min", 1, 1440,
     "consecutive minutes passing a test before the status rises"},
    {"detect.clear_after_minutes", OptionType::kInt, "min", 1, 1440,
     "consecutive minutes failing the current level's test before the status falls (from outage to "
     "possible if the possible test passes that minute, else to normal)"},
    {"detect.min_expected_per_minute", OptionType::kDouble, "per min", 0.0001, 1e6,
     "floor of the baseline"},
    {"detect.dispersion", OptionType::kDouble, "", 0, 10,
     "overdispersion *d* of the count model, variance μ(1 + *d*μ); with `learn_dispersion`, the "
     "floor of each service's learned *d*"},
    {"detect.max_dispersion", OptionType::kDouble, "", 0, 100,
     "tune each service's *d* from its own minutes so that surprises are as rare as the model says "
     "(bursty services get a larger *d*, "
     "[docs/detection.md](docs/detection.md#test-how-surprising-the-last-minutes-are)); the "
     "ceiling of the learned *d*"},
    {"detect.max_drift", OptionType::kDouble, "", 1, 100,
     "the baseline follows the last week's level within this factor either way; 1 turns the drift "
     "term off"},
    {"detect.region_prior", OptionType::kDouble, "", 0, 1e6,
     "the regional test looks at this many busiest regions and countries; an area's share at a "
     "time of day is shrunk towards its whole-day share by this many pseudo-reports"},
    {"detect.slow_excess_factor", OptionType::kDouble, "", 1, 100,
     "an optional longer window (the total, regions and countries) for outages too slow for 5 "
     "minutes to show, with this many times the outage excess; 0 = off, at most 60 "
     "([measured](docs/detection.md#randomised-worlds))"},
    {"detect.metro_min_expected", OptionType::kDouble, "", 0, 1e6,
     "the metro scan: every 5 minutes, each city of a service expecting at least this many reports "
     "a minute, and each metro (its cities within 25 km of a larger one) as a whole, is tested "
     "over this window against its own usual count (a metro outage barely moves a large "
     "service's total); 0 = off, at most 60"},
    {"detect.min_weekly_reports", OptionType::kDouble, "", 0, 1e12,
     "a service with fewer reports in its history has no weekly profile (too few to tell its local "
     "time)"},
    {"detect.young_service_factor", OptionType::kDouble, "", 1, 100,
     "a service younger than a day must pass the ratio and excess floors times this"},
    {"detect.possible_score", OptionType::kDouble, "", 0, 300,
     "the possible test: −log10 p, ratio and excess reports over 5 min"},
    {"detect.possible_ratio", OptionType::kDouble, "", 1, 1e6,
     "the possible test: −log10 p, ratio and excess reports over 5 min"},
    {"detect.possible_excess", OptionType::kDouble, "", 0, 1e9,
     "the possible test: −log10 p, ratio and excess reports over 5 min"},
    {"detect.outage_score", OptionType::kDouble, "", 0, 300, "the outage test"},
    {"detect.outage_ratio", OptionType::kDouble, "", 1, 1e6, "the outage test"},
    {"detect.outage_excess", OptionType::kDouble, "", 0, 1e9, "the outage test"},
    {"detect.learn_dispersion", OptionType::kBool, "", 0, 0,
     "tune each service's *d* from its own minutes so that surprises are as rare as the model says "
     "(bursty services get a larger *d*, "
     "[docs/detection.md](docs/detection.md#test-how-surprising-the-last-minutes-are)); the "
     "ceiling of the learned *d*"},
    {"detect.weekly_profile", OptionType::kBool, "", 0, 0,
     "a weekend quarter hour (local time, found from the service's daily cycle) is judged against "
     "past weekend days, a weekday one against past weekdays "
     "([docs/detection.md](docs/detection.md#baseline-what-is-normal)); `false` judges every day "
     "against all days"},
    {"detect.regional", OptionType::kBool, "", 0, 0,
     "when a service's total rises by the outage excess, its busiest regions are also tested "
     "against their own usual count at that time of day, so a metro or regional outage of a large "
     "service is found ([docs/detection.md](docs/detection.md#status-normal-possible-outage)); "
     "`false` judges the total alone"},
};

// The area whose own test put a service in an outage (a region, country or city whose count
// was far above its usual share while the service's total was not): where and over what window
// the evidence lies, so that an incident's onset and places are measured there.
struct AreaEvidence {
  store::Dimension dimension = store::Dimension::kCity;
  std::string key;                 // empty: the outage was not found by an area's test
  int64_t window_minutes = 0;      // the window it was tested over, ending at the minute judged
  double expected_per_minute = 0;  // its usual count at that time of day
};

struct ServiceState {
  std::string service;
  Status status = Status::kNormal;
  int64_t since_minute = 0;        // first minute of the current status
  int64_t evaluated_minute = 0;    // the last complete minute evaluated
  double expected_per_minute = 0;  // baseline at evaluated_minute
  double observed_per_minute = 0;  // mean of the last 5 minutes
  double ratio = 0;                // observed / expected over the last 5 minutes
  double score = 0;                // -log10 p of the most surprising window
  double dispersion = NAN;         // of its count model (learned, see DetectOptions); NaN
                                   // before its first tick
  AreaEvidence area;               // of the minute judged, when an area's test passed
};

// What the detector knows of a service beyond its counts: its status and the runs and learned
// terms that decide the next one. Exported so that a restart continues where it stopped
// (pipeline/pipeline_state.h keeps it); baselines are not in it, they are recomputed from the
// counts.
struct ServiceRunState {
  std::string service;
  Status status = Status::kNormal;
  int64_t since_minute = 0;
  int64_t evaluated_minute = 0;
  int possible_run = 0;
  int outage_run = 0;
  int quiet_run = 0;
  double dispersion = NAN;  // NaN: not learned yet
  int calibration_pending = 0;
  int64_t calibration_last = 0;
  bool operator==(const ServiceRunState&) const = default;
};

// An immutable view of every tracked service, published after each tick.
struct DetectionSnapshot {
  int64_t minute = 0;  // the last complete minute evaluated
  std::vector<ServiceState> services;
  std::unordered_map<std::string, size_t> index;  // service id -> position in `services`
  const ServiceState* Find(const std::string& service) const {
    auto it = index.find(service);
    return it == index.end() ? nullptr : &services[it->second];
  }
};

class Detector {
 public:
  // `gazetteer`, when given, lets the metro scan test each metropolitan area as a whole
  // (geo::Gazetteer::MetroOf) besides its cities: a metro outage's reports fall in several of
  // its cities. It must outlive the detector. Without it, cities are tested one by one.
  explicit Detector(DetectOptions options = {}, const geo::Gazetteer* gazetteer = nullptr);
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;
  ~Detector() = default;

  // Evaluates complete minute `minute` for every service in `aggregates` and publishes a new
  // snapshot. REQUIRES: minutes increase from call to call.
  void Tick(const store::Aggregates& aggregates, int64_t minute);

  // The latest snapshot (never null; empty before the first tick).
  std::shared_ptr<const DetectionSnapshot> Snapshot() const;
  const DetectOptions& options() const { return options_; }

  // Dispersions learned before (ServiceState::dispersion of an earlier run, by service id): a
  // service starts from its own instead of DetectOptions::dispersion, kept within
  // [dispersion, max_dispersion]. So a restart does not relearn for days. REQUIRES: called
  // before the first Tick().
  void SeedDispersions(std::unordered_map<std::string, double> learned);

  // The run state of every service not in the initial one (normal, no runs, nothing pending to
  // calibrate), and of those restored but not ticked since. Detector thread only.
  std::vector<ServiceRunState> ExportState() const;
  // Services start from `state` (as exported before a restart) instead of the initial state; a
  // restored dispersion takes precedence over a seeded one, kept within [dispersion,
  // max_dispersion]. Called after ticks (a cluster node adopting its leader's state, or taking
  // over), it replaces the run states at the next Tick: the services in `state` take theirs, the
  // others go back to the initial state, keeping the dispersion they learned. Detector thread
  // only.
  void RestoreState(std::vector<ServiceRunState> state);

  // The baseline alone, for tests and for the API's expected band.
  // NaN when the service is too young to have a baseline.
  double ExpectedPerMinute(const store::Aggregates& aggregates, uint32_t service,
                           int64_t minute) const;
  // The baselines of several minutes of one service, in order, reading each local day's terms
  // once (as the detector's own ticks do) instead of once per minute: for charts and windows.
  std::vector<double> ExpectedPerMinute(const store::Aggregates& aggregates, uint32_t service,
                                        const std::vector<int64_t>& minutes) const;

  // The smallest count of one window, when `expected_count` reports are expected in it, that
  // passes the possible test's score and ratio floors: the top of the normal band that charts
  // draw. (The excess floor, defined over five minutes, is left out.) NaN when `expected_count`
  // is not positive or not finite. `dispersion` is the service's (ServiceState::dispersion); NaN:
  // DetectOptions::dispersion.
  double PossibleThreshold(double expected_count, double dispersion = NAN) const;

 private:
  struct Baseline {
    double per_minute;  // NaN: too young to judge
    bool young;         // younger than a day
    // The relative variance of per_minute as an estimate (a median of a few days' counts):
    // added to the dispersion of the count model, so that its sampling error is not taken for
    // the service's noise (or learned as such).
    double relative_variance = 0;
  };
  // What the baseline takes from whole days, for one local day of a service: computed once a
  // day (from one read of its hourly counts and one of its daily totals), not every quarter hour.
  struct DayProfile {
    int64_t tz_minutes = 0;         // its local time minus UTC (0 without a daily cycle)
    bool local_time_known = false;  // from its daily cycle
    int64_t local_day = INT64_MIN;  // days since the epoch, local time: the day this is for
    int days_with_history = 0;      // whole local days before this one since its first report
    double drift = 1;               // the slow drift term
    // Reports per region (ISO 3166-2) over the whole days of the history, and their total: read
    // when a regional test first needs them that day. Days whose total is an outlier (an outage
    // day, above twice the median day) are left out, so a past outage in one region does not
    // shrink every other region's share for two weeks.
    // Index 0: regions (ISO 3166-2), 1: countries (see DetectOptions::regional).
    // Index 2: cities (DetectOptions::metro_window_minutes).
    std::array<bool, 3> areas_loaded = {false, false, false};
    std::array<std::unordered_map<std::string, double>, 3> area_reports;
    std::array<double, 3> area_total = {0, 0, 0};
    // The cities' whole days grouped by metro (geonameid of its centre): each metro's cities
    // with reports in the history, and their reports. Built with the cities' (index 2).
    bool metros_loaded = false;
    std::unordered_map<uint32_t, std::vector<std::string>> metro_cities;  // busiest first
    std::unordered_map<uint32_t, double> metro_reports;
  };
  // `profile`, when given, is the service's profile for the local day of `minute`; else it is
  // computed.
  Baseline ComputeBaseline(const store::Aggregates& aggregates, uint32_t service, int64_t minute,
                           const DayProfile* profile = nullptr) const;
  DayProfile ComputeDayProfile(const store::Aggregates& aggregates, uint32_t service,
                               int64_t minute) const;

  struct Tracker {
    ServiceState state;
    int possible_run = 0;                  // consecutive minutes passing the possible test
    int outage_run = 0;                    // consecutive minutes passing the outage test
    int quiet_run = 0;                     // consecutive minutes failing the current status' test
    int64_t baseline_quarter = INT64_MIN;  // quarter hour the cached baseline is for
    double baseline = 0;
    double baseline_relative_variance = 0;  // Baseline::relative_variance
    // The baselines of the quarter hours before baseline_quarter, latest first (NaN: not judged
    // then), for the expected count of the slow window and the metro scan.
    std::array<double, 4> earlier_baselines = {NAN, NAN, NAN, NAN};
    bool young = false;            // younger than a day when the baseline was computed
    double dispersion = NAN;       // learned (DetectOptions::learn_dispersion); NaN: not yet set
    int calibration_pending = 0;   // surprising minutes of a normal status not yet counted
    int64_t calibration_last = 0;  // the last of them
    DayProfile day;                // recomputed when its local day ends
    // The history of this quarter hour that AreaOutage reads, for the quarter hour
    // `areas_quarter` and `areas_days` past days: the days it keeps (not an outage's), the
    // service's reports in it over them, and per area (indexed as DayProfile's) the reports of
    // each area tested so far. Past days do not change within the quarter hour (as the cached
    // baseline), so each minute of it reads them once instead of once per day and area.
    int64_t areas_quarter = INT64_MIN;
    int areas_days = 0;
    std::vector<bool> areas_quarter_kept;
    double areas_quarter_service = 0;
    std::array<std::unordered_map<std::string, double>, 3> areas_quarter_reports;
    // The metro scan's cities: geonameid -> its metro's (0: unknown), as first asked.
    absl::flat_hash_map<uint32_t, uint32_t> city_metro;
  };
  void Evaluate(const store::Aggregates& aggregates, uint32_t service, int64_t minute, Tracker& t);
  // Sets a new tracker from a restored run state.
  void Restore(const ServiceRunState& r, Tracker& t) const;
  // Tunes t.dispersion after minute `minute` scored `score` (DetectOptions::learn_dispersion).
  void LearnDispersion(Tracker& t, int64_t minute, double score) const;
  // Whether one of the service's busiest regions or countries (`cities`: any of its cities) of
  // the `window` minutes ending at `minute` passes the outage test against its usual count (see
  // DetectOptions::regional and metro_window_minutes). `expected` is the service's expected
  // count over the window, `f` the young-service factor.
  bool AreaOutage(const store::Aggregates& aggregates, uint32_t service, int64_t minute, Tracker& t,
                  int64_t window, double expected, double f, bool cities) const;
  // The service's expected count over the `window` minutes ending at `minute`, from each
  // minute's own quarter hour; NaN when one of them was not judged. REQUIRES: window <= 60.
  static double ExpectedOver(const Tracker& t, int64_t minute, int64_t window);
  // The test of AreaOutage for one dimension (`area` 0: regions, 1: countries, 2: cities),
  // against the history of this quarter hour that AreaOutage has put in `t` (areas_quarter...).
  // For cities, `cities_in_window` (Aggregates::CountRows of the window), when given, is ranked
  // instead of reading the aggregates again.
  bool AreaPasses(const store::Aggregates& aggregates, uint32_t service, int64_t minute, Tracker& t,
                  store::Dimension dimension, size_t area, int64_t window, double expected,
                  double f,
                  const std::vector<store::Aggregates::CountRow>* cities_in_window = nullptr) const;
  // The same test for each metro of two or more cities with reports in the window
  // (`cities_in_window`, Aggregates::CountRows), as one area (its cities' reports and shares
  // summed). REQUIRES: the cities' day profile is loaded.
  bool MetroPasses(const store::Aggregates& aggregates, uint32_t service, Tracker& t,
                   int64_t window, double expected, double f,
                   const std::vector<store::Aggregates::CountRow>& cities_in_window) const;
  // Reads the whole days of area `area` (DayProfile::area_reports) unless read today;
  // `ordinary_days`, when empty, is filled with which of the `days` past days are not outages'.
  void LoadAreaDays(const store::Aggregates& aggregates, uint32_t service, Tracker& t, size_t area,
                    int days, std::vector<bool>& ordinary_days) const;
  // An area's reports in this quarter hour over the kept past days (cached in t).
  double QuarterReports(const store::Aggregates& aggregates, uint32_t service, Tracker& t,
                        store::Dimension dimension, size_t area, const std::string& key) const;
  // The geonameid of the metro of the city `geonameid`; 0 if the gazetteer does not know it.
  uint32_t MetroOf(uint32_t geonameid) const;

  const DetectOptions options_;
  const geo::Gazetteer* const gazetteer_;                       // may be null
  std::unordered_map<std::string, double> seeded_dispersions_;  // detector thread only
  std::unordered_map<std::string, ServiceRunState> restored_;   // detector thread only
  bool replace_ticked_ = false;    // the next Tick restores services already ticked too
  std::vector<Tracker> trackers_;  // by aggregates' service index; detector thread only

  mutable Mutex mu_;
  std::shared_ptr<const DetectionSnapshot> snapshot_ OM_GUARDED_BY(mu_);
};

}  // namespace om::detect
