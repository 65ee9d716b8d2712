#pragma once
// SeriesDetector scores a single numeric time series point by point, online and causally: the
// score of a point uses that point and the points before it only. It generalises the live
// detector's ideas (a robust, seasonal expectation; how unlikely the observation is under it) to
// any regularly sampled series of unknown period and unit: report counts, CPU %, temperatures,
// latencies, negative values. `outagemap detect-series` runs it over a CSV on stdin; the method,
// its sources and its NAB results are in docs/detection-nab.md.
//
// Per point, in order:
//  1. Probation: the first `probation_points` points are buffered and score 0. At the end of
//     probation the detector fixes the sampling interval (median gap), whether the series looks
//     like counts (non-negative integers: then it works on the Anscombe transform
//     2 sqrt(x + 3/8), which makes Poisson noise unit-variance), and the number of time-of-day
//     slots; then it replays the buffer into its statistics.
//  2. Expectation: two robust forecasts of the next value, each an online Huber M-estimate
//     (residuals clipped at `huber_k` scales): a local level (EWMA) and, when the sampling
//     interval is at most an hour, a seasonal forecast (per time-of-day slot EWMA plus a slow
//     drift term). They are combined with weights inversely proportional to their recent mean
//     squared errors (Bates & Granger 1969), so a series without a daily cycle ignores the slots.
//  3. Surprise: z = (value - expected) / scale, scale a robust EW mean absolute residual. For
//     count series a drop counts `count_down_weight` of a rise (outages raise report counts).
//     Two surprise statistics: the point |z| and the mean |z| of the last `short_window` points.
//  4. Calibration: each statistic's p-value is its empirical upper-tail frequency among the last
//     `history_points` values of the same statistic (a conformal p-value), extended beyond the
//     largest value seen with an exponential tail (one decade per unit of |z|). A third
//     statistic, range novelty: a value beyond the minimum or maximum of the last
//     `history_points` values by e scales has
//     p_novel = novelty_base / (n + 1) * 10^(-novelty_weight * e). Against the fixed alarm level,
//     a larger novelty_base asks a short history (n small, where new extremes are common) for a
//     larger excess, while a full one (n = 5000) still alarms on any new extreme.
//     p = min(2 min(p_point, p_mean), p_novel) (Bonferroni over the two surprise statistics);
//     score = min(1, -log10(p) / `score_decades`).
//  5. Suppression: once the score reaches `detect_score`, the next
//     max(min(`suppress_points`, `suppress_seconds` / interval), `suppress_fraction` x points seen)
//     points score 0 (one alarm per event, not a burst), while the statistics keep learning.
//
// Memory is bounded (O(history_points + slots)); each Update() is O(log bins).
//
// Thread-safety: not thread-safe; one instance per series, used by one thread.

#include <cstdint>
#include <deque>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace om::detect {

// (om::Status is spelled out below: detector.h declares a detect::Status enum, and a file may
// include both headers.)

struct SeriesOptions {
  // Points that score 0 while the detector learns the interval and the first statistics.
  int probation_points = 150;
  // Local level: EWMA weight of the newest point.
  double level_alpha = 0.2;
  // Seasonal forecast: EWMA weight of the newest point in its time-of-day slot.
  double season_alpha = 0.25;
  // Seasonal forecast: EWMA weight of the drift (value minus slot mean), per point.
  double drift_alpha = 0.05;
  // Time-of-day slots at most; fewer when the interval is longer than 86400 / max_slots s.
  int max_slots = 288;
  // Seasonal forecast only for intervals up to this (seconds) and from this many samples a slot.
  int64_t max_seasonal_interval_s = 3600;
  int min_slot_samples = 2;
  // EWMA weight of the newest residual in the scale and in the forecast errors.
  double scale_alpha = 0.01;
  // Residuals are clipped at this many scales before they update any statistic (Huber).
  double huber_k = 3;
  // Count series: a drop below the expectation weighs this much of a rise of the same size.
  double count_down_weight = 0.5;
  // Points averaged in the short-window surprise statistic.
  int short_window = 12;
  // Points in the history that calibrates the surprise statistics.
  int history_points = 5000;
  // -log10 p that maps to score 1.
  double score_decades = 5;
  // Weight of the range-novelty statistic (distance beyond the range of the history, in
  // scales); 0 disables it.
  double novelty_weight = 1;
  // Numerator of the novelty p-value: a value just beyond the range of n points has p
  // novelty_base / (n + 1) (see the header comment for its effect on short histories).
  double novelty_base = 10;
  // Quietness: the mean |z| over the last `quiet_window` points unusually small (a flatline, a
  // stuck sensor, a stream that stopped), calibrated like the others; 0 disables it.
  int quiet_window = 0;
  // Score at or above which a point is an alarm, and how many points after an alarm score 0.
  double detect_score = 0.5;
  int suppress_points = 100;
  // ... but no longer than this many seconds of series time (0: no limit), so that hourly series
  // are not silenced for days.
  int64_t suppress_seconds = 86400;
  // ... or this fraction of the points seen so far, if more: long series get longer quiet spells.
  double suppress_fraction = 0.03;
};

