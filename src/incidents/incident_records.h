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
// that may change status, impact and affected components (PostUpdate, behind the incident:write
// scope in the API). Records and their updates survive restarts; Open() reads them all back, and
// MaxNumber() tells the tracker where to continue numbering so that ids are never reused.
//
// One outage, one incident. The tracker opens one incident per service; records group them:
//  - Grouping (on by default): when a service fails together with one it depends on (the
//    tracker's upstream_incident), its incident joins the upstream's, which gains the service at
//    once and tells followers once the cascade pauses for a minute ("Also affected: …", one
//    update for all that joined; at most SetGroupWait after the first) instead of once per
//    dependent. The dependent's own record stays, `merged_into` the upstream's, with quiet
//    updates (kept in its timeline, never notified).
//  - Merge: an operator folds incidents into another (their members move with them); each merged
//    one gets a notified update saying where it continues.
//  - Split: an operator takes services back out of a merged incident into their own incidents,
//    which grouping then leaves alone (`detached`).
// A group is one level deep: members always point at the root. The root is resolved by
// detection only when every member is back to normal, and reopened when any falls back.
//
// Thread-safety: every method may be called from any thread (one mutex; reads are served from
// memory, writes go to SQLite before they are visible).

#include <algorithm>
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
#include "db/meta_store.h"
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
  // Kept in the timeline but never notified: detection's notes on a member of another incident,
  // whose followers hear through that one.
  bool quiet = false;
};

struct IncidentRecord {
  std::string id;       // "OM1000001", the tracker's id
  std::string service;  // the service detection opened it for
  // Every service it covers: `service`, then those of the incidents merged into it.
  std::vector<std::string> services;
  // Affected components, by Statuspage component id ("outlook-2"); empty: every component of
  // its services (crowd reports cannot tell which part fails; an operator can).
  std::vector<std::string> components;
  // ISO 3166-2 regions ("US-MN") where reports rose above usual (the footprint), accumulated over
  // the incident's life, its members' included.
  std::vector<std::string> regions;
  // Set when this incident is part of another: that one's id. Empty for a root.
  std::string merged_into;
  // The ids merged into this one (derived from the members' merged_into; not stored).
  std::vector<std::string> members;
  // An operator split it out of a group: grouping leaves it alone from then on.
  bool detached = false;
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
  // Whether `s` is one of its services.
  bool Covers(std::string_view s) const {
    return service == s || std::find(services.begin(), services.end(), s) != services.end();
  }
};

// How detection moves one record in one minute: the pure part of IncidentRecords::Sync, which
// reads nothing but its arguments. The crowd resolving the record's incident resolves the record
// (unless it is a root with a member still open, `members_open`), the tracker reopening it sets
// it back to investigating, and, with reminders on (`remind_every_ms` > 0), an unresolved root
// nobody wrote about for that long gets a "still ongoing" note. A member's updates are quiet: its
// root's followers hear through the root.
struct DetectionStep {
  IncidentRecord record;                 // as it is after this minute
  bool changed = false;                  // whether any stored field changed
  std::optional<IncidentUpdate> update;  // the automatic update to append, if any
};
DetectionStep StepRecord(IncidentRecord record, const Incident& incident, int64_t now_ms,
                         bool members_open, int64_t remind_every_ms);

class IncidentRecords {
 public:
  // Loads every record of tables incidents and incident_updates in `meta` (borrowed; it must
  // outlive this object).
  static Result<std::unique_ptr<IncidentRecords>> Open(db::MetaStore& meta);

  // The largest number among stored ids ("OM1000123" -> 1000123), or 0.
  uint64_t MaxNumber() const;

  // The regions of an open incident's footprint (ISO 3166-2 codes), asked by Sync. Must not
  // call back into IncidentRecords.
  using RegionsFn = std::function<std::vector<std::string>(const Incident& incident)>;

  // Folds the tracker's snapshot in (see above), writing everything it changes in one transaction:
  // when that fails, neither the file nor what readers see changed, and the next Sync tries the
  // whole minute again. `now` stamps the automatic updates. `regions` may be null (records then
  // list no regions); it is called without the lock held.
  Status Sync(const IncidentSnapshot& snapshot, Timestamp now, const RegionsFn& regions = nullptr);

  // The names automatic updates use for services ("Microsoft 365"); ids when not set. Must be
  // thread-safe and must not call back into IncidentRecords.
  void SetServiceNames(std::function<std::string(const std::string& service)> name) {
    MutexLock lock(mu_);
    service_name_ = std::move(name);
  }

  // Grouping: followers hear of the dependents that joined an incident once the cascade pauses
  // for a minute or has gone on for this long (one "Also affected" update for all of them). 0
  // tells each minute's arrivals at once.
  void SetGroupWait(std::chrono::minutes wait) {
    MutexLock lock(mu_);
    group_wait_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(wait).count();
  }

  // Grouping of dependents into their upstream's incident (see above); on by default.
  void SetGroupDependents(bool group) {
    MutexLock lock(mu_);
    group_dependents_ = group;
  }

  // Reminders: an unresolved incident that had no update for this long gets an automatic
  // "still ongoing" update (and so a notification). 0, the default, sends none.
  void SetReminderInterval(std::chrono::minutes every) {
    MutexLock lock(mu_);
    remind_every_ms_ = std::chrono::duration_cast<std::chrono::milliseconds>(every).count();
  }

