#pragma once
// Localize ranks the places of a service by how far their reports exceed what is usual for them,
// never by raw counts alone: a city at 10x its usual volume outranks a metropolis at 1.3x.
//
// Each place's expected count in the window is its share of the service's reports over the
// baseline period (shrunk towards zero for places with few past reports: `prior_reports`
// pseudo-reports spread over all places) times the service's expected total for the window. Places
// are scored with the expectation-based Poisson log-likelihood ratio of Neill, Moore, Sabhnani and
// Daniel ("Detection of emerging space-time clusters", KDD 2005):
//   score = observed * ln(observed / expected) - (observed - expected)   if observed > expected
//         = 0                                                            otherwise
// which grows with both the excess and its surprise. A place is `significant` when its score is
// beyond chance among the N places that reported: score >= max(min_score, ln N + 2). Twice the
// score is roughly chi-squared with one degree of freedom, and ln N + 2 approximates half its
// critical value at a Bonferroni-corrected 5% for N tests (N = 60: 6.1 against 5.6 exactly). The
// footprint is the smallest set of top significant places that holds `footprint_share` of the
// total positive excess.
//
// Pure function of the aggregates; thread-safe as long as the aggregates are not written.

#include <cstdint>
#include <string>
#include <vector>

#include "store/aggregates.h"

namespace om::detect {

struct LocalizeOptions {
  // Days before the window that give each place its usual share.
  int baseline_days = 14;
  // Pseudo-reports added to the baseline, spread evenly: keeps a never-seen place from an
  // infinite ratio on its first report.
  double prior_reports = 1;
  // A place's expected count is never below this (reports in the window).
  double min_expected = 0.5;
  // Significance floor of a place's score, whatever the number of places.
  double min_score = 3;
  // Share of the total positive excess the footprint must explain.
  double footprint_share = 0.8;
  // The footprint holds at most this many places.
  size_t max_footprint = 50;
};

struct PlaceExcess {
  std::string key;           // as store::KeyCount::key (GeoNames id for cities)
  uint64_t observed = 0;     // reports in the window
  double expected = 0;       // usual reports for the window
  double ratio = 0;          // observed / expected
  double score = 0;          // Poisson log-likelihood ratio, 0 without excess
  bool significant = false;  // excess beyond chance among the places that reported
  bool in_footprint = false;
};

struct Localization {
  std::vector<PlaceExcess> places;  // best first, at most `limit`
  size_t footprint_size = 0;        // the first footprint_size places form the footprint
  double excess_total = 0;          // sum of positive excess over all places
  double excess_covered = 0;        // share of it in the footprint
  // The places of the history without a report in the window, with their usual reports for it
  // (share times the expected total, not floored): where an outage is not, which a judgement of
  // how much of a country is out needs as much as the places that reported.
  std::vector<std::pair<std::string, double>> quiet;
};

// Ranks the places of `dimension` for `service` in minutes [from_minute, to_minute), given the
// service's expected total for that window.
Localization Localize(const store::Aggregates& aggregates, uint32_t service,
                      store::Dimension dimension, int64_t from_minute, int64_t to_minute,
                      double expected_total, size_t limit, const LocalizeOptions& options = {});

// The history Localize compares a window starting at `from_minute` with: each place's reports
// over the options.baseline_days of whole quarter hours before from_minute's quarter hour (the
// minutes of that quarter hour before from_minute are left out, so that none of the window's
// own reports ever counts as usual). It depends on the window's start only, and is most of what
// localizing costs: a caller localizing the same window again as it grows reads it once.
std::vector<store::KeyCount> PlaceHistory(const store::Aggregates& aggregates, uint32_t service,
                                          store::Dimension dimension, int64_t from_minute,
                                          const LocalizeOptions& options = {});

// Localize with its `history` given (PlaceHistory of the same service, dimension, from_minute and
// options), for a caller that localizes the same outage again as it goes on.
Localization Localize(const store::Aggregates& aggregates, uint32_t service,
                      store::Dimension dimension, int64_t from_minute, int64_t to_minute,
                      double expected_total, size_t limit, const LocalizeOptions& options,
                      const std::vector<store::KeyCount>& history);

}  // namespace om::detect
