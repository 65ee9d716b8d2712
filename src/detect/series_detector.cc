#include "detect/series_detector.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <istream>
#include <numbers>
#include <ostream>
#include <string>

namespace om::detect {
namespace {

constexpr int64_t kDaySeconds = 86400;
// TailCounter bins: |z| statistics in [0, kMaxStat) in steps of 1 / kBinsPerUnit.
constexpr int kBinsPerUnit = 32;
constexpr double kMaxStat = 64;
constexpr int kBins = static_cast<int>(kMaxStat) * kBinsPerUnit;

double Clip(double r, double limit) { return std::clamp(r, -limit, limit); }

}  // namespace

// ---- options ----

Status SetSeriesOption(SeriesOptions& o, std::string_view name, std::string_view value) {
  std::string v(value);
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != 0 || !std::isfinite(d)) {
    return Status::InvalidArgument(std::string(name) + ": not a number");
  }
  auto as_int = [&](auto& field, double lo) -> Status {
    if (d != std::floor(d) || d < lo || d > 1e9) {
      return Status::InvalidArgument(std::string(name) + ": must be an integer >= " +
                                     std::to_string(static_cast<int64_t>(lo)));
    }
    field = static_cast<std::remove_reference_t<decltype(field)>>(d);
    return Status::Ok();
  };
  auto as_unit = [&](double& field) -> Status {
    if (d <= 0 || d > 1) return Status::InvalidArgument(std::string(name) + ": must be in (0, 1]");
    field = d;
    return Status::Ok();
  };
  auto as_positive = [&](double& field) -> Status {
    if (d <= 0) return Status::InvalidArgument(std::string(name) + ": must be positive");
    field = d;
    return Status::Ok();
  };
  if (name == "probation_points") return as_int(o.probation_points, 2);
  if (name == "level_alpha") return as_unit(o.level_alpha);
  if (name == "season_alpha") return as_unit(o.season_alpha);
  if (name == "drift_alpha") return as_unit(o.drift_alpha);
  if (name == "max_slots") return as_int(o.max_slots, 1);
  if (name == "max_seasonal_interval_s") return as_int(o.max_seasonal_interval_s, 0);
  if (name == "min_slot_samples") return as_int(o.min_slot_samples, 1);
  if (name == "scale_alpha") return as_unit(o.scale_alpha);
  if (name == "huber_k") return as_positive(o.huber_k);
  if (name == "count_down_weight") {
    if (d < 0 || d > 1) return Status::InvalidArgument(std::string(name) + ": must be in [0, 1]");
    o.count_down_weight = d;
    return Status::Ok();
  }
  if (name == "short_window") return as_int(o.short_window, 1);
  if (name == "history_points") return as_int(o.history_points, 10);
  if (name == "score_decades") return as_positive(o.score_decades);
  if (name == "novelty_weight") {
    if (d < 0) return Status::InvalidArgument(std::string(name) + ": must be >= 0");
    o.novelty_weight = d;
    return Status::Ok();
  }
  if (name == "novelty_base") return as_positive(o.novelty_base);
  if (name == "quiet_window") return as_int(o.quiet_window, 0);
  if (name == "suppress_fraction") {
    if (d < 0 || d > 1) return Status::InvalidArgument(std::string(name) + ": must be in [0, 1]");
    o.suppress_fraction = d;
    return Status::Ok();
  }
  if (name == "detect_score") return as_unit(o.detect_score);
  if (name == "suppress_points") return as_int(o.suppress_points, 0);
  if (name == "suppress_seconds") return as_int(o.suppress_seconds, 0);
  return Status::InvalidArgument(std::string(name) + ": unknown option");
}

// ---- TailCounter ----

SeriesDetector::TailCounter::TailCounter(int capacity)
    : tree_(kBins + 1, 0), ring_(static_cast<size_t>(capacity), 0.0) {}

int SeriesDetector::TailCounter::Bin(double x) {
  if (!(x > 0)) return 0;
  return std::min(kBins - 1, static_cast<int>(x * kBinsPerUnit));
}

void SeriesDetector::TailCounter::Bump(int bin, int delta) {
  for (int i = bin + 1; i <= kBins; i += i & -i) tree_[i] += delta;
}

int SeriesDetector::TailCounter::CountBelow(int bin) const {
  int n = 0;
  for (int i = bin; i > 0; i -= i & -i) n += tree_[i];
  return n;
}

