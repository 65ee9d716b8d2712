#include "detect/detector.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <numbers>

#include "base/time.h"
#include "detect/poisson.h"

namespace om::detect {
namespace {

constexpr int64_t kQuarter = 15;
// The slow window's total must score this much (-log10 p) before its areas are read.
constexpr double kSlowAreaTrigger = 3;
// Days of history before the slow window judges a service.
constexpr int kSlowWindowHistoryDays = 7;
// Day profiles are refreshed over this many quarter hours after a local midnight.
constexpr uint32_t kDayProfileSpread = 8;
// Learned dispersion (DetectOptions::learn_dispersion): a minute of a normal status scoring at
// least kCalibrationScore is a calibration event. Under a well-fitted model its rate per minute
// is about kCalibrationRate (1e-4 per window, three overlapping windows); each event multiplies
// the dispersion by (1 + kDispersionStep) and every other minute by (1 - kDispersionStep x
// kCalibrationRate), so that the events settle near that rate (2.3e-4 exactly, as ln 1.3 < 0.3,
// and a little more with the cap on steps a burst).
constexpr double kCalibrationScore = 4;
constexpr double kCalibrationRate = 2e-4;
constexpr double kDispersionStep = 0.3;
// Calibration events count only once the status has stayed normal this long after the last of
// them (an outage's first minutes are not noise), and one burst counts at most this many.
// Learning multiplies, so it starts from at least kMinLearnedDispersion (a floor of 0 would
// never move).
constexpr int64_t kCalibrationDelayMinutes = 30;
constexpr int kMaxCalibrationSteps = 3;
constexpr double kMinLearnedDispersion = 1e-3;

int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

// The direction of each hour of the day on the daily circle, at the middle of the hour.
struct HourAngles {
  std::array<double, 24> cos{}, sin{};
  HourAngles() {
    for (size_t h = 0; h < 24; ++h) {
      double angle = 2 * M_PI * (static_cast<double>(h) + 0.5) / 24;
      cos[h] = std::cos(angle);
      sin[h] = std::sin(angle);
    }
  }
};
const HourAngles kHourAngles;

// Saturday or Sunday, for a day counted from the epoch (1970-01-01 was a Thursday).
bool IsWeekend(int64_t day) {
  int64_t weekday = FloorMod(day + 4, 7);  // 0 Sunday ... 6 Saturday
  return weekday == 0 || weekday == 6;
}

uint64_t Count(const store::Aggregates& a, uint32_t service, int64_t from, int64_t to) {
  return a.Total(service, from, to);
}

// The upper median (the mean of the middle two would do as well; this needs no copy of doubles).
double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::nth_element(values.begin(), values.begin() + static_cast<ptrdiff_t>(values.size() / 2),
                   values.end());
  return values[values.size() / 2];
}

// Which of `counts` (one per past day) are ordinary, that is not above `factor` times their
// median plus `slack`: an outage's day or quarter hour is not.
std::vector<bool> OrdinaryDays(const std::vector<double>& counts, double factor, double slack) {
  const double usual = Median(counts);
  std::vector<bool> ordinary(counts.size());
  for (size_t d = 0; d < counts.size(); ++d) ordinary[d] = counts[d] <= factor * usual + slack;
  return ordinary;
}

}  // namespace

std::string_view StatusName(Status s) {
  switch (s) {
    case Status::kNormal:
      return "normal";
    case Status::kPossible:
      return "possible";
    case Status::kOutage:
      return "outage";
  }
  return "normal";
}

Detector::Detector(DetectOptions options, const geo::Gazetteer* gazetteer)
    : options_(options), gazetteer_(gazetteer), snapshot_(std::make_shared<DetectionSnapshot>()) {}

std::shared_ptr<const DetectionSnapshot> Detector::Snapshot() const {
  MutexLock lock(mu_);
  return snapshot_;
}

double Detector::ExpectedPerMinute(const store::Aggregates& a, uint32_t service,
                                   int64_t minute) const {
  return ComputeBaseline(a, service, minute).per_minute;
}

std::vector<double> Detector::ExpectedPerMinute(const store::Aggregates& a, uint32_t service,
                                                const std::vector<int64_t>& minutes) const {
  std::vector<double> out;
  out.reserve(minutes.size());
  DayProfile day;
  for (int64_t minute : minutes) {
    if (FloorDiv(minute + day.tz_minutes, kMinutesPerDay) != day.local_day) {
      day = ComputeDayProfile(a, service, minute);
    }
    out.push_back(ComputeBaseline(a, service, minute, &day).per_minute);
  }
  return out;
}

double Detector::PossibleThreshold(double expected_count, double dispersion) const {
  if (!(expected_count > 0) || !std::isfinite(expected_count)) return NAN;
  if (std::isnan(dispersion)) dispersion = options_.dispersion;
  auto passes = [&](double k) {
    return k >= options_.possible_ratio * expected_count &&
           OverdispersedTailScore(k, expected_count, dispersion) >= options_.possible_score;
  };
  // Both tests are monotone in k: double up to a passing count, then bisect on integers.
  double lo = std::floor(expected_count), hi = std::max(1.0, std::ceil(expected_count));
  for (int i = 0; i < 64 && !passes(hi); ++i) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1) {
    double mid = std::floor((lo + hi) / 2);
    (passes(mid) ? hi : lo) = mid;
  }
  return hi;
}

