#pragma once
// Maintenances: scheduled maintenance windows an operator announces for a service, kept in SQLite
// (<data_dir>/meta.db, table maintenances). While a window is active, an outage of that service
// opens no incident (people report what was announced: IncidentTracker's `suppressed`), and the
// Statuspage-compatible API shows it as scheduled maintenance with its components under
// maintenance.
//
// Thread-safety: every method may be called from any thread (one mutex; Active() reads memory
// only, for the detector thread).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "base/time.h"
#include "db/meta_store.h"

namespace om::incidents {

struct Maintenance {
  std::string id;  // "MW1000001"
  std::string service;
  std::string title;
  std::string body;
  int64_t starts_ms = 0;
  int64_t ends_ms = 0;  // exclusive
  int64_t created_ms = 0;
};

// Statuspage's maintenance statuses: scheduled (not begun), in_progress, completed.
std::string_view MaintenanceStatusAt(const Maintenance& m, int64_t now_ms);

class Maintenances {
 public:
  // The windows of table maintenances in `meta` (borrowed; it must outlive this object).
  static Result<std::unique_ptr<Maintenances>> Open(db::MetaStore& meta);
  // Re-reads the windows from meta.db, which another node's writes reached (cluster mode: the
  // journal of writes).
  Status Reload() OM_EXCLUDES(mu_);

  // kInvalidArgument naming the field: a title of 1 to 200 bytes, a body of at most 5000, an end
  // after the start and in the future, a window of at most 7 days.
  Result<Maintenance> Schedule(std::string_view service, std::string_view title,
                               std::string_view body, int64_t starts_ms, int64_t ends_ms,
                               Timestamp now);
  // kNotFound for an unknown id.
  Status Cancel(std::string_view id);
  // Every window of `service` (all services when empty), by start.
  std::vector<Maintenance> List(std::string_view service) const;
  // Whether a window of `service` covers `minute` (minutes since the epoch).
  bool Active(std::string_view service, int64_t minute) const;

 private:
  explicit Maintenances(db::MetaStore& meta) : meta_(meta) {}

  db::MetaStore& meta_;
  mutable Mutex mu_;
  std::vector<Maintenance> windows_ OM_GUARDED_BY(mu_);  // by start
  uint64_t next_number_ OM_GUARDED_BY(mu_) = 1000001;
};

}  // namespace om::incidents
