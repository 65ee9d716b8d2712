#include "pipeline/live_series.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "base/time.h"

namespace om::pipeline {
namespace {

// The one service every row counts for.
constexpr char kSeriesService[] = "series";
// A quarter hour's count must fit the store's 32-bit counters: 15 minutes of the largest row.
constexpr double kMaxCount = 268435456.0;  // 2^28
constexpr int64_t kQuarterHourSeconds = int64_t{15} * 60;
constexpr int64_t kMinSeconds = -(int64_t{1} << 31) * 60 + kQuarterHourSeconds;
constexpr int64_t kMaxSeconds = ((int64_t{1} << 31) - 1) * 60 - kQuarterHourSeconds;

}  // namespace

LiveSeriesScorer::LiveSeriesScorer(detect::DetectOptions options)
    : options_(options),
      detector_(options),
      pipeline_(PipelineParts{
          .detector = detector_,
          .tracker = tracker_,
          .read_counts = [this](const auto& read) { read(aggregates_); },
      }) {}

void LiveSeriesScorer::Judge(int64_t minute) {
  pipeline_.EvaluateMinute(aggregates_, minute);
  judged_minute_ = minute;
  auto snapshot = detector_.Snapshot();  // held while `s` points into it
  const detect::ServiceState* s = snapshot->Find(kSeriesService);
  detect::Status before = last_status_;
  last_status_ = s ? s->status : detect::Status::kNormal;
  double ratio = s && options_.outage_score > 0 ? s->score / options_.outage_score : 0;
  last_surprise_ = 0.49 * std::clamp(std::isfinite(ratio) ? ratio : 0.0, 0.0, 1.0);
  double score = last_surprise_;
  if (last_status_ == detect::Status::kOutage && before != detect::Status::kOutage) {
    score = 1;
  } else if (last_status_ == detect::Status::kPossible && before == detect::Status::kNormal) {
    score = 0.5;
  }
  // A row reports the most any minute said since the row before it: after a gap of over a day,
  // the empty minutes judged first can hold an onset too.
  pending_score_ = std::max(pending_score_, score);
}

Result<double> LiveSeriesScorer::Update(int64_t t_seconds, double value) {
  if (!(value >= 0) || value != std::floor(value) || value >= kMaxCount) {
    return om::Status::InvalidArgument(
        "value: the live engine counts reports: a non-negative integer below 2^28");
  }
  // The store keeps minutes and quarter hours in 32 bits: about 4,000 years either side of 1970.
  if (t_seconds < kMinSeconds || t_seconds > kMaxSeconds) {
    return om::Status::InvalidArgument(
        "timestamp: out of the live engine's range (years 1970 +/- 4,000; Unix seconds, not "
        "milliseconds)");
  }
  int64_t minute = FloorDiv(t_seconds, 60);
  if (int64_t day = FloorDiv(minute, kMinutesPerDay); day != pruned_day_) {
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
    // No new minute was judged: the surprise as it stands, never a second onset.
    return last_surprise_;
  }
  // The row counts the reports since the previous row: spread them evenly over its minutes (at
  // most kMaxSpreadMinutes), so that the 1-, 3- and 5-minute windows see a rate, not a lump.
  int64_t spread = judged_minute_ == INT64_MIN
                       ? 1
                       : std::clamp<int64_t>(minute - judged_minute_, 1, kMaxSpreadMinutes);
  // The minutes before those are empty and complete: judge them first, as the detector thread
  // would, jumping the start of a long gap.
  if (judged_minute_ != INT64_MIN) {
    int64_t from = std::max(judged_minute_ + 1, minute - kMaxGapMinutes);
    for (int64_t m = from; m <= minute - spread; ++m) Judge(m);
  }
  for (int64_t k = 0; k < spread; ++k) {
    int64_t m = minute - spread + 1 + k;
    // Minute k of `spread` gets its share; the first ones take the remainder.
    uint64_t share = count / static_cast<uint64_t>(spread) +
                     (static_cast<uint64_t>(k) < count % static_cast<uint64_t>(spread) ? 1 : 0);
    r.ts_ms = m * 60000;
    // A zero still names the service, so that it is tracked from its first row.
    aggregates_.AddCount(r, static_cast<uint32_t>(share));
    Judge(m);
  }
  double score = pending_score_;
  pending_score_ = 0;
  return score;
}

}  // namespace om::pipeline