Detector::DayProfile Detector::ComputeDayProfile(const store::Aggregates& a, uint32_t service,
                                                 int64_t minute) const {
  DayProfile p;
  const int64_t history = options_.history_days;
  // Its local time, from its daily cycle over the history: the peak of the cycle's first
  // harmonic (the direction of the hours weighted by their reports) is taken as 15:00 local,
  // where crowd reports of consumer and work services peak. Unlike the quietest hour, the phase
  // of the harmonic is not thrown by a long flat night, and outages (short) barely move it.
  // Without a weekly profile, or without a daily cycle, local time is UTC.
  if (options_.weekly_profile) {
    int64_t hour_start = FloorDiv(minute, 60) * 60;
    auto hours =
        a.Series(service, std::nullopt, "", hour_start - history * kMinutesPerDay, hour_start, 60);
    // Fold the history onto the 24 hours of the day first: 24 angles, not one per past hour.
    std::array<double, 24> by_hour{};
    for (size_t i = 0; i < hours.counts.size(); ++i) {
      int64_t start = hours.from_minute + static_cast<int64_t>(i) * hours.step_minutes;
      by_hour[static_cast<size_t>(FloorMod(start, kMinutesPerDay) / 60)] +=
          static_cast<double>(hours.counts[i]);
    }
    double total = 0, x = 0, y = 0;
    for (size_t h = 0; h < 24; ++h) {
      total += by_hour[h];
      x += by_hour[h] * kHourAngles.cos[h];
      y += by_hour[h] * kHourAngles.sin[h];
    }
    // Enough reports, and a daily cycle to speak of (the harmonic over 5% of the total).
    if (total >= options_.min_weekly_reports && std::hypot(x, y) >= 0.05 * total) {
      double peak_hour = std::atan2(y, x) * 24 / (2 * M_PI);  // UTC, in (-12, 12]
      p.tz_minutes =
          (FloorMod(static_cast<int64_t>(std::lround(15 - peak_hour)) + 12, 24) - 12) * 60;
      p.local_time_known = true;
    }
  }
  p.local_day = FloorDiv(minute + p.tz_minutes, kMinutesPerDay);
  // The whole local days before today.
  int64_t today_start = p.local_day * kMinutesPerDay - p.tz_minutes;
  auto days = a.Series(service, std::nullopt, "", today_start - history * kMinutesPerDay,
                       today_start, kMinutesPerDay);
  size_t first = days.counts.size();
  for (size_t i = 0; i < days.counts.size(); ++i) {
    if (days.counts[i] > 0) {
      first = i;
      break;
    }
  }
  p.days_with_history = static_cast<int>(days.counts.size() - first);
  if (p.days_with_history == 0) return p;
  std::vector<double> all(days.counts.begin() + static_cast<ptrdiff_t>(first), days.counts.end());
  double level = Median(all);
  if (level <= 0) return p;
  // Slow drift: a service that grows or shrinks sits away from the median of its past. Scale by
  // the median daily total of the last 7 days over that of the whole history (medians, so an
  // outage day does not count).
  if (options_.max_drift > 1) {
    std::vector<double> recent(all.end() - std::min<ptrdiff_t>(7, std::ssize(all)), all.end());
    p.drift = std::clamp(Median(recent) / level, 1 / options_.max_drift, options_.max_drift);
  }
  return p;
}

