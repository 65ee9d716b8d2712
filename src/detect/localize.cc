#include "detect/localize.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "base/time.h"
#include "detect/poisson.h"

namespace om::detect {

namespace {
constexpr size_t kAllPlaces = 1'000'000;
}  // namespace

std::vector<store::KeyCount> PlaceHistory(const store::Aggregates& a, uint32_t service,
                                          store::Dimension dimension, int64_t from_minute,
                                          const LocalizeOptions& options) {
  // Quarter hours older than the minutes' retention are read whole, and Top rounds a window's
  // end up to one: ending the history at the start's quarter hour keeps the outage out of it
  // (it had counted up to 14 of its minutes as usual, lowering its cities' excess).
  constexpr int64_t kQuarter = 15;
  int64_t history_to = FloorDiv(from_minute, kQuarter) * kQuarter;
  int64_t history_from = history_to - int64_t{options.baseline_days} * 1440;
  return a.Top(service, dimension, history_from, history_to, kAllPlaces);
}

Localization Localize(const store::Aggregates& a, uint32_t service, store::Dimension dimension,
                      int64_t from_minute, int64_t to_minute, double expected_total, size_t limit,
                      const LocalizeOptions& options) {
  return Localize(a, service, dimension, from_minute, to_minute, expected_total, limit, options,
                  PlaceHistory(a, service, dimension, from_minute, options));
}

Localization Localize(const store::Aggregates& a, uint32_t service, store::Dimension dimension,
                      int64_t from_minute, int64_t to_minute, double expected_total, size_t limit,
                      const LocalizeOptions& options, const std::vector<store::KeyCount>& past) {
  std::vector<store::KeyCount> now = a.Top(service, dimension, from_minute, to_minute, kAllPlaces);
  double past_total = 0;
  std::unordered_map<std::string, double> past_count;
  for (const auto& kc : past) {
    past_count[kc.key] = static_cast<double>(kc.count);
    past_total += static_cast<double>(kc.count);
  }
  double places = static_cast<double>(std::max<size_t>(1, past.size() + now.size()));
  double prior_each = options.prior_reports / places;
  // A place's usual share, from its reports in the history.
  auto share_of = [&](double past_reports) {
    return (past_reports + prior_each) / (past_total + options.prior_reports);
  };

  Localization out;
  std::vector<PlaceExcess> all;
  all.reserve(now.size());
  for (const auto& kc : now) {
    PlaceExcess p;
    p.key = kc.key;
    p.observed = kc.count;
    auto it = past_count.find(kc.key);
    double share = share_of(it == past_count.end() ? 0 : it->second);
    p.expected = std::max(options.min_expected, share * expected_total);
    double o = static_cast<double>(p.observed);
    p.ratio = o / p.expected;
    p.score = PoissonExcessScore(o, p.expected);
    if (o > p.expected) out.excess_total += o - p.expected;
    all.push_back(std::move(p));
  }
  std::unordered_set<std::string_view> reported;
  for (const auto& kc : now) reported.insert(kc.key);
  for (const auto& kc : past) {
    if (reported.contains(kc.key)) continue;
    out.quiet.emplace_back(kc.key, share_of(static_cast<double>(kc.count)) * expected_total);
  }
  std::sort(all.begin(), all.end(), [](const PlaceExcess& x, const PlaceExcess& y) {
    return x.score != y.score ? x.score > y.score : x.observed > y.observed;
  });
  double min_score = std::max(options.min_score,
                              std::log(static_cast<double>(std::max<size_t>(1, all.size()))) + 2);
  for (auto& p : all) p.significant = p.score >= min_score;
  double covered = 0;
  for (auto& p : all) {
    if (!p.significant || out.footprint_size >= options.max_footprint) break;
    if (out.excess_total > 0 && covered >= options.footprint_share * out.excess_total) break;
    covered += static_cast<double>(p.observed) - p.expected;
    p.in_footprint = true;
    ++out.footprint_size;
  }
  out.excess_covered = out.excess_total > 0 ? covered / out.excess_total : 0;
  if (all.size() > limit) all.resize(limit);
  out.footprint_size = std::min(out.footprint_size, all.size());
  out.places = std::move(all);
  return out;
}

}  // namespace om::detect
