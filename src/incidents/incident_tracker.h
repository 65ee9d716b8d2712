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
// stray report is not an onset (at most `max_onset_lookback_minutes`); when an area's own test
// found the outage (detect::AreaEvidence), the earlier of that and where the area's excess
// began within the window it was tested on.
//
// Pure state machine fed once per minute by the detector thread; no I/O, no clock reads.
// Learned dependencies: besides the catalog's `depends_on`, a service whose incidents keep
// starting just after another's (see IncidentOptions::learn_*) takes it as a likely upstream.
//
// Thread-safety: Update() from one thread; Snapshot() from any thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
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
  // Learned dependencies, for services the catalog does not relate: U is taken as an upstream of
  // S once S's incidents started with (within link_minutes after) one of U's at least
  // `learn_min_together` times, in at least `learn_min_share` of S's incidents, and at least
  // twice as often as the other way round. At most `learn_max_pairs` pairs are counted.
  int learn_min_together = 3;
  double learn_min_share = 0.5;
  size_t learn_max_pairs = 100000;
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
  bool upstream_learned = false;  // from co-occurrence, not from the catalog
  bool open() const { return resolved_minute == 0; }
  bool external() const { return !upstream_service.empty(); }
};

struct IncidentSnapshot {
  std::vector<Incident> incidents;  // open first (newest first), then resolved (newest first)
  const Incident* Find(const std::string& id) const;
};

// What the tracker holds beyond what the records keep: its open incidents, those resolved
// recently (which can still reopen or be linked), and the next number. Exported so that a restart
// continues the same incidents (pipeline/pipeline_state.h keeps it).
struct TrackerState {
  uint64_t next_number = 0;
  std::vector<Incident> open;
  std::vector<Incident> resolved;  // oldest first
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
  ~IncidentTracker() = default;

  // Folds the detection of `detection.minute` into the incidents and publishes a snapshot.
  // REQUIRES: called after the detector's Tick for that minute, minutes increasing.
  void Update(const store::Aggregates& aggregates, const detect::DetectionSnapshot& detection);

  std::shared_ptr<const IncidentSnapshot> Snapshot() const;

  // Past incidents (service and onset, e.g. from the records kept across restarts), so that
  // learned dependencies survive a restart. REQUIRES: before the first Update.
  struct PastIncident {
    std::string service;
    int64_t started_minute = 0;
  };
  void SeedHistory(std::vector<PastIncident> past);

  // The open incidents, those resolved within the last `resolved_within_minutes` of the last
  // update (at most max_resolved), and the next number. Detector thread only.
  TrackerState ExportState(int64_t resolved_within_minutes = 1440) const;
  // Continues from `state` (as exported before a restart): its incidents are open or resolved as
  // they were, numbering goes on from the larger of its next number and the options'. Publishes a
  // snapshot. REQUIRES: before the first Update.
  void RestoreState(TrackerState state);

  // Whether `upstream` is a learned upstream of `service` (see IncidentOptions). Detector thread
  // only (tests).
  bool LearnedUpstream(const std::string& upstream, const std::string& service) const;

 private:
  // Counts `later` as having started with `earlier` (by onset), once per pair of incidents.
  void CountTogether(const std::string& earlier, const std::string& later);
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
  int64_t last_minute_ = INT64_MIN;  // of the last Update; detector thread only
  std::vector<Incident> open_;       // detector thread only
  std::vector<Incident> resolved_;   // oldest first
  // Learned dependencies: how often a service's incident started with one of another's (first
  // service started first), and how many incidents each service had. Detector thread only.
  std::unordered_map<std::string, std::unordered_map<std::string, int>> together_;
  std::unordered_map<std::string, int> incident_count_;
  size_t pairs_ = 0;

  mutable Mutex mu_;
  std::shared_ptr<const IncidentSnapshot> snapshot_ OM_GUARDED_BY(mu_);
};

}  // namespace om::incidents