Detector::Baseline Detector::ComputeBaseline(const store::Aggregates& a, uint32_t service,
                                             int64_t minute, const DayProfile* profile) const {
  DayProfile fresh;
  if (!profile) {
    fresh = ComputeDayProfile(a, service, minute);
    profile = &fresh;
  }
  int64_t quarter_start = FloorDiv(minute, kQuarter) * kQuarter;
  double expected;
  if (profile->days_with_history >= options_.min_history_days) {
    // The median of the same quarter hour on the days since its first report: of the days of
    // the same kind (weekend or weekday, in its local time) when there are enough of both
    // kinds, else of all. Each past quarter hour is judged by the same calendar as this one, so
    // an error of an hour or two in the local time moves the weekend's edges, but never
    // compares Friday night with Saturday nights. Scaled by the drift term.
    int days = std::min(options_.history_days, profile->days_with_history);
    std::vector<double> all, same;
    all.reserve(static_cast<size_t>(days));
    // Not near local midnight, where an error in the local time would mix the kinds of day.
    const int64_t local_minute_of_day =
        FloorMod(quarter_start + profile->tz_minutes, kMinutesPerDay);
    const int64_t edge = int64_t{options_.weekly_edge_hours} * 60;
    bool weekly = profile->local_time_known && options_.weekly_profile &&
                  local_minute_of_day >= edge && local_minute_of_day < kMinutesPerDay - edge;
    bool weekend =
        weekly && IsWeekend(FloorDiv(quarter_start + profile->tz_minutes, kMinutesPerDay));
    for (int d = 1; d <= days; ++d) {
      int64_t from = quarter_start - d * kMinutesPerDay;
      double n = static_cast<double>(a.Total(service, from, from + kQuarter));
      all.push_back(n);
      if (weekly && IsWeekend(FloorDiv(from + profile->tz_minutes, kMinutesPerDay)) == weekend) {
        same.push_back(n);
      }
    }
    bool by_kind = weekly && std::ssize(same) >= options_.min_weekly_samples &&
                   std::ssize(all) - std::ssize(same) >= options_.min_weekly_samples;
    std::vector<double>& used = by_kind ? same : all;
    const double samples = static_cast<double>(used.size());
    const double median = Median(std::move(used));
    expected = median / kQuarter * profile->drift;
    // The median of n Poisson counts of mean q varies by about (pi/2) q / n (a sample median's
    // asymptotic variance, 1 / (4 n f(m)^2), with the normal density f of mean q and variance
    // q): relative to q squared, (pi/2) / (n q). A baseline of few days of few reports is
    // rough, and its error is not the service's noise: learned as dispersion, it had made
    // every hour of a service less sensitive for a misfit of its quiet hours.
    const double q = std::max(median, options_.min_expected_per_minute * kQuarter);
    return {std::max(expected, options_.min_expected_per_minute), false,
            samples > 0 ? std::numbers::pi / 2 / (samples * q) : 0};
  }
  // Too little history for a daily cycle. Is it older than a day (reports before the last 24
  // hours)? Judged on day totals, not on a pass over minute counts.
  auto day_totals =
      a.Series(service, std::nullopt, "", quarter_start - options_.history_days * kMinutesPerDay,
               quarter_start, kMinutesPerDay);
  bool older_than_a_day = false;
  for (size_t i = 0; i + 1 < day_totals.counts.size(); ++i) {
    older_than_a_day |= day_totals.counts[i] > 0;
  }
  if (older_than_a_day) {
    // Its mean rate over the last day, leaving out the last hour (which may be the very outage
    // being judged).
    double n = static_cast<double>(Count(a, service, minute - kMinutesPerDay, minute - 60));
    expected = n / static_cast<double>(kMinutesPerDay - 60);
    // That mean knows no daily cycle: at its daily peak a service is above it every day. So no
    // less than the same quarter hour on the past days it already has (one or two), whose mean
    // follows the cycle: its first daily peaks are not outages. (A quiet month of 40 services
    // had 2 false incidents, both on day 2 at the daily peak, without this.)
    size_t first = 0;
    while (first < day_totals.counts.size() && day_totals.counts[first] == 0) ++first;
    double same = 0;
    int days = 0;
    for (int d = 1; d < options_.min_history_days; ++d) {
      // Day window i covers [quarter_start - (size - i) days, + 1 day): the service was there
      // d days ago if it had reports in a window before that one.
      if (first + static_cast<size_t>(d) >= day_totals.counts.size()) break;
      int64_t from = quarter_start - d * kMinutesPerDay;
      same += static_cast<double>(a.Total(service, from, from + kQuarter));
      ++days;
    }
    if (days > 0) expected = std::max(expected, same / days / kQuarter);
  } else {
    // Younger than a day: its mean rate since its first report, leaving out the last
    // `warmup_minutes`; before that much history there is nothing to judge against.
    auto last_day = a.Series(service, std::nullopt, "", minute - kMinutesPerDay, minute + 1, 1);
    int64_t first = -1;
    for (size_t k = 0; k < last_day.counts.size(); ++k) {
      if (last_day.counts[k] > 0) {
        first = last_day.from_minute + static_cast<int64_t>(k);
        break;
      }
    }
    int64_t judged_until = minute - options_.warmup_minutes;
    if (first < 0 || judged_until - first < options_.warmup_minutes) return {NAN, true};
    expected = static_cast<double>(Count(a, service, first, judged_until)) /
               static_cast<double>(judged_until - first);
  }
  return {std::max(expected, options_.min_expected_per_minute), !older_than_a_day};
}

double Detector::ExpectedOver(const Tracker& t, int64_t minute, int64_t window) {
  const int64_t quarter = FloorDiv(minute, kQuarter);
  double expected = 0;
  for (int64_t m = minute - window + 1; m <= minute; ++m) {
    const int64_t back = quarter - FloorDiv(m, kQuarter);
    if (back > static_cast<int64_t>(t.earlier_baselines.size())) return NAN;
    expected += back == 0 ? t.baseline : t.earlier_baselines[static_cast<size_t>(back - 1)];
  }
  return expected;  // NaN when one quarter hour was not judged
}

