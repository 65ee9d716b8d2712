#pragma once
// The detection pipeline's state across a restart: what the detector knows of each service
// beyond its counts (detect::ServiceRunState: status, runs, learned dispersion) and the incident
// tracker's open and recently resolved incidents with its next number (incidents::TrackerState),
// as of the last judged minute. The pipeline saves it after every batch of minutes, so a kill -9
// loses at most the last one; a restarted server restores it and judges on from that minute, so
// an ongoing outage keeps its incident (same id, no second opening) and one that ended while the
// server was down is resolved.
//
// Encoding (EncodePipelineState): UTF-8 text, one record per line, fields separated by one space,
// each field percent-encoded except [A-Za-z0-9._:-]; docs/formats/meta-db.md describes it:
//   outagemap-pipeline-state 1
//   minute <last judged minute>
//   next <next incident number>
//   service <id> <status> <since> <evaluated> <possible_run> <outage_run> <quiet_run>
//           <dispersion> <calibration_pending> <calibration_last>
//   incident <open|resolved> <id> <service> <started> <detected> <resolved> <peak_minute>
//           <peak_reports_per_minute> <expected_per_minute_at_peak> <reports> <upstream_service>
//           <upstream_incident> <upstream_learned 0|1> <problems p=share,...> <related id,...>
// (a `service` or `incident` record is one line; empty fields and lists are written as `-`).
//
// Kept in meta.db, table `pipeline_state(name TEXT PRIMARY KEY, minute INTEGER, state TEXT,
// saved_ms INTEGER)`, one row named "detection".
//
// Thread-safety: PipelineStateStore may be used from any thread (MetaStore serialises it).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "db/meta_store.h"
#include "detect/detector.h"
#include "incidents/incident_tracker.h"

namespace om::pipeline {

struct PipelineState {
  int64_t minute = 0;  // the last minute judged
  std::vector<detect::ServiceRunState> services;
  incidents::TrackerState incidents;
};

std::string EncodePipelineState(const PipelineState& state);
// kCorruption naming the line and the field for anything EncodePipelineState would not write.
Result<PipelineState> DecodePipelineState(std::string_view text);

class PipelineStateStore {
 public:
  // The table pipeline_state of `meta` (borrowed; it must outlive this object).
  static Result<std::unique_ptr<PipelineStateStore>> Open(db::MetaStore& meta);

  // Replaces the saved state, in one statement.
  Status Save(const PipelineState& state, int64_t now_ms);
  // The saved state; nullopt when none was saved. kCorruption when it cannot be read (the caller
  // decides whether to start afresh).
  Result<std::optional<PipelineState>> Load();
  // When the saved state was saved (its `saved_ms`), without reading the state; 0 when none was.
  // A cluster follower adopts its leader's state only when this moved.
  Result<int64_t> SavedMs();

 private:
  explicit PipelineStateStore(db::MetaStore& meta) : meta_(meta) {}
  db::MetaStore& meta_;
};

}  // namespace om::pipeline
