#pragma once
// DetectorThread runs detect::Detector, then the IncidentTracker, once per complete minute of the
// injected Clock (event time in the demo), reading the store's aggregates under their shared lock.
// It polls the clock every 200 ms of wall time, so a fast demo clock is followed minute by minute;
// when it falls behind it catches up at most 60 minutes at once. On start it warms up over the last
// 30 minutes, so a restarted server knows at once which services are in an outage.
//
// Thread-safety: Start/Stop from the owning thread.

#include <cstdint>
#include <functional>

#include "base/periodic_thread.h"
#include "base/time.h"
#include "detect/detector.h"
#include "incidents/incident_tracker.h"
#include "store/store.h"

namespace om::server {

class DetectorThread {
 public:
  // All borrowed; they must outlive this object. `grace` is how long after a minute ends its
  // reports are waited for before it is judged.
  // `after_minutes`, when set, runs after each batch of judged minutes, outside the store's lock
  // (the incident records write to SQLite there).
  DetectorThread(detect::Detector& detector, incidents::IncidentTracker& incidents,
                 store::Store& store, const Clock& clock, Duration grace = std::chrono::seconds(5),
                 std::function<void()> after_minutes = nullptr);
  ~DetectorThread();
  DetectorThread(const DetectorThread&) = delete;
  DetectorThread& operator=(const DetectorThread&) = delete;

  void Start();
  void Stop();

 private:
  // Judges the minutes completed since the last round (worker thread only).
  void Round();

  detect::Detector& detector_;
  incidents::IncidentTracker& incidents_;
  store::Store& store_;
  const Clock& clock_;
  const Duration grace_;
  const std::function<void()> after_minutes_;
  int64_t last_ = INT64_MIN;  // the last minute judged; the worker thread only
  PeriodicThread worker_;
};

}  // namespace om::server