bool Detector::AreaOutage(const store::Aggregates& a, uint32_t service, int64_t minute, Tracker& t,
                          int64_t window, double expected_window, double f, bool cities) const {
  DayProfile& day = t.day;
  int64_t quarter_start = FloorDiv(minute, kQuarter) * kQuarter;
  int days = std::min(options_.history_days, day.days_with_history);
  // The service's reports in this quarter hour over the past days (the denominator of each
  // area's share at this time of day), leaving out days when that quarter was an outage's.
  if (t.areas_quarter != quarter_start || t.areas_days != days) {
    std::vector<double> service_qs;
    for (int d = 1; d <= days; ++d) {
      int64_t from = quarter_start - d * kMinutesPerDay;
      service_qs.push_back(static_cast<double>(a.Total(service, from, from + kQuarter)));
    }
    t.areas_quarter = quarter_start;
    t.areas_days = days;
    t.areas_quarter_kept = OrdinaryDays(service_qs, 3, 10);
    t.areas_quarter_service = 0;
    for (size_t d = 0; d < service_qs.size(); ++d) {
      t.areas_quarter_service += t.areas_quarter_kept[d] ? service_qs[d] : 0;
    }
    for (auto& reports : t.areas_quarter_reports) reports.clear();
  }
  std::vector<bool> ordinary_days;  // whole days: read only when an area's shares are
  for (size_t area = cities ? 2 : 0; area < (cities ? 3u : 2u); ++area) {
    const store::Dimension dimension = area == 0   ? store::Dimension::kRegion
                                       : area == 1 ? store::Dimension::kCountry
                                                   : store::Dimension::kCity;
    LoadAreaDays(a, service, t, area, days, ordinary_days);
    if (area != 2) {
      if (AreaPasses(a, service, minute, t, dimension, area, window, expected_window, f)) {
        return true;
      }
      continue;
    }
    // Cities, then metros, from one read of the window's cities.
    const auto cities_in_window =
        a.CountRows(service, store::Dimension::kCity, minute - window + 1, minute + 1);
    if (AreaPasses(a, service, minute, t, dimension, area, window, expected_window, f,
                   &cities_in_window) ||
        MetroPasses(a, service, t, window, expected_window, f, cities_in_window)) {
      return true;
    }
  }
  return false;
}

bool Detector::AreaPasses(const store::Aggregates& a, uint32_t service, int64_t minute, Tracker& t,
                          store::Dimension dimension, size_t area, int64_t window,
                          double expected_window, double f,
                          const std::vector<store::Aggregates::CountRow>* cities_in_window) const {
  const DayProfile& day = t.day;
  const double service_q = t.areas_quarter_service;
  if (day.area_total[area] <= 0) return false;
  const auto& area_reports = day.area_reports[area];
  const double area_total = day.area_total[area];
  const double excess_floor =
      f * options_.outage_excess * (window > 5 ? options_.slow_excess_factor : 1);
  // Regions and countries: the busiest few. Cities: any of them (a quiet metro is not among the
  // busiest cities by count), the busiest first so that the excess floor ends the scan.
  const size_t top = area == 2 ? SIZE_MAX : static_cast<size_t>(options_.regional_top);
  // Several areas are tested: each must be surprising beyond the number of them.
  double penalty = std::log10(static_cast<double>(area_reports.size()) + 1);
  // Busiest first, and only areas with at least the excess floor of reports: no other passes.
  const auto floor_count = static_cast<uint64_t>(std::max(0.0, std::ceil(excess_floor)));
  std::vector<store::KeyCount> candidates;
  if (cities_in_window != nullptr) {
    std::vector<store::Aggregates::CountRow> at_floor;
    for (const auto& row : *cities_in_window) {
      if (row.second >= floor_count) at_floor.push_back(row);
    }
    candidates = a.Ranked(std::move(at_floor), top);
  } else {
    candidates = a.Top(service, dimension, minute - window + 1, minute + 1, top, floor_count);
  }
  for (const auto& kc : candidates) {
    auto known = area_reports.find(kc.key);
    double whole_days = known == area_reports.end() ? 0 : known->second;
    // Its share over whole days (Laplace-smoothed over the areas seen), then at this time of
    // day, shrunk towards the former by region_prior pseudo-reports.
    double day_share =
        (whole_days + 1) / (area_total + static_cast<double>(area_reports.size()) + 1);
    const double region_q = QuarterReports(a, service, t, dimension, area, kc.key);
    double share =
        (region_q + options_.region_prior * day_share) / (service_q + options_.region_prior);
    // The share is an estimate from a few hundred past reports: judged against its upper bound
    // (two standard errors), so that an area a little busier than its estimate at this time of
    // day is not an outage over a long window, where the estimate's error is many reports.
    share += 2 * std::sqrt(share * (1 - share) / (service_q + options_.region_prior));
    double expected = expected_window * share;
    double observed = static_cast<double>(kc.count);
    // The floors first: they are cheap, and most areas of a large service fail them.
    if (observed >= f * options_.outage_ratio * expected && observed - expected >= excess_floor &&
        OverdispersedTailScore(observed, expected, t.dispersion) >=
            options_.outage_score + penalty) {
      t.state.area = {.dimension = dimension,
                      .key = kc.key,
                      .window_minutes = window,
                      .expected_per_minute = expected / static_cast<double>(window)};
      return true;
    }
  }
  return false;
}

