#pragma once
// LearnedDispersions keeps each service's learned dispersion (detect::DetectOptions::
// learn_dispersion) in the metadata database, so that a restarted server starts every service
// from what it had learned instead of relearning from the floor for days. The server saves the
// detector's latest snapshot every hour and when it stops, and seeds a new detector from Load().
//
// Table `learned_dispersion(service TEXT PRIMARY KEY, dispersion_micro INTEGER, saved_ms
// INTEGER)`: the dispersion in millionths (SQLite's REAL is not bound by db::Statement).
//
// Thread-safety: not thread-safe; the server uses it from one thread at a time (the detector
// thread's after-minutes hook, then Stop() after that thread has stopped).

#include <memory>
#include <string>
#include <unordered_map>

#include "base/status.h"
#include "db/database.h"
#include "detect/detector.h"

namespace om::pipeline {

class LearnedDispersions {
 public:
  // Opens (creating the table if absent) the database at `path`.
  static Result<std::unique_ptr<LearnedDispersions>> Open(const std::string& path);

  // Every service's saved dispersion, by service id.
  Result<std::unordered_map<std::string, double>> Load();
  // Saves the dispersion of every service in `snapshot` (those not ticked yet, with a NaN
  // dispersion, are left as they were), in one transaction.
  Status Save(const detect::DetectionSnapshot& snapshot, int64_t now_ms);

 private:
  explicit LearnedDispersions(std::unique_ptr<db::Database> db) : db_(std::move(db)) {}
  std::unique_ptr<db::Database> db_;
};

}  // namespace om::pipeline