  // An operator's update: a text, optionally a new status, impact and list of affected
  // components (checked by the caller, which knows the catalog; an empty list means all). kNotFound
  // for an unknown id; kInvalidArgument for an empty or over-long body (1 to 5000 bytes).
  Result<IncidentRecord> PostUpdate(std::string_view id, std::optional<IncidentStatus> status,
                                    std::optional<Impact> impact,
                                    std::optional<std::vector<std::string>> components,
                                    std::string_view body, std::string_view author, Timestamp now);

  // Merges the incidents `from` (with their members) into `into`, in one transaction; returns
  // `into` as it is then. kNotFound for an unknown `into`; kInvalidArgument naming the field
  // ("id" or "from") for a member as target, an empty or over-long list (at most 100), an unknown
  // id, the target itself, or one that is already part of an incident.
  Result<IncidentRecord> Merge(std::string_view into, const std::vector<std::string>& from,
                               std::string_view author, Timestamp now);

  // Takes the members of `id` whose service is in `services` out into their own incidents, in
  // one transaction; returns `id` as it is then. kNotFound for an unknown id; kInvalidArgument
  // naming "services" for an empty list, a service that is not one of its members', or its own.
  Result<IncidentRecord> Split(std::string_view id, const std::vector<std::string>& services,
                               std::string_view author, Timestamp now);

  // Re-reads every record from meta.db, which another node's writes reached (cluster mode: the
  // journal of writes). Waits for a Sync in progress.
  Status Reload() OM_EXCLUDES(mu_);

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
  explicit IncidentRecords(db::MetaStore& meta) : meta_(meta) {}
  // Reads every record and its updates.
  static Status Load(db::Database& db, std::map<uint64_t, IncidentRecord>& records);
  // A record's new row, with an update to append (when given).
  struct Change {
    IncidentRecord record;
    std::optional<IncidentUpdate> update;
  };
  // Writes every change in one transaction, then updates the cache (and the members lists).
  // While Sync stages a minute, it updates only the cache and stages the changes instead.
  Status StoreAll(std::vector<Change> changes) OM_REQUIRES(mu_);
  // The cache side of StoreAll: appends the updates, replaces the records, rebuilds members.
  void ApplyToCache(std::vector<Change>& changes) OM_REQUIRES(mu_);
  // Sync's work under the lock, with staging on.
  Status FoldSnapshot(const IncidentSnapshot& snapshot, int64_t now_ms,
                      const std::map<std::string, std::vector<std::string>>& regions)
      OM_REQUIRES(mu_);
  // Writes what the minute staged in one transaction and gives its updates their seq; on failure
  // puts the cache back as it was before the minute.
  Status CommitStaged() OM_REQUIRES(mu_);
  void RollBackStaged() OM_REQUIRES(mu_);
  Status Store(IncidentRecord record, const IncidentUpdate* update) OM_REQUIRES(mu_) {
    std::vector<Change> one;
    one.push_back({std::move(record), update ? std::optional(*update) : std::nullopt});
    return StoreAll(std::move(one));
  }
  // The rows and updates, inside StoreAll's transaction; sets each update's seq.
  static Status WriteRows(db::MetaStore::Transaction& tx, std::vector<Change>& changes);
  void RebuildMembers() OM_REQUIRES(mu_);
  std::string NameOf(const std::string& service) const OM_REQUIRES(mu_);
  IncidentRecord* FindLocked(std::string_view id) OM_REQUIRES(mu_);
  // The record `id` if it is a root; kNotFound, or kInvalidArgument "id: … is part of …; <action>
  // that one" (for a member).
  Result<const IncidentRecord*> RootLocked(std::string_view id, std::string_view action)
      OM_REQUIRES(mu_);
  // Whether any incident of the group rooted at `root` is still open by the crowd.
  bool GroupOpen(const IncidentRecord& root) const OM_REQUIRES(mu_);
  // Adds to `changes` the moves of `source` and its members into `root` (which gains their
  // services and regions); `note` is the update each moved root gets (quiet when `quiet`).
  void MoveInto(IncidentRecord& root, const IncidentRecord& source, const IncidentUpdate& note,
                std::vector<Change>& changes) OM_REQUIRES(mu_);

  db::MetaStore& meta_;
  mutable Mutex mu_;
  // By number, so that iteration is in id order.
  std::map<uint64_t, IncidentRecord> records_ OM_GUARDED_BY(mu_);
  int64_t remind_every_ms_ OM_GUARDED_BY(mu_) = 0;
  bool group_dependents_ OM_GUARDED_BY(mu_) = true;
  int64_t group_wait_ms_ OM_GUARDED_BY(mu_) = 5 * kMillisPerMinute;
  // Dependents that joined a root (by id) and are not told yet, and when the first joined. Kept
  // in memory: after a restart the services are in the record, only the update is not written.
  struct PendingJoins {
    std::vector<std::string> services;
    int64_t first_ms = 0;
  };
  std::map<std::string, PendingJoins> pending_joins_ OM_GUARDED_BY(mu_);
  // One minute of Sync, staged: what to write, where each staged update sits in the cache (record
  // number, index in its updates), and the cache as it was, to roll back to.
  struct Staging {
    std::vector<Change> changes;
    std::vector<std::pair<uint64_t, size_t>> update_slots;
    std::map<uint64_t, std::optional<IncidentRecord>> before;
    std::map<std::string, PendingJoins> pending_joins_before;
  };
  std::optional<Staging> staging_ OM_GUARDED_BY(mu_);
  std::function<std::string(const std::string&)> service_name_ OM_GUARDED_BY(mu_);
};

// "OM1000123" -> 1000123; 0 when `id` is not of that form.
uint64_t IncidentNumber(std::string_view id);

}  // namespace om::incidents