void Detector::LoadAreaDays(const store::Aggregates& a, uint32_t service, Tracker& t, size_t area,
                            int days, std::vector<bool>& ordinary_days) const {
  DayProfile& day = t.day;
  if (day.areas_loaded[area]) return;
  const store::Dimension dimension = area == 0   ? store::Dimension::kRegion
                                     : area == 1 ? store::Dimension::kCountry
                                                 : store::Dimension::kCity;
  // Read on the first rise of the day that calls for it, not for every service every day.
  int64_t today_start = day.local_day * kMinutesPerDay - day.tz_minutes;
  if (ordinary_days.empty()) {
    std::vector<double> totals;
    for (int d = 1; d <= days; ++d) {
      int64_t from = today_start - d * kMinutesPerDay;
      totals.push_back(static_cast<double>(a.Total(service, from, from + kMinutesPerDay)));
    }
    ordinary_days = OrdinaryDays(totals, 2, 50);
  }
  // The ordinary days, a run of consecutive ones at a time (outage days are left out): one read
  // of a run costs about what one of its days does, since the middle of a long window is summed
  // from its chunks' totals.
  for (int d = 1; d <= days;) {
    if (!ordinary_days[static_cast<size_t>(d - 1)]) {  // an outage day
      ++d;
      continue;
    }
    int last = d;
    while (last < days && ordinary_days[static_cast<size_t>(last)]) ++last;
    int64_t from = today_start - last * kMinutesPerDay;
    int64_t to = today_start - (d - 1) * kMinutesPerDay;
    for (const auto& kc : a.Top(service, dimension, from, to, SIZE_MAX)) {
      day.area_reports[area][kc.key] += static_cast<double>(kc.count);
      day.area_total[area] += static_cast<double>(kc.count);
    }
    d = last + 1;
  }
  day.areas_loaded[area] = true;
}

double Detector::QuarterReports(const store::Aggregates& a, uint32_t service, Tracker& t,
                                store::Dimension dimension, size_t area,
                                const std::string& key) const {
  auto [cached, first_time] = t.areas_quarter_reports[area].try_emplace(key, 0);
  if (first_time) {
    for (int d = 1; d <= t.areas_days; ++d) {
      if (!t.areas_quarter_kept[static_cast<size_t>(d - 1)]) continue;
      int64_t from = t.areas_quarter - d * kMinutesPerDay;
      auto q = a.Series(service, dimension, key, from, from + kQuarter, kQuarter);
      for (uint64_t n : q.counts) cached->second += static_cast<double>(n);
    }
  }
  return cached->second;
}

uint32_t Detector::MetroOf(uint32_t geonameid) const {
  geo::CityId city = gazetteer_->FindByGeonameId(geonameid);
  return city == geo::kNoCity ? 0 : gazetteer_->city(gazetteer_->MetroOf(city)).geonameid;
}

