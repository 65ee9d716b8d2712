#include "incidents/reference_method.h"

#include <algorithm>
#include <cstdio>

namespace om::incidents {

ReferenceMethod::ReferenceMethod(ReferenceOptions options) : options_(options) {}

std::vector<Incident> ReferenceMethod::Tick(const store::Aggregates& a,
                                            int64_t quarter_start_minute) {
  constexpr int64_t kDay = 1440;
  std::vector<Incident> resolved;
  const auto& services = a.services();
  for (uint32_t s = 0; s < services.size(); ++s) {
    uint64_t now = a.Total(s, quarter_start_minute, quarter_start_minute + 15);
    // The mean of the same quarter hour over the days that had any report.
    double sum = 0;
    int days = 0;
    for (int d = 1; d <= options_.history_days; ++d) {
      int64_t from = quarter_start_minute - d * kDay;
      if (a.Total(s, from - kDay / 2, from + kDay / 2) == 0) continue;  // before the service
      sum += static_cast<double>(a.Total(s, from, from + 15));
      ++days;
    }
    double mean = days > 0 ? sum / days : 0;
    bool down = now >= options_.min_reports &&
                static_cast<double>(now) > options_.threshold_ratio * mean && days > 0;
    auto it = std::find_if(open_.begin(), open_.end(),
                           [&](const Incident& i) { return i.service == services[s]; });
    if (down && it == open_.end()) {
      Incident i;
      char id[32];
      std::snprintf(id, sizeof id, "REF%llu", static_cast<unsigned long long>(next_number_++));
      i.id = id;
      i.service = services[s];
      i.started_minute = quarter_start_minute;
      i.detected_minute = quarter_start_minute + 15;  // known when the bucket is complete
      i.peak_minute = quarter_start_minute;
      i.peak_reports_per_minute = now / 15;
      i.expected_per_minute_at_peak = mean / 15;
      open_.push_back(std::move(i));
    } else if (down) {
      if (now / 15 > it->peak_reports_per_minute) {
        it->peak_reports_per_minute = now / 15;
        it->peak_minute = quarter_start_minute;
        it->expected_per_minute_at_peak = mean / 15;
      }
    } else if (it != open_.end()) {
      it->resolved_minute = quarter_start_minute + 15;
      it->reports = a.Total(s, it->started_minute, it->resolved_minute);
      resolved.push_back(std::move(*it));
      open_.erase(it);
    }
  }
  return resolved;
}

}  // namespace om::incidents