int SeriesDetector::TailCounter::HighestBin() const {
  // Fenwick descent: the largest position whose prefix count is below the total.
  int pos = 0, target = static_cast<int>(held_);
  int step = 1;
  while (step * 2 <= kBins) step *= 2;
  for (; step > 0; step /= 2) {
    const int next = pos + step;
    if (next <= kBins && tree_[static_cast<size_t>(next)] < target) {
      pos += step;
      target -= tree_[static_cast<size_t>(pos)];
    }
  }
  return pos;
}

void SeriesDetector::TailCounter::Add(double x) {
  if (held_ == ring_.size()) {
    Bump(Bin(ring_[next_]), -1);
  } else {
    ++held_;
  }
  ring_[next_] = x;
  Bump(Bin(x), +1);
  next_ = (next_ + 1) % ring_.size();
}

double SeriesDetector::TailCounter::PValue(double x) const {
  int bin = Bin(x);
  int at_or_above = static_cast<int>(held_) - CountBelow(bin);
  double p = (at_or_above + 1.0) / (static_cast<double>(held_) + 1.0);
  if (at_or_above == 0 && held_ > 0) {
    // Beyond every value held: continue the tail exponentially from the largest bin in use
    // (one decade per unit of the statistic past it).
    double largest = static_cast<double>(HighestBin() + 1) / kBinsPerUnit;
    p *= std::pow(10.0, -std::max(0.0, x - largest));
  }
  return p;
}

// ---- SeriesDetector ----

SeriesDetector::SeriesDetector(SeriesOptions options)
    : options_(options),
      recent_(static_cast<size_t>(std::max(1, options.short_window)), 0.0),
      point_tail_(std::max(10, options.history_points)),
      mean_tail_(std::max(10, options.history_points)),
      quiet_(static_cast<size_t>(std::max(0, options.quiet_window)), 0.0),
      quiet_tail_(std::max(10, options.history_points)) {
  probation_.reserve(static_cast<size_t>(options_.probation_points));
}

SeriesDetector::~SeriesDetector() = default;

double SeriesDetector::Transform(double value) const {
  return count_ ? 2 * std::sqrt(std::max(0.0, value) + 0.375) : value;
}

int SeriesDetector::SlotOf(int64_t t) const {
  int64_t tod = ((t % kDaySeconds) + kDaySeconds) % kDaySeconds;
  return static_cast<int>(tod * slots_ / kDaySeconds);
}

void SeriesDetector::EndProbation() {
  learning_ = false;
  std::vector<int64_t> gaps;
  bool count = true;
  for (size_t i = 0; i < probation_.size(); ++i) {
    double x = probation_[i].second;
    if (x < 0 || x != std::floor(x)) count = false;
    if (i > 0) gaps.push_back(probation_[i].first - probation_[i - 1].first);
  }
  count_ = count;
  if (!gaps.empty()) {
    const auto middle = gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2);
    std::nth_element(gaps.begin(), middle, gaps.end());
    interval_s_ = std::max<int64_t>(1, gaps[gaps.size() / 2]);
  }
  slots_ = 0;
  if (interval_s_ > 0 && interval_s_ <= options_.max_seasonal_interval_s) {
    slots_ = static_cast<int>(std::min<int64_t>(options_.max_slots, kDaySeconds / interval_s_));
    if (slots_ < 4) slots_ = 0;
  }
  slot_mean_.assign(static_cast<size_t>(slots_), 0.0);
  slot_n_.assign(static_cast<size_t>(slots_), 0);
  // Initial scale: mean absolute successive difference / sqrt(2) of the probation points.
  double sum = 0;
  for (size_t i = 1; i < probation_.size(); ++i) {
    sum += std::fabs(Transform(probation_[i].second) - Transform(probation_[i - 1].second));
  }
  scale_ =
      probation_.size() > 1 ? sum / static_cast<double>(probation_.size() - 1) / std::sqrt(2.0) : 0;
  season_scale_ = scale_;
  level_mse_ = scale_ * scale_;
  for (const auto& [t, x] : probation_) {
    double y = Transform(x);
    Learn(t, y, Predict(t));
  }
  probation_.clear();
  probation_.shrink_to_fit();
}

SeriesDetector::Forecast SeriesDetector::Predict(int64_t t) const {
  Forecast f;
  f.expected = level_;
  if (slots_ > 0 && have_season_mse_) {
    int s = SlotOf(t);
    if (slot_n_[static_cast<size_t>(s)] >= options_.min_slot_samples) {
      double seasonal = slot_mean_[static_cast<size_t>(s)] + drift_;
      double tiny = 1e-12 + 1e-12 * scale_ * scale_;
      double w = (level_mse_ + tiny) / (level_mse_ + season_mse_ + 2 * tiny);
      f.seasonal_weight = w;
      f.expected = w * seasonal + (1 - w) * level_;
    }
  }
  return f;
}