bool Detector::MetroPasses(const store::Aggregates& a, uint32_t service, Tracker& t, int64_t window,
                           double expected_window, double f,
                           const std::vector<store::Aggregates::CountRow>& cities_in_window) const {
  constexpr size_t kRegions = 0, kCities = 2;
  constexpr double kMetroReadFactor = 0.8;
  DayProfile& day = t.day;
  if (gazetteer_ == nullptr || day.area_total[kCities] <= 0) return false;
  std::vector<bool> ordinary_days;
  LoadAreaDays(a, service, t, kRegions, std::min(options_.history_days, day.days_with_history),
               ordinary_days);
  const auto& city_reports = day.area_reports[kCities];
  auto metro_of = [&](uint32_t geonameid) {
    auto [known, first_time] = t.city_metro.try_emplace(geonameid, 0);
    if (first_time) known->second = MetroOf(geonameid);
    return known->second;
  };
  if (!day.metros_loaded) {
    std::unordered_map<uint32_t, std::vector<std::pair<double, std::string>>> members;
    for (const auto& [key, reports] : city_reports) {
      uint32_t geonameid = 0;
      std::from_chars(key.data(), key.data() + key.size(), geonameid);
      if (uint32_t metro = metro_of(geonameid)) {
        members[metro].emplace_back(-reports, key);  // the busiest first
        day.metro_reports[metro] += reports;
      }
    }
    for (auto& [metro, cities] : members) {
      std::sort(cities.begin(), cities.end());
      auto& keys = day.metro_cities[metro];
      for (auto& [reports, key] : cities) keys.push_back(std::move(key));
    }
    day.metros_loaded = true;
  }
  // The window's reports per metro, and the city of each with the most (its evidence): its
  // cities sorted by metro, then summed (one allocation, not one per metro).
  struct CityInWindow {
    uint32_t metro;
    uint32_t geonameid;
    uint64_t reports;
  };
  std::vector<CityInWindow> in_window;
  for (const auto& [key, count] : cities_in_window) {
    const auto geonameid = static_cast<uint32_t>(key);
    if (uint32_t metro = metro_of(geonameid)) in_window.push_back({metro, geonameid, count});
  }
  std::sort(in_window.begin(), in_window.end(), [](const CityInWindow& x, const CityInWindow& y) {
    return x.metro != y.metro ? x.metro < y.metro : x.geonameid < y.geonameid;
  });
  struct Now {
    uint32_t metro = 0;
    double reports = 0;
    int cities = 0;
    uint32_t busiest = 0;  // geonameid
    uint64_t busiest_reports = 0;
  };
  std::vector<Now> now;
  for (const CityInWindow& c : in_window) {
    if (now.empty() || now.back().metro != c.metro) now.push_back({.metro = c.metro});
    Now& m = now.back();
    m.reports += static_cast<double>(c.reports);
    ++m.cities;
    if (c.reports > m.busiest_reports) {  // ties: the lower geonameid, seen first
      m.busiest_reports = c.reports;
      m.busiest = c.geonameid;
    }
  }
  const double excess_floor =
      f * options_.outage_excess * (window > 5 ? options_.slow_excess_factor : 1);
  // Cities and metros are both tested: each must be surprising beyond the number of them.
  const double areas =
      static_cast<double>(day.area_reports[kCities].size() + day.metro_reports.size());
  const double penalty = std::log10(areas + 1);
  const double metros = static_cast<double>(day.metro_reports.size());
  for (const Now& m : now) {
    const uint32_t metro = m.metro;
    // A metro with one city reporting is that city, already tested.
    if (m.cities < 2 || m.reports < excess_floor) continue;
    auto known = day.metro_reports.find(metro);
    double whole_days = known == day.metro_reports.end() ? 0 : known->second;
    double day_share = (whole_days + 1) / (day.area_total[kCities] + metros + 1);
    // Its cities' history at this time of day is read only for a metro near the ratio floor
    // when judged by its whole-day share and its region's (ISO 3166-2, one time zone as a rule)
    // at this time of day: reading every large metro's cities was half of a backtest's time. A
    // metro would have to be under 0.8 times as busy at this hour, against its whole day, as
    // its region is, to pass unread.
    const geo::City& centre = gazetteer_->city(gazetteer_->FindByGeonameId(metro));
    double region_ratio = 1;  // the region's share at this time of day over its whole-day one
    if (auto known_region =
            day.area_reports[kRegions].find(std::string(gazetteer_->region_code(centre.region)));
        known_region != day.area_reports[kRegions].end() && t.areas_quarter_service > 0) {
      const double region_day = known_region->second / day.area_total[kRegions];
      const double region_q =
          QuarterReports(a, service, t, store::Dimension::kRegion, kRegions, known_region->first) /
          t.areas_quarter_service;
      region_ratio = region_q / region_day;
    }
    if (m.reports <
        kMetroReadFactor * f * options_.outage_ratio * expected_window * day_share * region_ratio) {
      continue;
    }
    // Its reports in this quarter hour over the past days, summed over its cities.
    double metro_q = 0;
    if (auto members = day.metro_cities.find(metro); members != day.metro_cities.end()) {
      for (const std::string& city : members->second) {
        metro_q += QuarterReports(a, service, t, store::Dimension::kCity, kCities, city);
      }
    }
    const double service_q = t.areas_quarter_service;
    double share =
        (metro_q + options_.region_prior * day_share) / (service_q + options_.region_prior);
    share += 2 * std::sqrt(share * (1 - share) / (service_q + options_.region_prior));
    const double expected = expected_window * share;
    if (m.reports >= f * options_.outage_ratio * expected && m.reports - expected >= excess_floor &&
        OverdispersedTailScore(m.reports, expected, t.dispersion) >=
            options_.outage_score + penalty) {
      // The evidence names its busiest city, expecting its part of the metro's usual count
      // (as much of it as of the metro's reports in the window).
      t.state.area = {.dimension = store::Dimension::kCity,
                      .key = std::to_string(m.busiest),
                      .window_minutes = window,
                      .expected_per_minute = expected / static_cast<double>(window) *
                                             static_cast<double>(m.busiest_reports) / m.reports};
      return true;
    }
  }
  return false;
}

void Detector::LearnDispersion(Tracker& t, int64_t minute, double score) const {
  if (t.state.status == Status::kOutage) {
    // The surprises just before an outage were its own first minutes, not noise.
    t.calibration_pending = 0;
    return;
  }
  if (t.state.status == Status::kNormal) {
    if (score >= kCalibrationScore) {
      ++t.calibration_pending;
      t.calibration_last = minute;
    } else {
      t.dispersion =
          std::max(options_.dispersion, t.dispersion * (1 - kDispersionStep * kCalibrationRate));
    }
  }
  if (t.calibration_pending > 0 && t.state.status == Status::kNormal &&
      minute - t.calibration_last >= kCalibrationDelayMinutes) {
    // Back to normal, and no outage, half an hour later: the surprises were noise (a burst that
    // rose to `possible` at most); at most kMaxCalibrationSteps from one burst.
    int steps = std::min(t.calibration_pending, kMaxCalibrationSteps);
    t.dispersion = std::min(
        std::max(options_.max_dispersion, options_.dispersion),
        std::max(t.dispersion, kMinLearnedDispersion) * std::pow(1 + kDispersionStep, steps));
    t.calibration_pending = 0;
  }
}

