#include "detect/live_series.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace om::detect {
namespace {

constexpr int64_t kDayMinutes = 1440;
// The one service every row counts for.
constexpr char kSeriesService[] = "series";

int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

}  // namespace

LiveSeriesScorer::LiveSeriesScorer(DetectOptions options) : options_(options), detector_(options) {}

void LiveSeriesScorer::Judge(int64_t minute) {
  detector_.Tick(aggregates_, minute);
  judged_minute_ = minute;
  const ServiceState* s = detector_.Snapshot()->Find(kSeriesService);
  detect::Status before = last_status_;
  last_status_ = s ? s->status : detect::Status::kNormal;
  double surprise = s ? s->score : 0;
  if (last_status_ == detect::Status::kOutage && before != detect::Status::kOutage) {
    last_score_ = 1;
  } else if (last_status_ == detect::Status::kPossible && before == detect::Status::kNormal) {
    last_score_ = 0.5;
  } else {
    double ratio = options_.outage_score > 0 ? surprise / options_.outage_score : 0;
    last_score_ = 0.49 * std::clamp(std::isfinite(ratio) ? ratio : 0.0, 0.0, 1.0);
  }
}

Result<double> LiveSeriesScorer::Update(int64_t t_seconds, double value) {
  if (!(value >= 0) || value != std::floor(value) || value >= 4294967296.0) {
    return om::Status::InvalidArgument(
        "value: the live engine counts reports: a non-negative integer below 2^32");
  }
  int64_t minute = FloorDiv(t_seconds, 60);
  if (int64_t day = FloorDiv(minute, kDayMinutes); day != pruned_day_) {
    // As the server's store does: buckets past their retention are dropped once a day.
    aggregates_.Prune(minute);
    pruned_day_ = day;
  }
  auto count = static_cast<uint64_t>(value);
  store::Report r;
  r.service = kSeriesService;
  if (minute <= judged_minute_) {
    // A second row in a judged minute: counted, judged with the next minute's windows.
    r.ts_ms = minute * 60000;
    if (count > 0) aggregates_.AddCount(r, static_cast<uint32_t>(count));
    return last_score_;
  }
  // The row counts the reports since the previous row: spread them evenly over its minutes (at
  // most kMaxSpreadMinutes), so that the 1- and 3-minute windows see a rate, not a lump.
  int64_t spread = judged_minute_ == INT64_MIN
                       ? 1
                       : std::clamp<int64_t>(minute - judged_minute_, 1, kMaxSpreadMinutes);
  // The minutes before those are empty and complete: judge them first, as the detector thread
  // would, jumping the start of a long gap.
  if (judged_minute_ != INT64_MIN) {
    int64_t from = std::max(judged_minute_ + 1, minute - kMaxGapMinutes);
    for (int64_t m = from; m <= minute - spread; ++m) Judge(m);
  }
  double best = 0;
  for (int64_t k = 0; k < spread; ++k) {
    int64_t m = minute - spread + 1 + k;
    // Minute k of `spread` gets its share; the first ones take the remainder.
    uint64_t share = count / static_cast<uint64_t>(spread) +
                     (static_cast<uint64_t>(k) < count % static_cast<uint64_t>(spread) ? 1 : 0);
    r.ts_ms = m * 60000;
    // A zero still names the service, so that it is tracked from its first row.
    aggregates_.AddCount(r, static_cast<uint32_t>(share));
    Judge(m);
    best = std::max(best, last_score_);
  }
  return best;
}

}  // namespace om::detect
