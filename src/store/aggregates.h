#pragma once
// Aggregates holds the per-minute and per-quarter-hour report counts that detection and the read
// API use: per service, and per (service, city), (service, region), (service, country) and
// (service, problem type). Minute buckets are kept for `minute_retention_days`, quarter-hour
// buckets (the rollup) for `quarter_retention_days`, so a year of history for thousands of
// services fits in memory (docs/performance.md has the measured RSS). A place's or problem
// type's minutes are rolled up into its quarter hours as they expire, so each of its reports is
// in one of the two.
//
// Only counted reports are added (duplicates are not). The store rebuilds Aggregates on restart
// from a snapshot (Serialize/Deserialize) plus the log tail.
//
// Thread-safety: not thread-safe. The Store guards it with a reader/writer lock: the writer thread
// adds, API threads query.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "base/status.h"
#include "store/count_series.h"
#include "store/report.h"

namespace om::store {

enum class Dimension : uint8_t { kCity = 1, kRegion = 2, kCountry = 3, kProblem = 4 };

struct AggregateOptions {
  // Per-minute buckets older than this (relative to the newest minute counted) are dropped.
  int minute_retention_days = 14;
  // Quarter-hour buckets of service totals older than this are dropped.
  int quarter_retention_days = 400;
  // Quarter-hour buckets per place and problem type are kept this long: the places of an old
  // outage stay answerable without paying a year of sparse series for every city.
  int dimension_quarter_retention_days = 90;
};

// One row of a Top() answer. For kCity `key` is the GeoNames id in decimal; for the other
// dimensions it is the region code ("US-MN"), country code or problem slug.
struct KeyCount {
  std::string key;
  uint64_t count = 0;
  bool operator==(const KeyCount&) const = default;
};

class Aggregates {
 public:
  explicit Aggregates(AggregateOptions options = {});
  Aggregates(const Aggregates&) = delete;
  Aggregates& operator=(const Aggregates&) = delete;
  ~Aggregates() = default;

  // Forgets everything.
  void Clear();

  // Counts `r` in every series it belongs to, and keeps its text (if any) among the service's
  // recent texts.
  void Add(const Report& r) { AddCount(r, 1); }
  // Counts `n` reports identical to `r` (bulk loading, benchmarks).
  void AddCount(const Report& r, uint32_t n);

  // Texts of the service's counted reports with event time in [from_minute, to_minute), oldest
  // first, from the last `kRecentTexts` texts kept per service. Not part of the snapshot: after a
  // restart it holds the texts of the replayed log tail only.
  static constexpr size_t kRecentTexts = 500;
  std::vector<std::string> RecentTexts(uint32_t service, int64_t from_minute,
                                       int64_t to_minute) const;

  // Services that have at least one counted report, in first-seen order.
  const std::vector<std::string>& services() const { return service_names_; }
  std::optional<uint32_t> ServiceIndex(std::string_view service) const;

  // Number of reports of `service` in minutes [from_minute, to_minute).
  uint64_t Total(uint32_t service, int64_t from_minute, int64_t to_minute) const;

  // Counts in consecutive buckets of `step_minutes` from `from_minute` up to `to_minute`
  // (exclusive). `dimension_key` empty means the service total, else a KeyCount::key of
  // `dimension`. Ranges older than the minute retention are answered from the quarter-hour
  // rollup; then the step is rounded up to a multiple of 15 and `from_minute` down to a quarter
  // hour, and the returned `step_minutes`/`from_minute` say so.
  struct SeriesAnswer {
    int64_t from_minute = 0;
    int64_t step_minutes = 1;
    std::vector<uint64_t> counts;
  };
  SeriesAnswer Series(uint32_t service, std::optional<Dimension> dimension,
                      std::string_view dimension_key, int64_t from_minute, int64_t to_minute,
                      int64_t step_minutes) const;

  // Windows starting at most this many minutes before the newest minute are answered by Top from
  // the service's recent keys instead of all its keys: the detector's metro scan asks for every
  // city of a large service each 5 minutes, and most of its hundreds of cities had no report in
  // the last hour.
  static constexpr int64_t kRecentMinutes = 180;
  // The `limit` keys of `dimension` with most reports in [from_minute, to_minute), most first;
  // ties by key; only keys with at least `min_count` reports (and at least one). A window within
  // the last kRecentMinutes reads only the keys counted in them. A caller that stops at a floor
  // passes it as `min_count`: the keys below are neither sorted nor named.
  std::vector<KeyCount> Top(uint32_t service, Dimension dimension, int64_t from_minute,
                            int64_t to_minute, size_t limit, uint64_t min_count = 1) const;
  // Top in two steps, for a caller that reads the same window's keys more than one way (the
  // metro scan groups cities by metro and ranks them). CountRows: each key of `dimension` with at
  // least `min_count` reports (and at least one) in the window, in no order, as (its dimension
  // key, reports); a city's GeoNames id is the low 32 bits of its key. Ranked: Top's answer from
  // such rows.
  using CountRow = std::pair<uint64_t, uint64_t>;
  std::vector<CountRow> CountRows(uint32_t service, Dimension dimension, int64_t from_minute,
                                  int64_t to_minute, uint64_t min_count = 1) const;
  std::vector<KeyCount> Ranked(std::vector<CountRow> rows, size_t limit) const;