void Detector::Evaluate(const store::Aggregates& a, uint32_t service, int64_t minute, Tracker& t) {
  int64_t quarter = FloorDiv(minute, kQuarter);
  if (quarter != t.baseline_quarter) {
    // The day-level terms change with the service's local day: read once a day, not every
    // quarter hour. Services sharing a time zone would all read theirs on the same tick, so each
    // waits for its own quarter hour of the first two hours of the new day (its index modulo 8),
    // keeping yesterday's terms meanwhile (at night, when they matter least).
    int64_t local_minute = minute + t.day.tz_minutes;
    if (t.day.local_day == INT64_MIN ||
        (FloorDiv(local_minute, kMinutesPerDay) != t.day.local_day &&
         FloorMod(local_minute, kMinutesPerDay) / kQuarter >= service % kDayProfileSpread)) {
      t.day = ComputeDayProfile(a, service, minute);
    }
    Baseline b = ComputeBaseline(a, service, minute, &t.day);
    // The quarter hours just before keep their baselines for the slow window.
    const bool next = quarter == t.baseline_quarter + 1;
    for (size_t k = t.earlier_baselines.size() - 1; k > 0; --k) {
      t.earlier_baselines[k] = next ? t.earlier_baselines[k - 1] : NAN;
    }
    t.earlier_baselines[0] = next ? t.baseline : NAN;
    t.baseline = b.per_minute;
    t.baseline_relative_variance = b.relative_variance;
    t.young = b.young;  // its baseline is a plain mean that knows no daily cycle
    t.baseline_quarter = quarter;
  }
  double e = t.baseline;
  ServiceState& s = t.state;
  s.area = {};  // set by an area's test that passes this minute
  if (std::isnan(t.dispersion)) {
    // Its first minute: from what it learned before a restart, else the floor.
    t.dispersion = options_.dispersion;
    // Without learning, every service has `dispersion`, whatever was learned before.
    if (auto seeded = seeded_dispersions_.find(s.service); options_.learn_dispersion &&
                                                           seeded != seeded_dispersions_.end() &&
                                                           std::isfinite(seeded->second)) {
      t.dispersion = std::clamp(seeded->second, options_.dispersion,
                                std::max(options_.max_dispersion, options_.dispersion));
    }
    s.dispersion = t.dispersion;
  }
  if (std::isnan(e)) {
    // Too young to judge: normal, with no expectation to show.
    t.possible_run = t.outage_run = 0;
    s.evaluated_minute = minute;
    s.expected_per_minute = s.ratio = s.score = NAN;
    s.observed_per_minute = static_cast<double>(Count(a, service, minute - 4, minute + 1)) / 5;
    return;
  }
  double score = 0;
  for (int64_t w : {1, 3, 5}) {
    double observed = static_cast<double>(Count(a, service, minute - w + 1, minute + 1));
    score = std::max(score, OverdispersedTailScore(observed, e * static_cast<double>(w),
                                                   t.dispersion + t.baseline_relative_variance));
  }
  // A baseline without the daily cycle yet (fewer than min_history_days) misfits: its surprises
  // say nothing about the service's noise.
  if (options_.learn_dispersion && t.day.days_with_history >= options_.min_history_days) {
    LearnDispersion(t, minute, score);
  }
  double observed5 = static_cast<double>(Count(a, service, minute - 4, minute + 1));
  double ratio = observed5 / (5 * e);
  double excess = observed5 - 5 * e;
  // A young service's plain-mean baseline cannot tell its afternoon peak from a rise: it must
  // rise `young_service_factor` times further.
  double f = t.young ? options_.young_service_factor : 1;
  bool possible = score >= options_.possible_score && ratio >= f * options_.possible_ratio &&
                  excess >= f * options_.possible_excess;
  bool outage = score >= options_.outage_score && ratio >= f * options_.outage_ratio &&
                excess >= f * options_.outage_excess;
  const bool judged_areas =
      options_.regional && t.day.days_with_history >= options_.min_history_days;
  // A regional outage hides in the total of a large service; it still adds the outage excess.
  if (!outage && judged_areas && excess >= f * options_.outage_excess) {
    outage = AreaOutage(a, service, minute, t, 5, 5 * e, f, /*cities=*/false);
    possible = possible || outage;
  }
  // The slow window: the same tests over `slow_window_minutes`, for outages whose excess comes
  // too slowly for five minutes to show (expected from each minute's own quarter hour).
  // Only with a week of history: over half an hour a baseline's error is many reports, and one
  // from a few days is far off (a quiet month's only false incident came on its third day).
  if (!outage && options_.slow_window_minutes > 0 &&
      t.day.days_with_history >= kSlowWindowHistoryDays) {
    const int64_t w = options_.slow_window_minutes;
    const double expected_w = ExpectedOver(t, minute, w);
    if (std::isfinite(expected_w)) {
      const double observed_w = static_cast<double>(Count(a, service, minute - w + 1, minute + 1));
      const double excess_w = observed_w - expected_w;
      const double floor_w = options_.outage_excess * options_.slow_excess_factor;
      const double score_w =
          excess_w >= floor_w ? OverdispersedTailScore(observed_w, expected_w, t.dispersion) : 0;
      if (excess_w >= floor_w && observed_w >= options_.outage_ratio * expected_w &&
          score_w >= options_.outage_score) {
        outage = true;
      } else if (judged_areas && score_w >= kSlowAreaTrigger) {
        // Its areas are read only when the total is somewhat surprising too: reading them every
        // minute for every large service would cost more than all the rest of the tick.
        outage = AreaOutage(a, service, minute, t, w, expected_w, f, /*cities=*/false);
      }
      possible = possible || outage;
    }
  }
  // The metro scan: every 5 minutes (an outage it found holds through the 4 minutes between,
  // which are fewer than clear_after_minutes).
  if (!outage && options_.metro_window_minutes > 0 && e >= options_.metro_min_expected &&
      t.day.days_with_history >= kSlowWindowHistoryDays && FloorMod(minute, 5) == 0) {
    const double expected_w = ExpectedOver(t, minute, options_.metro_window_minutes);
    if (std::isfinite(expected_w)) {
      outage = AreaOutage(a, service, minute, t, options_.metro_window_minutes, expected_w, f,
                          /*cities=*/true);
      possible = possible || outage;
    }
  }
  t.possible_run = possible ? t.possible_run + 1 : 0;
  t.outage_run = outage ? t.outage_run + 1 : 0;

  Status next = s.status;
  if (t.outage_run >= options_.outage_after_minutes) {
    next = Status::kOutage;
  } else if (s.status == Status::kNormal && t.possible_run >= options_.possible_after_minutes) {
    next = Status::kPossible;
  } else if (s.status != Status::kNormal) {
    // Hysteresis: fall only after clear_after_minutes failing the current level's test; an
    // outage falls to possible if the possible test still passes, else straight to normal.
    bool holds = s.status == Status::kOutage ? outage : possible;
    t.quiet_run = holds ? 0 : t.quiet_run + 1;
    if (t.quiet_run >= options_.clear_after_minutes) {
      next = s.status == Status::kOutage && possible ? Status::kPossible : Status::kNormal;
    }
  }
  if (next != s.status) {
    s.status = next;
    s.since_minute = minute;
    t.quiet_run = 0;
  }
  s.evaluated_minute = minute;
  s.expected_per_minute = e;
  s.observed_per_minute = observed5 / 5;
  s.ratio = ratio;
  s.score = score;
  s.dispersion = t.dispersion;
}