double SeriesDetector::TEST_Expected(int64_t t) const {
  return learning_ ? 0 : Predict(t).expected;
}

void SeriesDetector::Learn(int64_t t, double y, const Forecast& f) {
  if (!have_level_) {
    level_ = y;
    have_level_ = true;
  }
  double limit = options_.huber_k * scale_;
  double a = options_.scale_alpha;
  // Combined residual: the robust scale.
  double r = y - f.expected;
  double rc = Clip(r, limit);
  scale_ += a * (std::fabs(rc) * std::sqrt(std::numbers::pi / 2) - scale_);
  // Local level and its error.
  double rl = Clip(y - level_, limit);
  level_mse_ += a * (rl * rl - level_mse_);
  level_ += options_.level_alpha * rl;
  if (slots_ == 0) return;
  // Seasonal forecast: slot mean and drift, and its error once the slot is usable.
  size_t s = static_cast<size_t>(SlotOf(t));
  if (slot_n_[s] == 0) {
    slot_mean_[s] = y - drift_;
  } else {
    double season_limit = options_.huber_k * season_scale_;
    double seasonal = slot_mean_[s] + drift_;
    double rs = Clip(y - seasonal, season_limit);
    if (slot_n_[s] >= options_.min_slot_samples) {
      if (!have_season_mse_) {
        season_mse_ = rs * rs;
        have_season_mse_ = true;
      }
      season_mse_ += a * (rs * rs - season_mse_);
      season_scale_ += a * (std::fabs(rs) * std::sqrt(std::numbers::pi / 2) - season_scale_);
    }
    drift_ += options_.drift_alpha * rs;
    slot_mean_[s] += options_.season_alpha * rs;
  }
  ++slot_n_[s];
}

double SeriesDetector::Score(int64_t /*t*/, double y, const Forecast& f) {
  double scale = std::max(scale_, 1e-9 * (1 + std::fabs(f.expected)));
  double z = (y - f.expected) / scale;
  if (count_ && z < 0) z *= options_.count_down_weight;
  double stat = std::min(std::fabs(z), kMaxStat);
  // Short-window mean of |z|.
  recent_sum_ += stat - recent_[recent_next_];
  recent_[recent_next_] = stat;
  recent_next_ = (recent_next_ + 1) % recent_.size();
  double mean = std::max(0.0, recent_sum_ / static_cast<double>(recent_.size()));
  double p_min = std::min(point_tail_.PValue(stat), mean_tail_.PValue(mean));
  int tests = 2;
  double quiet = 0;
  if (!quiet_.empty()) {
    // Larger when quieter, so that the upper tail counter serves; judged once the window is full.
    quiet_sum_ += stat - quiet_[quiet_next_];
    quiet_[quiet_next_] = stat;
    quiet_next_ = (quiet_next_ + 1) % quiet_.size();
    quiet = kMaxStat - std::max(0.0, quiet_sum_ / static_cast<double>(quiet_.size()));
    if (++quiet_seen_ > static_cast<int64_t>(quiet_.size())) {
      p_min = std::min(p_min, quiet_tail_.PValue(quiet));
    }
    tests = 3;
  }
  double p = tests * p_min;
  // Range novelty: how far beyond everything in the history window the value lies.
  if (options_.novelty_weight > 0 && !max_q_.empty()) {
    double above = (y - max_q_.front().second) / scale;
    double below = (min_q_.front().second - y) / scale;
    if (count_) below *= options_.count_down_weight;
    double excess = std::max({0.0, above, below});
    if (excess > 0) {
      double n = static_cast<double>(std::min<int64_t>(points_, options_.history_points));
      p = std::min(
          p, options_.novelty_base * std::pow(10.0, -options_.novelty_weight * excess) / (n + 1));
    }
  }
  int64_t idx = points_;
  while (!max_q_.empty() && max_q_.back().second <= y) max_q_.pop_back();
  max_q_.emplace_back(idx, y);
  while (!min_q_.empty() && min_q_.back().second >= y) min_q_.pop_back();
  min_q_.emplace_back(idx, y);
  while (max_q_.front().first <= idx - options_.history_points) max_q_.pop_front();
  while (min_q_.front().first <= idx - options_.history_points) min_q_.pop_front();
  point_tail_.Add(stat);
  mean_tail_.Add(mean);
  if (!quiet_.empty() && quiet_seen_ > static_cast<int64_t>(quiet_.size())) quiet_tail_.Add(quiet);
  double score = std::clamp(-std::log10(std::min(1.0, p)) / options_.score_decades, 0.0, 1.0);
  if (suppress_left_ > 0) {
    --suppress_left_;
    return 0;
  }
  if (score >= options_.detect_score) {
    // The fixed part is capped in series time: 100 rows is a day of 15-minute data but four
    // days of hourly data.
    int64_t fixed = options_.suppress_points;
    if (options_.suppress_seconds > 0 && interval_s_ > 0) {
      fixed = std::min(fixed, options_.suppress_seconds / interval_s_);
    }
    suppress_left_ = static_cast<int>(std::max<int64_t>(
        fixed, static_cast<int64_t>(options_.suppress_fraction * static_cast<double>(points_))));
  }
  return score;
}

