#pragma once
// Pipeline is the one path from counts to incidents. Each judged minute runs, in this order:
//   1. the detector's tick over every service (detect::Detector::Tick);
//   2. the incident tracker's update from the detector's snapshot (incidents::IncidentTracker);
// and after each batch of minutes, outside the counts' lock:
//   3. the incident records, when kept: the footprint regions of the open incidents are measured
//      (detect::FootprintRegions) and the tracker's snapshot is folded into the records
//      (incidents::IncidentRecords::Sync), whose updates the notifier sends;
//   4. the learned dispersions, when kept, saved once an hour of the clock given;
//   5. the pipeline's state, when kept (pipeline_state.h): the detector's run states and the
//      tracker's incidents as of the last judged minute, so that a restart continues them
//      (Restore).
// The server's detector thread (and so the demo), `backtest` and `detect-series --engine live`
// all judge through it, so what the backtest measures is what the server does.
//
// Thread-safety: not thread-safe; one thread judges (the detector thread, or the command's main
// thread). The detector and the tracker publish snapshots that other threads read.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "detect/detector.h"
#include "geo/gazetteer.h"
#include "incidents/incident_records.h"
#include "incidents/incident_tracker.h"
#include "pipeline/learned_dispersion.h"
#include "pipeline/pipeline_state.h"
#include "store/aggregates.h"

namespace om::pipeline {

// Runs a function with read access to the counts (for the server, Store::Read: under the
// aggregates' shared lock). The pipeline takes the lock once per judged minute, so that the store
// writer is never held up for longer than one minute's judgement.
using ReadCountsFn = std::function<void(const std::function<void(const store::Aggregates&)>&)>;

// What a pipeline judges with. All borrowed; they must outlive the pipeline.
struct PipelineParts {
  detect::Detector& detector;
  incidents::IncidentTracker& tracker;
  ReadCountsFn read_counts;
  // Optional: the records people follow (step 3). Needs `gazetteer` for the regions.
  incidents::IncidentRecords* records = nullptr;
  const geo::Gazetteer* gazetteer = nullptr;
  // Optional: where the detector's learned dispersions are kept (step 4).
  LearnedDispersions* learned = nullptr;
  // Optional: where the pipeline's state is kept (step 5).
  PipelineStateStore* state = nullptr;
};

class Pipeline {
 public:
  explicit Pipeline(PipelineParts parts);
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;
  ~Pipeline() = default;

  // Steps 1 and 2 for `minute` over `counts`. REQUIRES: the caller has read access to `counts`
  // (its lock held); minutes strictly increase from call to call.
  void EvaluateMinute(const store::Aggregates& counts, int64_t minute);

  // Called after each minute judged by EvaluateMinutes, with the counts still readable.
  using MinuteFn = std::function<void(const store::Aggregates& counts, int64_t minute)>;
  // Judges minutes first..last in order, from after last_minute() at the earliest (EvaluateMinute,
  // each under its own read of the counts; `each` after each), then brings the records up to date
  // and saves what the detector learned when due (steps 3 and 4), stamped `now`. Nothing is judged
  // when last < first, but the records are still synced. Errors of steps 3 to 5 are returned after
  // all ran; judging goes on.
  Status EvaluateMinutes(int64_t first, int64_t last, Timestamp now,
                         const MinuteFn& each = nullptr);

  // Saves the learned dispersions now (at shutdown), when they are kept and learning is on.
  Status SaveLearned(Timestamp now);

  // Continues from the saved state (step 5), when there is one: the detector and the tracker
  // take it up and last_minute() is its minute, from which the caller judges on. A state from
  // after `now_minute` (the clock went back, or the data dir was written on a demo's clock) is
  // left alone: judging on from it would wait until the clock caught up. Returns whether a state
  // was restored; a state that cannot be read is an error (the caller may start afresh).
  // Called after minutes were judged, it replaces what they left (a cluster node adopting its
  // leader's state, or taking over from it), and the minutes after the state's are judged again.
  Result<bool> Restore(int64_t now_minute);

  // Whether EvaluateMinutes keeps what it judged (steps 3 to 5); on by default. A cluster
  // follower judges for its own views only: the leader's commits reach its meta.db through the
  // journal, and it adopts the leader's state from there (Restore).
  void SetCommitting(bool committing) { committing_ = committing; }
  bool committing() const { return committing_; }

  // The last minute judged; INT64_MIN before the first.
  int64_t last_minute() const { return last_minute_; }

 private:
  // Steps 3, 4 and 5.
  Status Commit(Timestamp now);

  PipelineParts parts_;
  // Per open incident (by id), the cities' history its footprint is measured against each
  // minute (detect::PlaceHistory): it depends on the incident's start only, and is read again
  // every kFootprintHistoryMinutes so that reports arriving late into it count. Reading it was most
  // of the cost of a commit. An incident no longer open is forgotten.
  struct FootprintHistory {
    int64_t started_minute = 0;
    int64_t read_minute = 0;
    std::vector<store::KeyCount> cities;
  };
  static constexpr int64_t kFootprintHistoryMinutes = 15;
  std::unordered_map<std::string, FootprintHistory> footprint_history_;
  int64_t last_minute_ = INT64_MIN;
  bool committing_ = true;
  int64_t learned_saved_ms_ = INT64_MIN;  // when the learned dispersions were last saved
};

}  // namespace om::pipeline
