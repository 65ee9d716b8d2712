#include "incidents/incident_tracker.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "detect/poisson.h"

namespace om::incidents {

namespace {

// Where, within the window of an area's test that found an outage, its excess began: the start
// whose counts up to `minute` are most surprising against the area's usual rate (the
// expectation-based Poisson likelihood ratio, maximised over the start, as a temporal scan
// statistic does; Kulldorff, "Prospective time periodic geographical disease surveillance
// using a scan statistic", JRSS A 2001). A quiet metro's outage barely moves its service's
// total, so walking back over the total finds no onset; over the metro scan's hour it does.
int64_t AreaOnset(const store::Aggregates& a, uint32_t service, const detect::AreaEvidence& area,
                  int64_t minute) {
  if (area.key.empty() || area.window_minutes <= 1 || area.expected_per_minute <= 0) {
    return minute;
  }
  const int64_t from = minute - area.window_minutes + 1;
  store::Aggregates::SeriesAnswer counts =
      a.Series(service, area.dimension, area.key, from, minute + 1, 1);
  if (counts.step_minutes != 1 || counts.from_minute != from) return minute;  // not in minutes
  int64_t onset = minute;
  double observed = 0, best = 0;
  for (size_t k = counts.counts.size(); k-- > 0;) {
    observed += static_cast<double>(counts.counts[k]);
    const double expected =
        area.expected_per_minute * static_cast<double>(counts.counts.size() - k);
    const double llr = detect::PoissonExcessScore(observed, expected);
    // A start that adds no report adds no evidence: the excess began at a report.
    if (llr > best && counts.counts[k] > 0) {
      best = llr;
      onset = from + static_cast<int64_t>(k);
    }
  }
  return onset;
}

}  // namespace

const Incident* IncidentSnapshot::Find(const std::string& id) const {
  for (const Incident& i : incidents) {
    if (i.id == id) return &i;
  }
  return nullptr;
}

IncidentTracker::IncidentTracker(IncidentOptions options, UpstreamsFn upstreams,
                                 SuppressedFn suppressed)
    : options_(options),
      upstreams_(std::move(upstreams)),
      suppressed_(std::move(suppressed)),
      next_number_(options.first_number),
      snapshot_(std::make_shared<IncidentSnapshot>()) {}

std::shared_ptr<const IncidentSnapshot> IncidentTracker::Snapshot() const {
  MutexLock lock(mu_);
  return snapshot_;
}

void IncidentTracker::Refresh(const store::Aggregates& a, Incident& incident, int64_t minute,
                              double expected_per_minute) {
  auto idx = a.ServiceIndex(incident.service);
  if (!idx) return;
  uint64_t now = a.Total(*idx, minute, minute + 1);
  if (now > incident.peak_reports_per_minute) {
    incident.peak_reports_per_minute = now;
    incident.peak_minute = minute;
    incident.expected_per_minute_at_peak = expected_per_minute;
  }
  int64_t end = incident.open() ? minute + 1 : incident.resolved_minute;
  incident.reports = a.Total(*idx, incident.started_minute, end);
  incident.problems.clear();
  auto problems = a.Top(*idx, store::Dimension::kProblem, incident.started_minute, end, 10);
  for (const auto& kc : problems) {
    incident.problems.push_back(
        {kc.key, incident.reports
                     ? static_cast<double>(kc.count) / static_cast<double>(incident.reports)
                     : 0});
  }
}

TrackerState IncidentTracker::ExportState(int64_t resolved_within_minutes) const {
  TrackerState state;
  state.next_number = next_number_;
  state.open = open_;
  for (const Incident& incident : resolved_) {
    if (last_minute_ == INT64_MIN ||
        last_minute_ - incident.resolved_minute <= resolved_within_minutes) {
      state.resolved.push_back(incident);
    }
  }
  return state;
}

void IncidentTracker::RestoreState(TrackerState state) {
  next_number_ = std::max(next_number_, state.next_number);
  open_ = std::move(state.open);
  resolved_ = std::move(state.resolved);
  if (resolved_.size() > options_.max_resolved) {
    resolved_.erase(
        resolved_.begin(),
        resolved_.begin() + static_cast<ptrdiff_t>(resolved_.size() - options_.max_resolved));
  }
  Publish();
}

void IncidentTracker::Update(const store::Aggregates& a, const detect::DetectionSnapshot& d) {
  int64_t minute = d.minute;
  last_minute_ = minute;
  // Open incidents: refresh, and resolve those whose service is back to normal.
  for (size_t i = 0; i < open_.size();) {
    Incident& incident = open_[i];
    const detect::ServiceState* s = d.Find(incident.service);
    Refresh(a, incident, minute, s ? s->expected_per_minute : 0);
    if (s == nullptr || s->status == detect::Status::kNormal) {
      incident.resolved_minute = s ? s->since_minute : minute;
      resolved_.push_back(std::move(incident));
      open_.erase(open_.begin() + static_cast<ptrdiff_t>(i));
      continue;
    }
    ++i;
  }
  // Services newly in an outage: reopen a recent incident or open a new one.
  for (const detect::ServiceState& s : d.services) {
    if (s.status != detect::Status::kOutage) continue;
    if (suppressed_ && suppressed_(s.service, minute)) continue;
    bool tracked = std::any_of(open_.begin(), open_.end(),
                               [&](const Incident& i) { return i.service == s.service; });
    if (tracked) continue;
    // resolved_ is in order of resolution: only its tail can be within the reopen window.
    auto recent = resolved_.end();
    for (auto it = resolved_.rbegin();
         it != resolved_.rend() && minute - it->resolved_minute <= options_.reopen_minutes; ++it) {
      if (it->service == s.service) {
        recent = std::prev(it.base());
        break;
      }
    }
    if (recent != resolved_.end()) {
      Incident incident = std::move(*recent);
      resolved_.erase(recent);
      incident.resolved_minute = 0;
      open_.push_back(std::move(incident));
      Refresh(a, open_.back(), minute, s.expected_per_minute);
      continue;
    }
    Incident incident;
    char id[32];
    std::snprintf(id, sizeof id, "OM%llu", static_cast<unsigned long long>(next_number_++));
    incident.id = id;
    incident.service = s.service;
    incident.detected_minute = s.since_minute;
    // Onset: walk back while the minute's count stayed above onset_ratio x baseline.
    int64_t onset = s.since_minute;
    if (auto idx = a.ServiceIndex(s.service)) {
      // At least onset_ratio x baseline, and clear of Poisson noise (3 standard deviations plus
      // one report): on a quiet service a single stray report is not an onset.
      double e = s.expected_per_minute;
      double threshold = std::max(options_.onset_ratio * e, e + 3 * std::sqrt(e) + 1);
      for (int back = 1; back <= options_.max_onset_lookback_minutes; ++back) {
        double count =
            static_cast<double>(a.Total(*idx, s.since_minute - back, s.since_minute - back + 1));
        if (count <= threshold) break;
        onset = s.since_minute - back;
      }
    }
    if (auto idx = a.ServiceIndex(s.service)) {
      onset = std::min(onset, AreaOnset(a, *idx, s.area, s.since_minute));
    }
    incident.started_minute = onset;
    // Co-occurrence, counted once per pair: when the second of the two incidents opens.
    ++incident_count_[incident.service];
    auto count_with = [&](const Incident& other) {
      if (other.service == incident.service) return;
      int64_t gap = incident.started_minute - other.started_minute;
      if (gap > options_.link_minutes || -gap > options_.link_minutes) return;
      if (gap >= 0) {
        CountTogether(other.service, incident.service);
      } else {
        CountTogether(incident.service, other.service);
      }
    };
    for (const Incident& other : open_) count_with(other);
    for (auto it = resolved_.rbegin(); it != resolved_.rend() && it - resolved_.rbegin() < 200;
         ++it) {
      count_with(*it);
    }
    open_.push_back(std::move(incident));
    Refresh(a, open_.back(), minute, s.expected_per_minute);
  }
  if (resolved_.size() > options_.max_resolved) {
    resolved_.erase(
        resolved_.begin(),
        resolved_.begin() + static_cast<ptrdiff_t>(resolved_.size() - options_.max_resolved));
  }
  Link();
  Publish();
}

std::vector<std::string> IncidentTracker::AllUpstreams(const std::string& service) const {
  std::vector<std::string> out;
  if (!upstreams_) return out;
  std::vector<std::string> frontier{service};
  for (int depth = 0; depth < 8 && !frontier.empty(); ++depth) {
    std::vector<std::string> next;
    for (const auto& s : frontier) {
      for (auto& up : upstreams_(s)) {
        if (up == service || std::find(out.begin(), out.end(), up) != out.end()) continue;
        out.push_back(up);
        next.push_back(std::move(up));
      }
    }
    frontier = std::move(next);
  }
  return out;
}

void IncidentTracker::CountTogether(const std::string& earlier, const std::string& later) {
  auto& row = together_[earlier];
  auto it = row.find(later);
  if (it == row.end()) {
    if (pairs_ >= options_.learn_max_pairs) return;
    ++pairs_;
    it = row.emplace(later, 0).first;
  }
  ++it->second;
}

void IncidentTracker::SeedHistory(std::vector<PastIncident> past) {
  std::sort(past.begin(), past.end(),
            [](const auto& a, const auto& b) { return a.started_minute < b.started_minute; });
  for (size_t i = 0; i < past.size(); ++i) {
    ++incident_count_[past[i].service];
    for (size_t j = i; j-- > 0;) {
      if (past[i].started_minute - past[j].started_minute > options_.link_minutes) break;
      if (past[j].service != past[i].service) CountTogether(past[j].service, past[i].service);
    }
  }
}

bool IncidentTracker::LearnedUpstream(const std::string& upstream,
                                      const std::string& service) const {
  auto count = [&](const std::string& first, const std::string& second) {
    auto row = together_.find(first);
    if (row == together_.end()) return 0;
    auto it = row->second.find(second);
    return it == row->second.end() ? 0 : it->second;
  };
  int with = count(upstream, service);
  if (with < options_.learn_min_together || count(service, upstream) * 2 > with) return false;
  auto n = incident_count_.find(service);
  return n != incident_count_.end() &&
         with >= options_.learn_min_share * static_cast<double>(n->second);
}

void IncidentTracker::Link() {
  // Candidates: the open incidents and the recently resolved ones they may be linked to.
  std::vector<const Incident*> all;
  for (const Incident& i : open_) all.push_back(&i);
  for (auto it = resolved_.rbegin(); it != resolved_.rend() && all.size() < open_.size() + 200;
       ++it) {
    all.push_back(&*it);
  }
  for (Incident& incident : open_) {
    incident.related.clear();
    incident.upstream_service.clear();
    incident.upstream_incident.clear();
    incident.upstream_learned = false;
    std::vector<std::string> upstreams = AllUpstreams(incident.service);
    const Incident* cause = nullptr;
    bool cause_learned = false;
    for (const Incident* other : all) {
      if (other == &incident || other->service == incident.service) continue;
      int64_t gap = other->started_minute - incident.started_minute;
      if (gap > options_.link_minutes || -gap > options_.link_minutes) continue;
      incident.related.push_back(other->id);
      bool in_catalog =
          std::find(upstreams.begin(), upstreams.end(), other->service) != upstreams.end();
      bool learned = !in_catalog && LearnedUpstream(other->service, incident.service);
      if ((in_catalog || learned) && gap <= options_.upstream_slack_minutes &&
          (cause == nullptr || other->started_minute < cause->started_minute)) {
        cause = other;
        cause_learned = learned;
      }
    }
    std::sort(incident.related.begin(), incident.related.end());
    if (cause) {
      incident.upstream_service = cause->service;
      incident.upstream_incident = cause->id;
      incident.upstream_learned = cause_learned;
    }
  }
}

void IncidentTracker::Publish() {
  auto snapshot = std::make_shared<IncidentSnapshot>();
  snapshot->incidents.assign(open_.rbegin(), open_.rend());
  snapshot->incidents.insert(snapshot->incidents.end(), resolved_.rbegin(), resolved_.rend());
  MutexLock lock(mu_);
  snapshot_ = std::move(snapshot);
}

}  // namespace om::incidents