double SeriesDetector::Update(int64_t t, double value) {
  if (!std::isfinite(value)) return 0;
  ++points_;
  if (learning_) {
    probation_.emplace_back(t, value);
    if (static_cast<int>(probation_.size()) >= options_.probation_points) EndProbation();
    return 0;
  }
  double y = Transform(value);
  Forecast f = Predict(t);
  double score = Score(t, y, f);
  Learn(t, y, f);
  return score;
}

// ---- CSV driver ----

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-Compatible Low-Level
// Date Algorithms", days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  auto yoe = static_cast<unsigned>(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ParseDigits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '"')) {
    s.remove_suffix(1);
  }
  return s;
}

// Seconds since the epoch of "YYYY-MM-DD[ T]HH:MM:SS[.fff][Z]" or of an integer.
bool ParseTimestamp(std::string_view s, int64_t& out) {
  if (!s.empty() && s.find('-', 1) == std::string_view::npos) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
  }
  int y, mo, d, h, mi, sec;
  if (s.size() < 19 || !ParseDigits(s, 0, 4, y) || s[4] != '-' || !ParseDigits(s, 5, 2, mo) ||
      s[7] != '-' || !ParseDigits(s, 8, 2, d) || (s[10] != ' ' && s[10] != 'T') ||
      !ParseDigits(s, 11, 2, h) || s[13] != ':' || !ParseDigits(s, 14, 2, mi) || s[16] != ':' ||
      !ParseDigits(s, 17, 2, sec)) {
    return false;
  }
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  }
  if (i < s.size() && s[i] == 'Z') ++i;
  if (i != s.size() || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) {
    return false;
  }
  out = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * kDaySeconds +
        int64_t{h} * 3600 + int64_t{mi} * 60 + sec;
  return true;
}

bool ParseValue(std::string_view s, double& out) {
  if (s.empty()) return false;
  std::string tmp(s);
  char* end = nullptr;
  out = std::strtod(tmp.c_str(), &end);
  return *end == 0 && std::isfinite(out);
}

}  // namespace

Status ScoreSeriesCsv(std::istream& in, std::ostream& out, std::string_view source,
                      const SeriesOptions& options) {
  SeriesDetector detector(options);
  return ScoreCsv(in, out, source, [&detector](int64_t t, double value) -> Result<double> {
    return detector.Update(t, value);
  });
}

Status ScoreCsv(std::istream& in, std::ostream& out, std::string_view source,
                const RowScorer& score_row) {
  out << "timestamp,anomaly_score\n";
  std::string line;
  int64_t line_no = 0;
  int64_t last_t = INT64_MIN;
  char buf[64];
  auto error = [&](std::string_view what) {
    return Status::InvalidArgument(std::string(source) + ":" + std::to_string(line_no) + ": " +
                                   std::string(what));
  };
  while (std::getline(in, line)) {
    ++line_no;
    std::string_view row = Trim(line);
    if (row.empty()) continue;
    size_t comma = row.rfind(',');
    if (comma == std::string_view::npos) return error("expected timestamp,value");
    std::string_view ts = Trim(row.substr(0, comma));
    std::string_view val = Trim(row.substr(comma + 1));
    double value;
    if (!ParseValue(val, value)) {
      if (line_no == 1) continue;  // header
      return error("value: not a number");
    }
    int64_t t;
    if (!ParseTimestamp(ts, t)) return error("timestamp: expected YYYY-MM-DD HH:MM:SS");
    // Real series step back now and then (NAB's machine temperature repeats an hour, a clock
    // change): such a row is taken as simultaneous with the previous one.
    last_t = std::max(last_t, t);
    Result<double> score = score_row(last_t, value);
    if (!score.ok()) return error(score.status().message());
    int n = std::snprintf(buf, sizeof buf, ",%.6g\n", *score);
    out << ts;
    out.write(buf, n);
  }
  out.flush();
  return Status::Ok();
}

}  // namespace om::detect
