#pragma once
// IncidentRecords: the incidents people follow, persisted in SQLite (<data_dir>/meta.db, tables
// incidents and incident_updates). Each record has the status and impact of Statuspage's model
// (exactly its names: investigating, identified, monitoring, resolved, postmortem; none, minor,
// major, critical) and a timeline of updates, written both by detection and by operators.
//
// The IncidentTracker (incident_tracker.h) decides from the counts when an outage starts, peaks
// and ends; Sync() folds its snapshot in after every detector minute: a new incident gets a record
// (investigating, impact major) with an automatic first update; a crowd resolution resolves it
// with an update; a reopening sets it back to investigating; with reminders on, a long incident
// nobody wrote about gets a "still ongoing" update every reminder interval. Operators post updates
// that may change status and impact (PostUpdate, behind the incident:write scope in the API).
// Records and their updates survive restarts; Open() reads them all back, and MaxNumber() tells the
// tracker where to continue numbering so that ids are never reused.
//
// Thread-safety: every method may be called from any thread (one mutex; reads are served from
// memory, writes go to SQLite before they are visible).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "base/time.h"
#include "db/database.h"
#include "incidents/incident_tracker.h"

namespace om::incidents {

enum class IncidentStatus { kInvestigating, kIdentified, kMonitoring, kResolved, kPostmortem };
enum class Impact { kNone, kMinor, kMajor, kCritical };

std::string_view StatusName(IncidentStatus status);  // "investigating", ...
std::string_view ImpactName(Impact impact);          // "none", ...
// kInvalidArgument naming `field` and the allowed values.
Result<IncidentStatus> ParseIncidentStatus(std::string_view name, std::string_view field);
Result<Impact> ParseImpact(std::string_view name, std::string_view field);

struct IncidentUpdate {
  int64_t seq = 0;  // increases with every update of every incident (the notifier's cursor)
  int64_t at_ms = 0;
  IncidentStatus status = IncidentStatus::kInvestigating;
  std::string body;
  std::string author;  // "outagemap" for detection's own updates, else the API key's name
};

struct IncidentRecord {
  std::string id;  // "OM1000001", the tracker's id
  std::string service;
  IncidentStatus status = IncidentStatus::kInvestigating;
  Impact impact = Impact::kMajor;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
  int64_t resolved_ms = 0;  // when the status last became resolved; 0 while unresolved
  // The crowd's view at the last Sync (minutes since the epoch; 0 unknown / open).
  int64_t started_minute = 0, detected_minute = 0, crowd_resolved_minute = 0;
  std::vector<IncidentUpdate> updates;  // oldest first
  bool resolved() const {
    return status == IncidentStatus::kResolved || status == IncidentStatus::kPostmortem;
  }
};

class IncidentRecords {
 public:
  // Opens (creating if needed) the tables in the SQLite file at `path` and loads every record.
  static Result<std::unique_ptr<IncidentRecords>> Open(const std::string& path);

  // The largest number among stored ids ("OM1000123" -> 1000123), or 0.
  uint64_t MaxNumber() const;

  // Folds the tracker's snapshot in (see above). `now` stamps the automatic updates.
  Status Sync(const IncidentSnapshot& snapshot, Timestamp now);

  // Reminders: an unresolved incident that had no update for this long gets an automatic
  // "still ongoing" update (and so a notification). 0, the default, sends none.
  void SetReminderInterval(std::chrono::minutes every) {
    MutexLock lock(mu_);
    remind_every_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(every).count();
  }

  // An operator's update: a text, optionally a new status and impact. kNotFound for an unknown
  // id; kInvalidArgument for an empty or over-long body (1 to 5000 bytes).
  Result<IncidentRecord> PostUpdate(std::string_view id, std::optional<IncidentStatus> status,
                                    std::optional<Impact> impact, std::string_view body,
                                    std::string_view author, Timestamp now);

  std::optional<IncidentRecord> Find(std::string_view id) const;
  // Newest first (by number), at most `limit` of those `keep` accepts (all when it is empty).
  // `keep` runs under the lock, so pages of one service copy only that service's records.
  std::vector<IncidentRecord> List(
      size_t limit, const std::function<bool(const IncidentRecord&)>& keep = nullptr) const;

  // The first update with seq > `after_seq`, oldest first, with its incident as it is now; at
  // most `limit`. Notifications follow this stream with a cursor of their own.
  struct UpdateEvent {
    IncidentUpdate update;
    IncidentRecord incident;  // without its updates
  };
  std::vector<UpdateEvent> UpdatesSince(int64_t after_seq, size_t limit) const;
  // The seq of the newest update, 0 when there is none.
  int64_t LastSeq() const;

 private:
  explicit IncidentRecords(std::unique_ptr<db::Database> db) : db_(std::move(db)) {}
  Status Load() OM_REQUIRES(mu_);
  // Writes `record`'s row and appends `update` (when given) in one transaction, then updates
  // the cache.
  Status Store(IncidentRecord record, const IncidentUpdate* update) OM_REQUIRES(mu_);
  // The row and the update, then COMMIT, inside Store's transaction.
  Status WriteRows(const IncidentRecord& record, const IncidentUpdate* update) OM_REQUIRES(mu_);

  mutable Mutex mu_;
  std::unique_ptr<db::Database> db_ OM_GUARDED_BY(mu_);
  // By number, so that iteration is in id order.
  std::map<uint64_t, IncidentRecord> records_ OM_GUARDED_BY(mu_);
  int64_t remind_every_ms_ OM_GUARDED_BY(mu_) = 0;
};

// "OM1000123" -> 1000123; 0 when `id` is not of that form.
uint64_t IncidentNumber(std::string_view id);

}  // namespace om::incidents
