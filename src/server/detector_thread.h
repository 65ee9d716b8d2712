#pragma once
// DetectorThread judges every complete minute of the injected Clock (event time in the demo)
// through the Pipeline (detector, incident tracker, records, learned dispersions), which reads the
// store's aggregates under their shared lock.
// It polls the clock every 200 ms of wall time, so a fast demo clock is followed minute by minute;
// when it falls behind it catches up at most 60 minutes at once. On start it goes on from the
// minute a restored pipeline had judged (pipeline::Pipeline::Restore; minutes more than an hour
// old are jumped), else it warms up over the last 30 minutes, so a restarted server knows at once
// which services are in an outage.
//
// Thread-safety: Start/Stop from the owning thread.

#include <cstdint>

#include "base/periodic_thread.h"
#include "base/time.h"
#include "pipeline/pipeline.h"

namespace om::server {

class DetectorThread {
 public:
  // Both borrowed; they must outlive this object. `grace` is how long after a minute ends its
  // reports are waited for before it is judged.
  DetectorThread(pipeline::Pipeline& pipeline, const Clock& clock,
                 Duration grace = std::chrono::seconds(5));
  ~DetectorThread();
  DetectorThread(const DetectorThread&) = delete;
  DetectorThread& operator=(const DetectorThread&) = delete;

  void Start();
  void Stop();

  // Judges the minutes completed since the pipeline's last judged minute: the worker's round,
  // public for a caller that drives the rounds on its own thread instead of Start() (cluster
  // mode, which restores the pipeline between rounds). One thread at a time.
  void Round();

 private:
  pipeline::Pipeline& pipeline_;
  const Clock& clock_;
  const Duration grace_;
  PeriodicThread worker_;
};

}  // namespace om::server
