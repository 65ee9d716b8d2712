#include "detect/detector.h"

#include <algorithm>
#include <cmath>

#include "detect/poisson.h"

namespace om::detect {
namespace {

constexpr int64_t kQuarter = 15;
constexpr int64_t kDay = 1440;

int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

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

Detector::Detector(DetectOptions options)
    : options_(options), snapshot_(std::make_shared<DetectionSnapshot>()) {}

std::shared_ptr<const DetectionSnapshot> Detector::Snapshot() const {
  MutexLock lock(mu_);
  return snapshot_;
}

double Detector::ExpectedPerMinute(const store::Aggregates& a, uint32_t service,
                                   int64_t minute) const {
  return ComputeBaseline(a, service, minute).per_minute;
}

double Detector::PossibleThreshold(double expected_count) const {
  if (!(expected_count > 0) || !std::isfinite(expected_count)) return NAN;
  auto passes = [&](double k) {
    return k >= options_.possible_ratio * expected_count &&
           OverdispersedTailScore(k, expected_count, options_.dispersion) >=
               options_.possible_score;
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

Detector::Baseline Detector::ComputeBaseline(const store::Aggregates& a, uint32_t service,
                                             int64_t minute) const {
  int64_t quarter_start = FloorDiv(minute, kQuarter) * kQuarter;
  std::vector<double> same_quarter;
  same_quarter.reserve(static_cast<size_t>(options_.history_days));
  for (int d = 1; d <= options_.history_days; ++d) {
    int64_t from = quarter_start - d * kDay;
    same_quarter.push_back(static_cast<double>(a.Total(service, from, from + kQuarter)));
  }
  // Days before the service's first report do not count as zero days.
  int64_t first_day = INT64_MAX;
  auto day_totals = a.Series(service, std::nullopt, "",
                             quarter_start - options_.history_days * kDay, quarter_start, kDay);
  for (size_t i = 0; i < day_totals.counts.size(); ++i) {
    if (day_totals.counts[i] > 0) {
      first_day = static_cast<int64_t>(i);
      break;
    }
  }
  // Reports before the last day bucket: the service is older than a day. Judged on the day
  // totals already read, not on a second pass over 13 days of minute counts.
  const bool older_than_a_day =
      first_day != INT64_MAX && first_day + 1 < static_cast<int64_t>(day_totals.counts.size());
  int days_with_history =
      first_day == INT64_MAX ? 0 : options_.history_days - static_cast<int>(first_day);
  double expected;
  if (days_with_history >= options_.min_history_days) {
    // same_quarter[d - 1] is d days ago; keep the days since the first report.
    std::vector<double> usable(same_quarter.begin(), same_quarter.begin() + days_with_history);
    std::nth_element(usable.begin(), usable.begin() + static_cast<ptrdiff_t>(usable.size() / 2),
                     usable.end());
    expected = usable[usable.size() / 2] / kQuarter;
    // Slow drift: a service that grows or shrinks sits away from the median of its past. Scale
    // by the median daily total of the last 7 days over that of the whole history (medians, so
    // an outage day does not count), within [1 / max_drift, max_drift].
    if (options_.max_drift > 1) {
      std::vector<double> days(day_totals.counts.begin() + first_day, day_totals.counts.end());
      std::vector<double> recent(days.end() - std::min<ptrdiff_t>(7, std::ssize(days)), days.end());
      double all_level = Median(days), recent_level = Median(recent);
      if (all_level > 0) {
        expected *=
            std::clamp(recent_level / all_level, 1 / options_.max_drift, options_.max_drift);
      }
    }
  } else {
    if (older_than_a_day) {
      // Its mean rate over the last day, leaving out the last hour (which may be the very outage
      // being judged).
      double n = static_cast<double>(Count(a, service, minute - kDay, minute - 60));
      expected = n / static_cast<double>(kDay - 60);
    } else {
      // Younger than a day: its mean rate since its first report, leaving out the last
      // `warmup_minutes`; before that much history there is nothing to judge against.
      auto last_day = a.Series(service, std::nullopt, "", minute - kDay, minute + 1, 1);
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
  }
  return {std::max(expected, options_.min_expected_per_minute), !older_than_a_day};
}

void Detector::Evaluate(const store::Aggregates& a, uint32_t service, int64_t minute, Tracker& t) {
  int64_t quarter = FloorDiv(minute, kQuarter);
  if (quarter != t.baseline_quarter) {
    Baseline b = ComputeBaseline(a, service, minute);
    t.baseline = b.per_minute;
    t.young = b.young;  // its baseline is a plain mean that knows no daily cycle
    t.baseline_quarter = quarter;
  }
  double e = t.baseline;
  ServiceState& s = t.state;
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
    score = std::max(
        score, OverdispersedTailScore(observed, e * static_cast<double>(w), options_.dispersion));
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
  t.possible_run = possible ? t.possible_run + 1 : 0;
  t.outage_run = outage ? t.outage_run + 1 : 0;

  Status next = s.status;
  if (t.outage_run >= options_.outage_after_minutes) {
    next = Status::kOutage;
  } else if (s.status == Status::kNormal && t.possible_run >= options_.possible_after_minutes) {
    next = Status::kPossible;
  } else if (s.status != Status::kNormal) {
    // Hysteresis: fall one level only after clear_after_minutes failing the current level's test.
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
    }
    Evaluate(a, i, minute, t);
    snapshot->index.emplace(t.state.service, snapshot->services.size());
    snapshot->services.push_back(t.state);
  }
  MutexLock lock(mu_);
  snapshot_ = std::move(snapshot);
}

}  // namespace om::detect
