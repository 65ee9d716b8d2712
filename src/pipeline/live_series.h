#pragma once
// LiveSeriesScorer runs the live per-service Detector (detect/detector.h) through the Pipeline
// (pipeline.h) the server and `outagemap backtest` use, on a single count series: each row's value
// is counted as that many reports of one service in the row's minute, every minute is judged as the
// server's detector thread judges it, and the row gets a score read from the service's status. It
// is what `outagemap detect-series --engine live` runs, so that the engine behind the product can
// be measured on outside series (docs/detection-nab.md).
//
// The score of a row:
//   1     the status became `outage` on this row's minute (an incident would open);
//   0.5   it became `possible` (from normal);
//   else  0.49 x min(1, score / outage_score), the test's surprise below the possible level.
// So a threshold above 0.5 keeps the engine's own outage decisions, one per incident.
//
// A row counts the reports since the previous row: its count is spread evenly over the minutes
// since then (at most `kMaxSpreadMinutes`, the last of them the row's own minute), which are then
// judged in order, so that 5-minute or hourly rows feed the 1-, 3- and 5-minute windows a rate
// rather than a lump (a lump in one minute of each hour would look like an outage to a baseline
// that changes at quarter-hour boundaries); the row's score is the highest of the minutes judged
// since the previous row. Minutes before the spread (gaps over a day) are judged as empty; a gap
// longer than `kMaxGapMinutes` is jumped (its last minutes are judged, the ones before are not).
// Rows in an already judged minute are counted and are seen by the next minute's 3- and 5-minute
// windows. Memory is bounded by the aggregates' retention (pruned once a day of series time).
//
// Thread-safety: not thread-safe; one instance per series, used by one thread.

#include <cstdint>
#include <memory>

#include "base/status.h"
#include "detect/detector.h"
#include "incidents/incident_tracker.h"
#include "pipeline/pipeline.h"
#include "store/aggregates.h"

namespace om::pipeline {

class LiveSeriesScorer {
 public:
  // Judged minutes at most between two rows; a longer gap is jumped.
  static constexpr int64_t kMaxGapMinutes = int64_t{2} * 1440;
  // A row's count is spread over the minutes since the previous row, at most this many (a day:
  // daily rows still work; a longer gap's count is put in its last day).
  static constexpr int64_t kMaxSpreadMinutes = 1440;

  explicit LiveSeriesScorer(detect::DetectOptions options = {});
  LiveSeriesScorer(const LiveSeriesScorer&) = delete;
  LiveSeriesScorer& operator=(const LiveSeriesScorer&) = delete;
  ~LiveSeriesScorer() = default;

  // Counts `value` reports at `t_seconds` and returns the row's score in [0, 1]: the highest of
  // the minutes judged since the previous row (gap minutes included). A row in a minute judged
  // already returns that minute's surprise without an onset, so one onset is reported once.
  // kInvalidArgument "value: ..." when the value is not a count (a non-negative integer below
  // 2^28, so that a quarter hour of them fits the store's counters), "timestamp: ..." past
  // 4,000 years from 1970. REQUIRES: t_seconds does not decrease from call to call.
  Result<double> Update(int64_t t_seconds, double value);

  // The service's status after the last row.
  detect::Status last_status() const { return last_status_; }
  // For tests: the counts held.
  const store::Aggregates& TEST_aggregates() const { return aggregates_; }

 private:
  void Judge(int64_t minute);

  const detect::DetectOptions options_;
  store::Aggregates aggregates_;
  detect::Detector detector_;
  incidents::IncidentTracker tracker_;
  Pipeline pipeline_;
  int64_t judged_minute_ = INT64_MIN;  // the last minute judged
  int64_t pruned_day_ = INT64_MIN;
  detect::Status last_status_ = detect::Status::kNormal;
  double last_surprise_ = 0;  // the last judged minute's score without its onset part
  double pending_score_ = 0;  // the highest score of the minutes judged since the last row
};

}  // namespace om::pipeline
