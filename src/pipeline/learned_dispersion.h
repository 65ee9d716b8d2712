#pragma once
// LearnedDispersions keeps each service's learned dispersion (detect::DetectOptions::
// learn_dispersion) in the metadata database, so that a restarted server starts every service
// from what it had learned instead of relearning from the floor for days. The server saves the
// detector's latest snapshot every hour and when it stops, and seeds a new detector from Load().
//
// Table `learned_dispersion(service TEXT PRIMARY KEY, dispersion_micro INTEGER, saved_ms
// INTEGER)`: the dispersion in millionths (SQLite's REAL is not bound by db::Statement).
//
// Thread-safety: every method may be called from any thread (MetaStore serialises them).

#include <memory>
#include <string>
#include <unordered_map>

#include "base/status.h"
#include "db/meta_store.h"
#include "detect/detector.h"

namespace om::pipeline {

class LearnedDispersions {
 public:
  // The table learned_dispersion of `meta` (borrowed; it must outlive this object).
  static Result<std::unique_ptr<LearnedDispersions>> Open(db::MetaStore& meta);

  // Every service's saved dispersion, by service id.
  Result<std::unordered_map<std::string, double>> Load();
  // Saves the dispersion of every service in `snapshot` (those not ticked yet, with a NaN
  // dispersion, are left as they were), in one transaction.
  Status Save(const detect::DetectionSnapshot& snapshot, int64_t now_ms);

 private:
  explicit LearnedDispersions(db::MetaStore& meta) : meta_(meta) {}
  db::MetaStore& meta_;
};

}  // namespace om::pipeline
