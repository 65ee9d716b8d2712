#pragma once
// ReferenceMethod is the naive method outagemap is measured against, in the style of public
// outage trackers: 15-minute buckets; a service is "down" in a bucket when its count exceeds
// `threshold_ratio` times the mean count of the same quarter hour of the day over the history;
// the places of an incident are ranked by raw report counts. It exists only to be beaten (the
// evaluation prints it next to outagemap); it does not run in the server.
//
// Thread-safety: not thread-safe; one backtest thread.

#include <cstdint>
#include <string>
#include <vector>

#include "incidents/incident_tracker.h"
#include "store/aggregates.h"

namespace om::incidents {

struct ReferenceOptions {
  double threshold_ratio = 3;
  int history_days = 14;
  // A bucket never counts as down with fewer reports than this (3x a mean of 0 is 0).
  uint64_t min_reports = 1;
};

class ReferenceMethod {
 public:
  explicit ReferenceMethod(ReferenceOptions options = {});

  // Judges the complete 15-minute bucket that starts at `quarter_start_minute` for every service.
  // Returns the incidents that resolved in it (their resolved_minute set).
  std::vector<Incident> Tick(const store::Aggregates& aggregates, int64_t quarter_start_minute);
  // Incidents still open.
  const std::vector<Incident>& open() const { return open_; }

 private:
  ReferenceOptions options_;
  std::vector<Incident> open_;
  uint64_t next_number_ = 1;
};

}  // namespace om::incidents