std::vector<ServiceRunState> Detector::ExportState() const {
  std::vector<ServiceRunState> out;
  // A restore waiting for the next Tick replaces every tracker: what it holds is the state.
  if (replace_ticked_) {
    for (const auto& [service, r] : restored_) out.push_back(r);
    return out;
  }
  for (const Tracker& t : trackers_) {
    if (t.state.service.empty()) continue;
    if (t.state.status == Status::kNormal && t.possible_run == 0 && t.outage_run == 0 &&
        t.quiet_run == 0 && t.calibration_pending == 0) {
      continue;  // the initial state: its learned dispersion is kept hourly (LearnedDispersions)
    }
    ServiceRunState r;
    r.service = t.state.service;
    r.status = t.state.status;
    r.since_minute = t.state.since_minute;
    r.evaluated_minute = t.state.evaluated_minute;
    r.possible_run = t.possible_run;
    r.outage_run = t.outage_run;
    r.quiet_run = t.quiet_run;
    r.dispersion = t.dispersion;
    r.calibration_pending = t.calibration_pending;
    r.calibration_last = t.calibration_last;
    out.push_back(std::move(r));
  }
  // Services not ticked since a restore keep what was restored.
  for (const auto& [service, r] : restored_) out.push_back(r);
  return out;
}

void Detector::RestoreState(std::vector<ServiceRunState> state) {
  restored_.clear();
  replace_ticked_ = true;
  for (ServiceRunState& r : state) {
    std::string service = r.service;
    restored_[service] = std::move(r);
  }
}

void Detector::Restore(const ServiceRunState& r, Tracker& t) const {
  t.state.status = r.status;
  t.state.since_minute = r.since_minute;
  t.state.evaluated_minute = r.evaluated_minute;
  t.possible_run = r.possible_run;
  t.outage_run = r.outage_run;
  t.quiet_run = r.quiet_run;
  t.calibration_pending = r.calibration_pending;
  t.calibration_last = r.calibration_last;
  if (options_.learn_dispersion && std::isfinite(r.dispersion)) {
    t.dispersion = std::clamp(r.dispersion, options_.dispersion,
                              std::max(options_.max_dispersion, options_.dispersion));
    t.state.dispersion = t.dispersion;
  }
}

void Detector::SeedDispersions(std::unordered_map<std::string, double> learned) {
  seeded_dispersions_ = std::move(learned);
}

void Detector::Tick(const store::Aggregates& a, int64_t minute) {
  const auto& services = a.services();
  if (trackers_.size() < services.size()) trackers_.resize(services.size());
  auto snapshot = std::make_shared<DetectionSnapshot>();
  snapshot->minute = minute;
  snapshot->services.reserve(services.size());
  for (uint32_t i = 0; i < services.size(); ++i) {
    Tracker& t = trackers_[i];
    if (t.state.service.empty()) {
      t.state.service = services[i];
      t.state.since_minute = minute;
      if (auto found = restored_.find(services[i]); found != restored_.end()) {
        Restore(found->second, t);
        restored_.erase(found);
      }
    } else if (replace_ticked_) {
      if (auto found = restored_.find(services[i]); found != restored_.end()) {
        Restore(found->second, t);
        restored_.erase(found);
      } else {
        ServiceRunState initial;
        initial.since_minute = minute;
        initial.evaluated_minute = t.state.evaluated_minute;
        initial.dispersion = t.dispersion;
        Restore(initial, t);
      }
    }
    Evaluate(a, i, minute, t);
    snapshot->index.emplace(t.state.service, snapshot->services.size());
    snapshot->services.push_back(t.state);
  }
  replace_ticked_ = false;
  MutexLock lock(mu_);
  snapshot_ = std::move(snapshot);
}

}  // namespace om::detect