  // Retention is in whole days (see Prune): pruning once a day of event time is enough, and each
  // pass walks every series (per minute it dominated a backtest's run time).
  static constexpr int64_t kPruneEveryMs = 86400000;
  // A service's counts older than kSealLagMinutes are sealed (compacted, see count_series.h)
  // each kSealEveryMinutes of its reports' time: later than the windows Top reads from the
  // recent keys, and late enough that few reports arrive for a sealed bucket.
  static constexpr int64_t kSealLagMinutes = kRecentMinutes + 60;
  static constexpr int64_t kSealEveryMinutes = 360;
  // Drops buckets that fell out of retention relative to `now_minute`, and seals what is older
  // than kSealLagMinutes.
  void Prune(int64_t now_minute);
  // The newest minute counted so far (INT64_MIN when empty).
  int64_t newest_minute() const { return newest_minute_; }
  // Approximate heap bytes held by the series.
  size_t MemoryBytes() const;

  void Serialize(std::string& out) const;
  // Replaces the contents with what Serialize wrote. kCorruption on malformed input.
  Status Deserialize(std::string_view data);

 private:
  // A key's counts: per minute within the minute retention, and per quarter hour before that
  // (minutes are rolled up as they expire, so a report is counted in one of the two).
  struct DimSeries {
    SparseSeries minute, quarter;
    bool recent = false;  // listed in ServiceCounts::recent
    // Every report of the service so far had this key (a single-country ISP's country, the one
    // problem type of a small service): its counts are the service's totals, kept once, until a
    // report without it arrives (StopSharingTotals).
    bool same_as_total = false;
  };
  struct TimedText {
    int64_t minute;
    std::string text;
  };
  struct ServiceCounts {
    std::vector<TimedText> texts;  // ring of kRecentTexts, next write at texts_next
    size_t texts_next = 0;
    DenseSeries minute{1440};
    DenseSeries quarter{96};
    // Key: dimension << 32 | value. Open addressing: this lookup runs four times per report.
    absl::flat_hash_map<uint64_t, DimSeries> dims;
    // Per dimension (indexed by its value), the keys whose series are flagged `recent`. Every
    // series with a minute count at or after newest_minute_ - kRecentMinutes is listed, once;
    // others leave the list when it is swept, every kRecentMinutes / 4 minutes of the service's
    // reports.
    std::array<std::vector<uint64_t>, 5> recent;
    int64_t recent_swept_minute = INT64_MIN;
    int64_t sealed_minute = INT64_MIN;  // the series are sealed before it
    // Per dimension, the key whose DimSeries is same_as_total; 0 when none.
    std::array<uint64_t, 5> total_key{};
  };
  // The count of key `s` in buckets [from, to) of minutes, or of quarter hours (`quarters`):
  // its quarter series and its minutes, or c's totals when s is same_as_total (within
  // dimension_quarter_retention_days, as a stored series would answer).
  uint64_t DimSum(const ServiceCounts& c, const DimSeries& s, bool quarters, int32_t from,
                  int32_t to) const;
  // The same per output bucket, as SparseSeries::AccumulateInto.
  void DimAccumulate(const ServiceCounts& c, const DimSeries& s, bool quarters, int32_t from,
                     int32_t to, int32_t step, std::vector<uint64_t>& out) const;
  static int32_t NewestMinute(const ServiceCounts& c, const DimSeries& s);
  // The series a key sharing c's totals stands for: every minute, and the quarter hours before
  // the oldest minute within the dimension's retention.
  void CopyTotals(const ServiceCounts& c, SparseSeries& minute, SparseSeries& quarter) const;
  // Stores the counts of the key that shared c's totals in dimension `d`: a report without it
  // came.
  void StopSharingTotals(ServiceCounts& c, Dimension d);
  // Marks as same_as_total the single key of each dimension whose counts equal the totals
  // (after a load: the snapshot holds every series).
  void ShareTotalsWhereEqual(ServiceCounts& c);
  // Seals c's series before `minute` (an hour boundary; totals by whole days).
  void Seal(ServiceCounts& c, int64_t minute);
  // Drops from c.recent the series with no minute count in the last kRecentMinutes (and keys
  // whose series were pruned away).
  void SweepRecent(ServiceCounts& c);
  // Lists again, from the series' own counts, every series of `c` counted in the last
  // kRecentMinutes (after a load or a prune).
  void RelistRecent(ServiceCounts& c);
  uint32_t Intern(std::string_view s);
  uint32_t InternService(std::string_view s);
  std::optional<uint64_t> DimKey(Dimension d, std::string_view key) const;
  std::string KeyName(uint64_t dim_key) const;
  int64_t MinuteHorizon() const;
  // Whether the quarter-hour rollup of service totals reaches back at least as far as the minute
  // counts, so that it may answer for them.
  bool QuartersCoverMinutes() const;

  AggregateOptions options_;
  std::vector<std::string> service_names_;
  absl::flat_hash_map<std::string, uint32_t> service_index_;  // heterogeneous string_view lookup
  std::vector<std::unique_ptr<ServiceCounts>> counts_;
  std::vector<std::string> strings_;  // interned region, country and problem names
  absl::flat_hash_map<std::string, uint32_t> string_index_;
  int64_t newest_minute_;
  // The first quarter bucket of a dimension kept at `now_minute`.
  int32_t DimensionQuarterCut(int64_t now_minute) const;
  // Quarter buckets of dimensions before this are pruned.
  int32_t dimension_quarter_floor_ = INT32_MIN;
};

}  // namespace om::store
