#include "store/aggregates.h"

#include <malloc.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstring>

#include "base/time.h"

namespace om::store {
namespace {

// Debian's Abseil is built with its own absl::string_view; lookups take that type.
absl::string_view View(std::string_view s) { return absl::string_view(s.data(), s.size()); }

void PutString(std::string& out, std::string_view s) {
  uint32_t n = static_cast<uint32_t>(s.size());
  out.append(reinterpret_cast<const char*>(&n), 4);
  out.append(s);
}

bool GetU32(std::string_view data, size_t& pos, uint32_t& v) {
  if (pos > data.size() || data.size() - pos < 4) return false;
  std::memcpy(&v, data.data() + pos, 4);
  pos += 4;
  return true;
}

bool GetString(std::string_view data, size_t& pos, std::string& s) {
  uint32_t n;
  if (!GetU32(data, pos, n) || n > data.size() - pos) return false;
  s.assign(data.substr(pos, n));
  pos += n;
  return true;
}

}  // namespace

Aggregates::Aggregates(AggregateOptions options) : options_(options), newest_minute_(INT64_MIN) {}

uint32_t Aggregates::Intern(std::string_view s) {
  auto it = string_index_.find(View(s));
  if (it != string_index_.end()) return it->second;
  uint32_t id = static_cast<uint32_t>(strings_.size());
  strings_.emplace_back(s);
  string_index_.emplace(std::string(s), id);
  return id;
}

uint32_t Aggregates::InternService(std::string_view s) {
  auto it = service_index_.find(View(s));
  if (it != service_index_.end()) return it->second;
  uint32_t id = static_cast<uint32_t>(service_names_.size());
  service_names_.emplace_back(s);
  service_index_.emplace(std::string(s), id);
  counts_.push_back(std::make_unique<ServiceCounts>());
  return id;
}

std::optional<uint32_t> Aggregates::ServiceIndex(std::string_view service) const {
  auto it = service_index_.find(View(service));
  if (it == service_index_.end()) return std::nullopt;
  return it->second;
}

void Aggregates::AddCount(const Report& r, uint32_t n) {
  int64_t minute = FloorDiv(r.ts_ms, 60000);
  int32_t m = static_cast<int32_t>(minute);
  int32_t q = static_cast<int32_t>(FloorDiv(minute, 15));
  ServiceCounts& c = *counts_[InternService(r.service)];
  if (!r.text.empty()) {
    if (c.texts.size() < kRecentTexts) {
      c.texts.push_back({minute, r.text});
    } else {
      c.texts[c.texts_next] = {minute, r.text};
    }
    c.texts_next = (c.texts_next + 1) % kRecentTexts;
  }
  // The report's key in each dimension; 0 where it has none.
  std::array<uint64_t, 5> keys{};
  auto key_of = [](Dimension d, uint32_t value) {
    return (uint64_t{static_cast<uint8_t>(d)} << 32) | value;
  };
  if (r.geonameid != 0) keys[1] = key_of(Dimension::kCity, r.geonameid);
  if (!r.region.empty()) keys[2] = key_of(Dimension::kRegion, Intern(r.region));
  if (!r.country.empty()) keys[3] = key_of(Dimension::kCountry, Intern(r.country));
  keys[4] = key_of(Dimension::kProblem, Intern(r.problem));
  // Before the totals count this report: a key that shared them stops when this report lacks it.
  const bool first_report = c.minute.empty() && c.quarter.empty() && c.dims.empty();
  for (size_t d = 1; d < keys.size(); ++d) {
    if (first_report && keys[d] != 0) {
      c.dims[keys[d]].same_as_total = true;
      c.total_key[d] = keys[d];
    } else if (c.total_key[d] != 0 && c.total_key[d] != keys[d]) {
      StopSharingTotals(c, static_cast<Dimension>(d));
    }
  }
  c.minute.Add(m, n);
  c.quarter.Add(q, n);
  for (size_t d = 1; d < keys.size(); ++d) {
    if (keys[d] == 0) continue;
    DimSeries& s = c.dims[keys[d]];
    if (!s.same_as_total) {
      s.minute.Add(m, n);  // rolled up into quarter hours as it expires (Prune)
    }
    if (!s.recent) {
      s.recent = true;
      c.recent[d].push_back(keys[d]);
    }
  }
  newest_minute_ = std::max(newest_minute_, minute);
  if (minute >= c.recent_swept_minute + kRecentMinutes / 4) SweepRecent(c);
  if (minute - kSealLagMinutes - kSealEveryMinutes >= c.sealed_minute) {
    Seal(c, FloorDiv(minute - kSealLagMinutes, 60) * 60);
  }
}

void Aggregates::SweepRecent(ServiceCounts& c) {
  c.recent_swept_minute = newest_minute_;
  const int64_t cut = newest_minute_ - kRecentMinutes;
  for (auto& keys : c.recent) {
    std::erase_if(keys, [&](uint64_t key) {
      auto it = c.dims.find(key);
      if (it == c.dims.end()) return true;
      int32_t newest = NewestMinute(c, it->second);
      if (newest >= cut) return false;
      it->second.recent = false;
      return true;
    });
  }
}

void Aggregates::RelistRecent(ServiceCounts& c) {
  for (auto& keys : c.recent) keys.clear();
  const int64_t cut = newest_minute_ == INT64_MIN ? INT64_MIN : newest_minute_ - kRecentMinutes;
  for (auto& [key, s] : c.dims) {
    int32_t newest = NewestMinute(c, s);
    s.recent = newest != INT32_MIN && newest >= cut;
    if (s.recent) c.recent[static_cast<uint8_t>(key >> 32)].push_back(key);
  }
  c.recent_swept_minute = newest_minute_;
}

void Aggregates::CopyTotals(const ServiceCounts& c, SparseSeries& minute,
                            SparseSeries& quarter) const {
  c.minute.CopyInto(minute, INT32_MIN, INT32_MAX);
  // Quarter hours hold what the minutes no longer do, within the dimension's retention.
  int32_t oldest_minute = c.minute.oldest_bucket();
  int32_t to =
      oldest_minute == INT32_MAX ? INT32_MAX : static_cast<int32_t>(FloorDiv(oldest_minute, 15));
  c.quarter.CopyInto(quarter, dimension_quarter_floor_, to);
}

uint64_t Aggregates::DimSum(const ServiceCounts& c, const DimSeries& s, bool quarters, int32_t from,
                            int32_t to) const {
  if (!quarters) return s.same_as_total ? c.minute.Sum(from, to) : s.minute.Sum(from, to);
  if (s.same_as_total) return c.quarter.Sum(std::max(from, dimension_quarter_floor_), to);
  return s.quarter.Sum(from, to) + s.minute.Sum(from * 15, to * 15);
}

void Aggregates::DimAccumulate(const ServiceCounts& c, const DimSeries& s, bool quarters,
                               int32_t from, int32_t to, int32_t step,
                               std::vector<uint64_t>& out) const {
  if (!quarters && s.same_as_total) {
    c.minute.AccumulateInto(from, to, step, out);
  } else if (!quarters) {
    s.minute.AccumulateInto(from, to, step, out);
  } else if (!s.same_as_total) {
    s.quarter.AccumulateInto(from, to, step, out);
    s.minute.AccumulateInto(from * 15, to * 15, step * 15, out);  // the same output buckets
  } else {
    c.quarter.AccumulateInto(from, to, step, out);
    if (dimension_quarter_floor_ <= from) return;
    // Totals shared by a dimension: what is older than the dimension's retention is taken out.
    std::vector<uint64_t> pruned(out.size(), 0);
    c.quarter.AccumulateInto(from, std::min(dimension_quarter_floor_, to), step, pruned);
    for (size_t i = 0; i < pruned.size(); ++i) out[i] -= pruned[i];
  }
}

void Aggregates::StopSharingTotals(ServiceCounts& c, Dimension d) {
  auto index = static_cast<uint8_t>(d);
  DimSeries& s = c.dims[c.total_key[index]];
  c.total_key[index] = 0;
  s.same_as_total = false;
  CopyTotals(c, s.minute, s.quarter);
  if (c.sealed_minute != INT64_MIN) {
    s.minute.Seal(static_cast<int32_t>(c.sealed_minute));
    s.quarter.Seal(static_cast<int32_t>(FloorDiv(c.sealed_minute, 15)));
  }
}

void Aggregates::ShareTotalsWhereEqual(ServiceCounts& c) {
  std::array<int, 5> keys_per_dimension{};
  std::array<uint64_t, 5> only_key{};
  for (const auto& [key, s] : c.dims) {
    auto d = static_cast<uint8_t>(key >> 32);
    if (d >= keys_per_dimension.size()) continue;
    ++keys_per_dimension[d];
    only_key[d] = key;
  }
  for (size_t d = 1; d < only_key.size(); ++d) {
    if (keys_per_dimension[d] != 1) continue;
    DimSeries& s = c.dims[only_key[d]];
    s.quarter.DropBefore(dimension_quarter_floor_);  // as the next prune would
    SparseSeries minute, quarter;
    CopyTotals(c, minute, quarter);
    std::string a, b;
    minute.Serialize(a);
    s.minute.Serialize(b);
    if (a != b) continue;
    a.clear();
    b.clear();
    quarter.Serialize(a);
    s.quarter.Serialize(b);
    if (a != b) continue;
    s.minute.Clear();
    s.quarter.Clear();
    s.same_as_total = true;
    c.total_key[d] = only_key[d];
  }
}

std::vector<std::string> Aggregates::RecentTexts(uint32_t service, int64_t from_minute,
                                                 int64_t to_minute) const {
  std::vector<std::string> out;
  if (service >= counts_.size()) return out;
  const ServiceCounts& c = *counts_[service];
  size_t n = c.texts.size();
  // Oldest first: when the ring is full, the oldest is at texts_next.
  size_t start = n < kRecentTexts ? 0 : c.texts_next;
  for (size_t k = 0; k < n; ++k) {
    const TimedText& t = c.texts[(start + k) % n];
    if (t.minute >= from_minute && t.minute < to_minute) out.push_back(t.text);
  }
  return out;
}

bool Aggregates::QuartersCoverMinutes() const {
  return options_.quarter_retention_days >= options_.minute_retention_days;
}

uint64_t Aggregates::Total(uint32_t service, int64_t from_minute, int64_t to_minute) const {
  if (service >= counts_.size()) return 0;
  const ServiceCounts& c = *counts_[service];
  auto minutes = [&](int64_t from, int64_t to) {
    return c.minute.Sum(static_cast<int32_t>(from), static_cast<int32_t>(to));
  };
  // The detector's windows of a few minutes: nothing to gain, and nothing else to compute.
  if (to_minute - from_minute < 15) return minutes(from_minute, to_minute);
  // Whole quarter hours inside the range come from the rollup: the same counts, 15 times fewer
  // buckets to add (a 24-hour total reads 96 quarters instead of 1440 minutes).
  int64_t q_from = FloorDiv(from_minute + 14, 15) * 15, q_to = FloorDiv(to_minute, 15) * 15;
  // Only within the minute retention, so the answer is always the minute sum, pruned or not.
  if (!QuartersCoverMinutes() || q_to - q_from < 15 || from_minute < MinuteHorizon()) {
    return minutes(from_minute, to_minute);
  }
  return minutes(from_minute, q_from) +
         c.quarter.Sum(static_cast<int32_t>(q_from / 15), static_cast<int32_t>(q_to / 15)) +
         minutes(q_to, to_minute);
}

std::optional<uint64_t> Aggregates::DimKey(Dimension d, std::string_view key) const {
  uint32_t value = 0;
  if (d == Dimension::kCity) {
    auto [p, ec] = std::from_chars(key.data(), key.data() + key.size(), value);
    if (ec != std::errc() || p != key.data() + key.size()) return std::nullopt;
  } else {
    auto it = string_index_.find(View(key));
    if (it == string_index_.end()) return std::nullopt;
    value = it->second;
  }
  return (uint64_t{static_cast<uint8_t>(d)} << 32) | value;
}

std::string Aggregates::KeyName(uint64_t dim_key) const {
  auto d = static_cast<Dimension>(dim_key >> 32);
  uint32_t value = static_cast<uint32_t>(dim_key);
  if (d == Dimension::kCity) return std::to_string(value);
  return value < strings_.size() ? strings_[value] : std::string();
}

int64_t Aggregates::MinuteHorizon() const {
  if (newest_minute_ == INT64_MIN) return INT64_MIN;
  // Whole days only, matching DenseSeries::DropBefore. Prune never cuts past it (see there), so
  // that an answer depends on the counts alone, not on when they were pruned or loaded.
  return FloorDiv(newest_minute_, kMinutesPerDay) * kMinutesPerDay -
         (options_.minute_retention_days - 1) * kMinutesPerDay;
}

Aggregates::SeriesAnswer Aggregates::Series(uint32_t service, std::optional<Dimension> dimension,
                                            std::string_view dimension_key, int64_t from_minute,
                                            int64_t to_minute, int64_t step_minutes) const {
  SeriesAnswer answer;
  step_minutes = std::max<int64_t>(1, step_minutes);
  // Service totals on quarter-hour boundaries read the rollup even within the minute retention:
  // the same counts, 15 times fewer buckets (the detector's baselines ask for such ranges).
  bool aligned = !dimension && QuartersCoverMinutes() &&
                 FloorDiv(from_minute, 15) * 15 == from_minute &&
                 FloorDiv(to_minute, 15) * 15 == to_minute && step_minutes % 15 == 0;
  bool use_quarters = aligned || from_minute < MinuteHorizon();
  if (use_quarters) {
    step_minutes = ((step_minutes + 14) / 15) * 15;
    from_minute = FloorDiv(from_minute, 15) * 15;
  }
  answer.from_minute = from_minute;
  answer.step_minutes = step_minutes;
  if (to_minute <= from_minute) return answer;
  answer.counts.assign(
      static_cast<size_t>((to_minute - from_minute + step_minutes - 1) / step_minutes), 0);
  if (service >= counts_.size()) return answer;
  const ServiceCounts& c = *counts_[service];
  int32_t unit = use_quarters ? 15 : 1;
  auto from = static_cast<int32_t>(FloorDiv(from_minute, unit));
  auto to = static_cast<int32_t>(FloorDiv(to_minute + unit - 1, unit));
  auto step = static_cast<int32_t>(step_minutes / unit);
  if (!dimension) {
    (use_quarters ? c.quarter : c.minute).AccumulateInto(from, to, step, answer.counts);
    return answer;
  }
  auto key = DimKey(*dimension, dimension_key);
  if (!key) return answer;
  auto it = c.dims.find(*key);
  if (it == c.dims.end()) return answer;
  DimAccumulate(c, it->second, use_quarters, from, to, step, answer.counts);
  return answer;
}

std::vector<Aggregates::CountRow> Aggregates::CountRows(uint32_t service, Dimension dimension,
                                                        int64_t from_minute, int64_t to_minute,
                                                        uint64_t min_count) const {
  std::vector<CountRow> rows;
  if (service >= counts_.size()) return rows;
  const ServiceCounts& c = *counts_[service];
  bool use_quarters = from_minute < MinuteHorizon();
  const auto from = static_cast<int32_t>(use_quarters ? FloorDiv(from_minute, 15) : from_minute);
  const auto to = static_cast<int32_t>(use_quarters ? FloorDiv(to_minute + 14, 15) : to_minute);
  auto add_row = [&](uint64_t key, const DimSeries& s) {
    uint64_t n = DimSum(c, s, use_quarters, from, to);
    if (n > 0 && n >= min_count) rows.emplace_back(key, n);
  };
  if (!use_quarters && newest_minute_ != INT64_MIN &&
      from_minute >= newest_minute_ - kRecentMinutes) {
    // Every series with a count in the window is listed (see ServiceCounts::recent).
    for (uint64_t key : c.recent[static_cast<uint8_t>(dimension)]) {
      auto it = c.dims.find(key);
      if (it != c.dims.end()) add_row(key, it->second);
    }
  } else {
    for (const auto& [key, series] : c.dims) {
      if (static_cast<Dimension>(key >> 32) == dimension) add_row(key, series);
    }
  }
  return rows;
}

std::vector<KeyCount> Aggregates::Top(uint32_t service, Dimension dimension, int64_t from_minute,
                                      int64_t to_minute, size_t limit, uint64_t min_count) const {
  return Ranked(CountRows(service, dimension, from_minute, to_minute, min_count), limit);
}

std::vector<KeyCount> Aggregates::Ranked(std::vector<CountRow> rows, size_t limit) const {
  std::vector<KeyCount> out;
  size_t k = std::min(limit, rows.size());
  std::partial_sort(rows.begin(), rows.begin() + static_cast<ptrdiff_t>(k), rows.end(),
                    [](const auto& a, const auto& b) {
                      return a.second != b.second ? a.second > b.second : a.first < b.first;
                    });
  for (size_t i = 0; i < k; ++i) out.push_back({KeyName(rows[i].first), rows[i].second});
  return out;
}

int32_t Aggregates::NewestMinute(const ServiceCounts& c, const DimSeries& s) {
  return s.same_as_total ? c.minute.newest_bucket() : s.minute.newest_bucket();
}

int32_t Aggregates::DimensionQuarterCut(int64_t now_minute) const {
  int64_t today = FloorDiv(now_minute, kMinutesPerDay) * kMinutesPerDay;
  return static_cast<int32_t>(
      FloorDiv(today - options_.dimension_quarter_retention_days * kMinutesPerDay, 15));
}

void Aggregates::Prune(int64_t now_minute) {
  // Every cut is on a day boundary, so that only the first prune of a day drops anything: an
  // hourly cut moved every series' start by an hour, copying its whole vector each time (a
  // backtest spent 11% of its time there). Data is kept up to a day past its retention.
  int64_t today = FloorDiv(now_minute, kMinutesPerDay) * kMinutesPerDay;
  int64_t minute_cut = today - (options_.minute_retention_days - 1) * kMinutesPerDay;
  // The store prunes by the clock: when its newest report is older than that, the minutes that
  // windows from MinuteHorizon() read are kept.
  if (newest_minute_ != INT64_MIN) minute_cut = std::min(minute_cut, MinuteHorizon());
  int64_t quarter_cut = (today - options_.quarter_retention_days * kMinutesPerDay) / 15;
  dimension_quarter_floor_ = DimensionQuarterCut(now_minute);
  for (auto& c : counts_) {
    c->minute.DropBefore(static_cast<int32_t>(minute_cut));
    c->quarter.DropBefore(static_cast<int32_t>(quarter_cut));
    std::vector<uint64_t> empty;
    for (auto& [key, series] : c->dims) {
      series.minute.RollUpBefore(static_cast<int32_t>(minute_cut), 15, series.quarter);
      series.quarter.DropBefore(dimension_quarter_floor_);
      if (!series.same_as_total && series.minute.empty() && series.quarter.empty()) {
        empty.push_back(key);
      }
    }
    for (uint64_t key : empty) c->dims.erase(key);
    // A pruned key counted again must not be listed twice.
    if (!empty.empty()) RelistRecent(*c);
  }
  // Services that stopped sending reports are sealed here.
  for (auto& c : counts_) Seal(*c, FloorDiv(now_minute - kSealLagMinutes, 60) * 60);
  // Sealing and pruning free many small buffers a day; glibc keeps the freed pages unless asked
  // (a quarter of the resident memory of 3,000 services, docs/performance.md#memory).
  malloc_trim(0);
}

void Aggregates::Seal(ServiceCounts& c, int64_t minute) {
  auto minute_bucket = static_cast<int32_t>(minute);
  auto quarter_bucket = static_cast<int32_t>(FloorDiv(minute, 15));
  c.minute.Seal(minute_bucket);
  c.quarter.Seal(quarter_bucket);
  for (auto& [key, series] : c.dims) {
    series.minute.Seal(minute_bucket);
    series.quarter.Seal(quarter_bucket);
  }
  c.sealed_minute = std::max(c.sealed_minute, minute);
}

size_t Aggregates::MemoryBytes() const {
  size_t bytes = 0;
  for (const auto& c : counts_) {
    bytes += c->minute.MemoryBytes() + c->quarter.MemoryBytes();
    for (const auto& [key, s] : c->dims) {
      bytes += 48 + s.minute.MemoryBytes() + s.quarter.MemoryBytes();
    }
  }
  return bytes;
}

// Layout: i64 newest minute; u32 string count, strings; u32 service count, then per service:
// name, dense minute, dense quarter, u32 dim count, per dim: u64 key, sparse minute, sparse
// quarter.
void Aggregates::Serialize(std::string& out) const {
  out.append(reinterpret_cast<const char*>(&newest_minute_), 8);
  uint32_t n = static_cast<uint32_t>(strings_.size());
  out.append(reinterpret_cast<const char*>(&n), 4);
  for (const auto& s : strings_) PutString(out, s);
  n = static_cast<uint32_t>(service_names_.size());
  out.append(reinterpret_cast<const char*>(&n), 4);
  for (size_t i = 0; i < service_names_.size(); ++i) {
    PutString(out, service_names_[i]);
    const ServiceCounts& c = *counts_[i];
    c.minute.Serialize(out);
    c.quarter.Serialize(out);
    uint32_t dims = static_cast<uint32_t>(c.dims.size());
    out.append(reinterpret_cast<const char*>(&dims), 4);
    for (const auto& [key, s] : c.dims) {
      out.append(reinterpret_cast<const char*>(&key), 8);
      if (s.same_as_total) {
        // The snapshot holds every series, as stored ones would be.
        SparseSeries minute, quarter;
        CopyTotals(c, minute, quarter);
        minute.Serialize(out);
        quarter.Serialize(out);
      } else {
        s.minute.Serialize(out);
        s.quarter.Serialize(out);
      }
    }
  }
}

void Aggregates::Clear() {
  dimension_quarter_floor_ = INT32_MIN;
  service_names_.clear();
  service_index_.clear();
  counts_.clear();
  strings_.clear();
  string_index_.clear();
  newest_minute_ = INT64_MIN;
}

Status Aggregates::Deserialize(std::string_view data) {
  Clear();
  size_t pos = 0;
  if (data.size() < 8) return Status::Corruption("aggregates: truncated");
  std::memcpy(&newest_minute_, data.data(), 8);
  pos = 8;
  uint32_t n;
  if (!GetU32(data, pos, n)) return Status::Corruption("aggregates: truncated string table");
  for (uint32_t i = 0; i < n; ++i) {
    std::string s;
    if (!GetString(data, pos, s)) return Status::Corruption("aggregates: bad string");
    Intern(s);
  }
  if (!GetU32(data, pos, n)) return Status::Corruption("aggregates: truncated service table");
  for (uint32_t i = 0; i < n; ++i) {
    std::string name;
    if (!GetString(data, pos, name)) return Status::Corruption("aggregates: bad service name");
    ServiceCounts& c = *counts_[InternService(name)];
    OM_RETURN_IF_ERROR(c.minute.Deserialize(data, pos));
    OM_RETURN_IF_ERROR(c.quarter.Deserialize(data, pos));
    uint32_t dims;
    if (!GetU32(data, pos, dims)) return Status::Corruption("aggregates: bad dimension count");
    for (uint32_t k = 0; k < dims; ++k) {
      uint64_t key;
      if (data.size() - pos < 8) return Status::Corruption("aggregates: truncated key");
      std::memcpy(&key, data.data() + pos, 8);
      pos += 8;
      DimSeries& s = c.dims[key];
      OM_RETURN_IF_ERROR(s.minute.Deserialize(data, pos));
      OM_RETURN_IF_ERROR(s.quarter.Deserialize(data, pos));
      // A snapshot written before minutes were rolled up as they expire holds every report in
      // both series: the quarter hours that the minutes cover are dropped. (Since then the
      // quarter hours hold only what is older than the oldest minute: nothing is dropped.)
      if (int32_t oldest = s.minute.oldest_bucket(); oldest != INT32_MAX) {
        s.quarter.DropFrom(static_cast<int32_t>(FloorDiv(oldest, 15)));
      }
    }
  }
  if (pos != data.size()) return Status::Corruption("aggregates: trailing bytes");
  if (newest_minute_ != INT64_MIN) dimension_quarter_floor_ = DimensionQuarterCut(newest_minute_);
  for (auto& c : counts_) {
    ShareTotalsWhereEqual(*c);
    RelistRecent(*c);
  }
  if (newest_minute_ != INT64_MIN) {
    for (auto& c : counts_) Seal(*c, FloorDiv(newest_minute_ - kSealLagMinutes, 60) * 60);
  }
  return Status::Ok();
}

}  // namespace om::store
