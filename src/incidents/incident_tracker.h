#pragma once
// IncidentTracker turns the detector's per-service status into incidents: one incident per outage
// of a service, opened when the service enters `outage`, tracking its peak, resolved when the
// service is back to `normal`. A service that falls back into an outage within `reopen_minutes`
// of a resolution reopens the same incident, so one outage that dips for a while stays one
// incident.
//
// Times: `detected_at` is the minute the detector declared the outage; `started_at` is the
// estimated onset, found by walking back from detection while each minute's count stayed above
// both `onset_ratio` times the baseline e and e + 3*sqrt(e) + 1, so that on a quiet service a
// stray report is not an onset (at most `max_onset_lookback_minutes`).
//
// Pure state machine fed once per minute by the detector thread; no I/O, no clock reads.
// Thread-safety: Update() from one thread; Snapshot() from any thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "detect/detector.h"
#include "store/aggregates.h"

namespace om::incidents {

struct IncidentOptions {
  // A resolved incident of the same service reopens if a new outage starts within this time.
  int reopen_minutes = 30;
  // Onset: minutes before detection whose count was above onset_ratio x baseline.
  double onset_ratio = 2;
  int max_onset_lookback_minutes = 60;
  // Readable ids: "OM" followed by a number starting here.
  uint64_t first_number = 1000001;
  // Resolved incidents kept in memory (the oldest are forgotten first).
  size_t max_resolved = 10000;
  // Incidents whose onsets are at most this far apart are linked as related.
  int link_minutes = 15;
  // A related incident of an upstream service counts as the cause if it started no later than
  // this after the dependent one (onsets are estimated to the minute).
  int upstream_slack_minutes = 2;
};

struct ProblemShare {
  std::string problem;
  double share = 0;
};

struct Incident {
  std::string id;  // "OM1000001"
  std::string service;
  int64_t started_minute = 0;   // estimated onset
  int64_t detected_minute = 0;  // when the detector declared the outage
  int64_t resolved_minute = 0;  // 0 while open
  int64_t peak_minute = 0;
  uint64_t peak_reports_per_minute = 0;
  double expected_per_minute_at_peak = 0;
  uint64_t reports = 0;                // counted reports from onset to now or resolution
  std::vector<ProblemShare> problems;  // problem types of the incident's reports, largest first
  // Cross-service attribution: incidents that started together, and among them the likely
  // upstream: an incident of a service this one depends on (directly or not, per the catalog)
  // that started first. With an upstream the incident is "external", else "internal".
  std::vector<std::string> related;  // ids
  std::string upstream_service;      // empty: none found
  std::string upstream_incident;
  bool open() const { return resolved_minute == 0; }
  bool external() const { return !upstream_service.empty(); }
};

struct IncidentSnapshot {
  std::vector<Incident> incidents;  // open first (newest first), then resolved (newest first)
  const Incident* Find(const std::string& id) const;
};

class IncidentTracker {
 public:
  // The services `service` depends on directly (catalog `depends_on`). Must be thread-safe.
  using UpstreamsFn = std::function<std::vector<std::string>(const std::string& service)>;

  // Whether `service` is in a scheduled maintenance window at `minute`: then an outage opens no
  // incident (people report what the operator announced). Must be thread-safe.
  using SuppressedFn = std::function<bool(const std::string& service, int64_t minute)>;

  // `upstreams` may be null: incidents are then linked by timing only, never attributed.
  // `suppressed` may be null: nothing is suppressed.
  explicit IncidentTracker(IncidentOptions options = {}, UpstreamsFn upstreams = nullptr,
                           SuppressedFn suppressed = nullptr);
  IncidentTracker(const IncidentTracker&) = delete;
  IncidentTracker& operator=(const IncidentTracker&) = delete;

  // Folds the detection of `detection.minute` into the incidents and publishes a snapshot.
  // REQUIRES: called after the detector's Tick for that minute, minutes increasing.
  void Update(const store::Aggregates& aggregates, const detect::DetectionSnapshot& detection);

  std::shared_ptr<const IncidentSnapshot> Snapshot() const;

 private:
  void Publish();
  // Recomputes related incidents and upstreams for the open incidents.
  void Link();
  // Every service `service` depends on, transitively (at most 8 levels).
  std::vector<std::string> AllUpstreams(const std::string& service) const;
  void Refresh(const store::Aggregates& a, Incident& incident, int64_t minute,
               double expected_per_minute);

  const IncidentOptions options_;
  const UpstreamsFn upstreams_;
  const SuppressedFn suppressed_;
  uint64_t next_number_;
  std::vector<Incident> open_;      // detector thread only
  std::vector<Incident> resolved_;  // oldest first

  mutable Mutex mu_;
  std::shared_ptr<const IncidentSnapshot> snapshot_ OM_GUARDED_BY(mu_);
};

}  // namespace om::incidents