// Sets the SeriesOptions field `name` (as spelled above) from `value`. kInvalidArgument naming
// the field when it is unknown or the value does not parse or is out of range.
om::Status SetSeriesOption(SeriesOptions& options, std::string_view name, std::string_view value);

class SeriesDetector {
 public:
  explicit SeriesDetector(SeriesOptions options = {});
  SeriesDetector(const SeriesDetector&) = delete;
  SeriesDetector& operator=(const SeriesDetector&) = delete;
  ~SeriesDetector();

  // Folds in the point (`t_seconds`, `value`) and returns its anomaly score in [0, 1]: 0 for
  // normal, 1 for a point about 10^-score_decades likely. Non-finite values score 0 and are
  // ignored. REQUIRES: t_seconds does not decrease from call to call.
  double Update(int64_t t_seconds, double value);

  // For tests: the expectation and scale of the next point at `t_seconds`, in the transformed
  // unit (Anscombe for counts); 0 during probation.
  double TEST_Expected(int64_t t_seconds) const;
  bool TEST_IsCount() const { return count_; }
  int64_t TEST_Interval() const { return interval_s_; }

 private:
  // A histogram of a surprise statistic over the last `history_points` values, with prefix sums
  // (Fenwick tree) for upper-tail counts.
  class TailCounter {
   public:
    explicit TailCounter(int capacity);
    // The empirical P(X >= x) among the values held (with the +1 of a conformal p-value),
    // extended beyond the largest value with an exponential tail.
    double PValue(double x) const;
    void Add(double x);

   private:
    static int Bin(double x);
    void Bump(int bin, int delta);
    int CountBelow(int bin) const;  // values in bins < bin
    int HighestBin() const;         // the highest bin holding a value; REQUIRES: held_ > 0
    std::vector<int> tree_;
    std::vector<double> ring_;
    size_t next_ = 0, held_ = 0;
  };

  struct Forecast {
    double expected = 0;
    double seasonal_weight = 0;
  };
  Forecast Predict(int64_t t) const;
  int SlotOf(int64_t t) const;
  double Transform(double value) const;
  void EndProbation();
  void Learn(int64_t t, double y, const Forecast& f);
  double Score(int64_t t, double y, const Forecast& f);

  const SeriesOptions options_;
  int64_t points_ = 0;
  std::vector<std::pair<int64_t, double>> probation_;  // raw points until probation ends
  bool learning_ = true;                               // still in probation
  bool count_ = false;
  int64_t interval_s_ = 0;
  int slots_ = 0;  // 0: no seasonal forecast

  // Local level forecast.
  bool have_level_ = false;
  double level_ = 0;
  // Seasonal forecast: slot means, sample counts, drift.
  std::vector<double> slot_mean_;
  std::vector<int> slot_n_;
  double drift_ = 0;
  // Robust scale of the combined residual, and mean squared errors of each forecast.
  double scale_ = 0;
  double season_scale_ = 0;
  double level_mse_ = 0, season_mse_ = 0;
  bool have_season_mse_ = false;

  // Surprise statistics and their calibration.
  std::vector<double> recent_;  // last short_window |z| values (ring)
  size_t recent_next_ = 0;
  double recent_sum_ = 0;
  TailCounter point_tail_, mean_tail_;
  // Quietness: the last quiet_window |z| values (ring), and its calibration.
  std::vector<double> quiet_;
  size_t quiet_next_ = 0;
  int64_t quiet_seen_ = 0;
  double quiet_sum_ = 0;
  TailCounter quiet_tail_;
  // Range of the last history_points values: monotonic deques of (index, value).
  std::deque<std::pair<int64_t, double>> max_q_, min_q_;
  int suppress_left_ = 0;
};

// Runs a SeriesDetector over CSV rows `timestamp,value` read from `in` (an optional first header
// line whose value field is not a number is skipped; blank lines are skipped) and writes
// `timestamp,anomaly_score` rows, after a header line, to `out`, timestamps echoed verbatim.
// Timestamps are "YYYY-MM-DD HH:MM:SS" (or with a 'T', optional fraction and 'Z'; UTC), or
// integer Unix seconds; a timestamp earlier than the previous row's is taken as equal to it. On a
// bad row returns kInvalidArgument "<source>:<line>: <field>: <why>";
// the rows before it have already been written.
om::Status ScoreSeriesCsv(std::istream& in, std::ostream& out, std::string_view source,
                          const SeriesOptions& options);

// The same driver around any scorer: `score_row` gets each row's (timestamp, value) in order and
// returns its score, or a status whose message ("value: ...") is reported as the row's error.
using RowScorer = std::function<Result<double>(int64_t t_seconds, double value)>;
om::Status ScoreCsv(std::istream& in, std::ostream& out, std::string_view source,
                    const RowScorer& score_row);

}  // namespace om::detect
