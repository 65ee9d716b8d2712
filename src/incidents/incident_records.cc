#include "incidents/incident_records.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace om::incidents {
namespace {

constexpr size_t kMaxBodyBytes = 5000;
constexpr std::string_view kDetectionAuthor = "outagemap";

constexpr std::string_view kStatusNames[] = {"investigating", "identified", "monitoring",
                                             "resolved", "postmortem"};
constexpr std::string_view kImpactNames[] = {"none", "minor", "major", "critical"};

// "14:37 UTC" for a minute since the epoch.
std::string ClockTime(int64_t minute) {
  return FormatRfc3339(FromUnixMillis(minute * 60000)).substr(11, 5) + " UTC";
}

template <typename Enum, size_t N>
Result<Enum> ParseName(std::string_view name, std::string_view field,
                       const std::string_view (&names)[N]) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
  }
  std::string allowed;
  for (auto n : names) allowed.append(allowed.empty() ? "" : ", ").append(n);
  return Status::InvalidArgument(std::string(field) + ": must be one of " + allowed);
}

// Lists are stored as comma-separated text: service ids, component ids and region codes have no
// commas (the API checks what operators give).
std::string JoinList(const std::vector<std::string>& items, std::string_view separator = ",") {
  std::string out;
  for (const auto& item : items) out.append(out.empty() ? "" : separator).append(item);
  return out;
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    if (comma != 0) out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

// Every text the timeline gets from detection and from operators' merges and splits, in one
// place: what followers read (and are notified of). Names are services' display names.
namespace text {

std::string Opened(int64_t started_minute, int64_t detected_minute) {
  return "User reports rose above the usual level at " + ClockTime(started_minute) +
         "; outagemap declared an outage at " + ClockTime(detected_minute) + ".";
}
std::string OpenedAsPartOf(const std::string& opened, const std::string& service,
                           const std::string& upstream, const std::string& root_id) {
  return opened + " " + service + " depends on " + upstream + ": followed as part of " + root_id +
         ".";
}
std::string JoinedUpstream(const std::string& service, const std::string& upstream,
                           const std::string& root_id) {
  return service + " depends on " + upstream + ", which has an outage too: this incident is now " +
         "part of " + root_id + ", where updates continue.";
}
std::string BackToUsual(int64_t since_minute) {
  return "Reports are back to the usual level since " + ClockTime(since_minute) + ".";
}
std::string AllBackToUsual(size_t services, int64_t since_minute) {
  return "Reports are back to the usual level for all " + std::to_string(services) +
         " services since " + ClockTime(since_minute) + ".";
}
std::string RoseAgain() { return "Reports rose above the usual level again."; }
std::string StillOngoing(int64_t started_minute, int64_t hours) {
  return "Still ongoing: reports have been above the usual level since " +
         ClockTime(started_minute) + " (" + std::to_string(hours) +
         (hours == 1 ? " hour" : " hours") + ").";
}
std::string AlsoAffected(const std::vector<std::string>& services, const std::string& root) {
  return "Also affected: " + JoinList(services, ", ") +
         (services.size() == 1 ? ", which depends on " : ", which depend on ") + root + ".";
}
std::string MergedInto(const std::string& root_id, const std::string& root, std::string_view by) {
  return "Merged into " + root_id + " (" + root + ") by " + std::string(by) +
         "; updates continue there.";
}
std::string MergedIn(const std::string& incidents, std::string_view by) {
  return "Merged in by " + std::string(by) + ": " + incidents + ".";
}
std::string SplitOutOf(const std::string& root_id, std::string_view by) {
  return "Split out of " + root_id + " by " + std::string(by) + "; updates continue here.";
}
std::string SplitOut(const std::vector<std::string>& services, std::string_view by) {
  return "Split out by " + std::string(by) + ": " + JoinList(services, ", ") +
         (services.size() == 1 ? ", followed as its own incident again."
                               : ", followed as their own incidents again.");
}

}  // namespace text

// Appends the items of `from` that `to` lacks; true when it added any.
bool AddUnique(std::vector<std::string>& to, const std::vector<std::string>& from) {
  bool added = false;
  for (const auto& item : from) {
    if (std::find(to.begin(), to.end(), item) == to.end()) {
      to.push_back(item);
      added = true;
    }
  }
  return added;
}

// An update of the timeline, from detection (author kDetectionAuthor) or an operator.
IncidentUpdate Note(int64_t at_ms, IncidentStatus status, std::string body, std::string_view author,
                    bool quiet = false) {
  return IncidentUpdate{0, at_ms, status, std::move(body), std::string(author), quiet};
}

Status UnknownIncident(std::string_view id) {
  return Status::NotFound("unknown incident \"" + std::string(id.substr(0, 64)) + "\"");
}

}  // namespace

std::string_view StatusName(IncidentStatus status) {
  return kStatusNames[static_cast<size_t>(status)];
}
std::string_view ImpactName(Impact impact) { return kImpactNames[static_cast<size_t>(impact)]; }

Result<IncidentStatus> ParseIncidentStatus(std::string_view name, std::string_view field) {
  return ParseName<IncidentStatus>(name, field, kStatusNames);
}
Result<Impact> ParseImpact(std::string_view name, std::string_view field) {
  return ParseName<Impact>(name, field, kImpactNames);
}

uint64_t IncidentNumber(std::string_view id) {
  if (!id.starts_with("OM") || id.size() < 3) return 0;
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(id.data() + 2, id.data() + id.size(), n);
  return ec == std::errc() && p == id.data() + id.size() ? n : 0;
}

Result<std::unique_ptr<IncidentRecords>> IncidentRecords::Open(db::MetaStore& meta) {
  std::unique_ptr<IncidentRecords> records(new IncidentRecords(meta));
  OM_RETURN_IF_ERROR(records->Reload());
  return records;
}

Status IncidentRecords::Reload() {
  // Under the lock throughout (the order of Sync and the operators' writes: this, then
  // meta.db), so that a write of this node is never undone by an older read.
  MutexLock lock(mu_);
  std::map<uint64_t, IncidentRecord> loaded;
  OM_RETURN_IF_ERROR(meta_.Read([&](db::Database& db) { return Load(db, loaded); }));
  records_ = std::move(loaded);
  RebuildMembers();
  return Status::Ok();
}

Status IncidentRecords::Load(db::Database& db, std::map<uint64_t, IncidentRecord>& records) {
  OM_ASSIGN_OR_RETURN(
      db::Statement select,
      db.Prepare("SELECT id, number, service, status, impact, created_ms, updated_ms, "
                 "resolved_ms, started_minute, detected_minute, crowd_resolved_minute, "
                 "services, components, regions, merged_into, detached FROM incidents"));
  for (;;) {
    OM_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    IncidentRecord r;
    r.id = select.ColumnText(0);
    r.service = select.ColumnText(2);
    OM_ASSIGN_OR_RETURN(r.status, ParseIncidentStatus(select.ColumnText(3), "incidents.status"));
    OM_ASSIGN_OR_RETURN(r.impact, ParseImpact(select.ColumnText(4), "incidents.impact"));
    r.created_ms = select.ColumnInt(5);
    r.updated_ms = select.ColumnInt(6);
    r.resolved_ms = select.ColumnInt(7);
    r.started_minute = select.ColumnInt(8);
    r.detected_minute = select.ColumnInt(9);
    r.crowd_resolved_minute = select.ColumnInt(10);
    r.services = SplitList(select.ColumnText(11));
    if (r.services.empty()) r.services.push_back(r.service);  // a row from before groups
    r.components = SplitList(select.ColumnText(12));
    r.regions = SplitList(select.ColumnText(13));
    r.merged_into = select.ColumnText(14);
    r.detached = select.ColumnInt(15) != 0;
    records[static_cast<uint64_t>(select.ColumnInt(1))] = std::move(r);
  }
  OM_ASSIGN_OR_RETURN(db::Statement updates,
                      db.Prepare("SELECT incident, at_ms, status, body, author, seq, quiet "
                                 "FROM incident_updates ORDER BY seq"));
  for (;;) {
    OM_ASSIGN_OR_RETURN(bool row, updates.Step());
    if (!row) break;
    auto it = records.find(IncidentNumber(updates.ColumnText(0)));
    if (it == records.end()) continue;
    IncidentUpdate u;
    u.at_ms = updates.ColumnInt(1);
    OM_ASSIGN_OR_RETURN(u.status,
                        ParseIncidentStatus(updates.ColumnText(2), "incident_updates.status"));
    u.body = updates.ColumnText(3);
    u.author = updates.ColumnText(4);
    u.seq = updates.ColumnInt(5);
    u.quiet = updates.ColumnInt(6) != 0;
    it->second.updates.push_back(std::move(u));
  }
  return Status::Ok();
}

void IncidentRecords::RebuildMembers() {
  for (auto& [number, record] : records_) record.members.clear();
  for (const auto& [number, record] : records_) {
    if (record.merged_into.empty()) continue;
    if (IncidentRecord* root = FindLocked(record.merged_into)) root->members.push_back(record.id);
  }
}

IncidentRecord* IncidentRecords::FindLocked(std::string_view id) {
  auto it = records_.find(IncidentNumber(id));
  return it == records_.end() ? nullptr : &it->second;
}

uint64_t IncidentRecords::MaxNumber() const {
  MutexLock lock(mu_);
  return records_.empty() ? 0 : records_.rbegin()->first;
}

Status IncidentRecords::WriteRows(db::MetaStore::Transaction& tx, std::vector<Change>& changes) {
  for (Change& change : changes) {
    const IncidentRecord& record = change.record;
    OM_RETURN_IF_ERROR(tx.Run(
        "INSERT OR REPLACE INTO incidents(id, number, service, status, impact, created_ms, "
        "updated_ms, resolved_ms, started_minute, detected_minute, crowd_resolved_minute, "
        "services, components, regions, merged_into, detached) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {record.id, static_cast<int64_t>(IncidentNumber(record.id)), record.service,
         StatusName(record.status), ImpactName(record.impact), record.created_ms, record.updated_ms,
         record.resolved_ms, record.started_minute, record.detected_minute,
         record.crowd_resolved_minute, JoinList(record.services), JoinList(record.components),
         JoinList(record.regions), record.merged_into, int64_t{record.detached ? 1 : 0}}));
    if (change.update) {
      const IncidentUpdate& u = *change.update;
      OM_RETURN_IF_ERROR(tx.Run(
          "INSERT INTO incident_updates(incident, at_ms, status, body, author, quiet) "
          "VALUES (?, ?, ?, ?, ?, ?)",
          {record.id, u.at_ms, StatusName(u.status), u.body, u.author, int64_t{u.quiet ? 1 : 0}}));
      change.update->seq = tx.last_insert_id();
    }
  }
  return Status::Ok();
}

int64_t IncidentRecords::LastSeq() const {
  MutexLock lock(mu_);
  int64_t last = 0;
  for (const auto& [number, record] : records_) {
    if (!record.updates.empty()) last = std::max(last, record.updates.back().seq);
  }
  return last;
}

std::vector<IncidentRecords::UpdateEvent> IncidentRecords::UpdatesSince(int64_t after_seq,
                                                                        size_t limit) const {
  MutexLock lock(mu_);
  std::vector<UpdateEvent> out;
  for (const auto& [number, record] : records_) {
    for (const IncidentUpdate& u : record.updates) {
      if (u.seq <= after_seq) continue;
      UpdateEvent e;
      e.update = u;
      e.incident = record;
      e.incident.updates.clear();
      out.push_back(std::move(e));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.update.seq < b.update.seq; });
  if (out.size() > limit) out.resize(limit);
  return out;
}

Status IncidentRecords::StoreAll(std::vector<Change> changes) {
  if (changes.empty()) return Status::Ok();
  if (staging_) {
    for (const Change& change : changes) {
      uint64_t number = IncidentNumber(change.record.id);
      auto cached = records_.find(number);
      staging_->before.try_emplace(
          number, cached == records_.end() ? std::nullopt : std::optional(cached->second));
      if (change.update) staging_->update_slots.emplace_back(number, change.record.updates.size());
      staging_->changes.push_back(change);
    }
    ApplyToCache(changes);
    return Status::Ok();
  }
  Status s =
      meta_.Write([&changes](db::MetaStore::Transaction& tx) { return WriteRows(tx, changes); });
  if (!s.ok()) return s.WithPrefix("incident " + changes.front().record.id);
  ApplyToCache(changes);
  return Status::Ok();
}

void IncidentRecords::ApplyToCache(std::vector<Change>& changes) {
  bool regroup = false;
  for (Change& change : changes) {
    if (change.update) change.record.updates.push_back(std::move(*change.update));
    IncidentRecord& cached = records_[IncidentNumber(change.record.id)];
    regroup |= cached.merged_into != change.record.merged_into;
    change.record.members = std::move(cached.members);
    cached = std::move(change.record);
  }
  if (regroup) RebuildMembers();
}

Status IncidentRecords::CommitStaged() {
  Status written;
  if (!staging_->changes.empty()) {
    // The lambda runs under the MetaStore's lock, not reasoned about as ours: hand it the list.
    std::vector<Change>* changes = &staging_->changes;
    written =
        meta_.Write([changes](db::MetaStore::Transaction& tx) { return WriteRows(tx, *changes); });
  }
  if (!written.ok()) {
    RollBackStaged();
    return written.WithPrefix("incidents");
  }
  size_t slot = 0;
  for (const Change& change : staging_->changes) {
    if (!change.update) continue;
    auto [number, index] = staging_->update_slots[slot++];
    records_[number].updates[index].seq = change.update->seq;
  }
  staging_.reset();
  return Status::Ok();
}

void IncidentRecords::RollBackStaged() {
  for (auto& [number, before] : staging_->before) {
    if (before) {
      records_[number] = std::move(*before);
    } else {
      records_.erase(number);
    }
  }
  pending_joins_ = std::move(staging_->pending_joins_before);
  staging_.reset();
  RebuildMembers();
}

bool IncidentRecords::GroupOpen(const IncidentRecord& root) const {
  if (root.crowd_resolved_minute == 0) return true;
  for (const auto& id : root.members) {
    auto it = records_.find(IncidentNumber(id));
    if (it != records_.end() && it->second.crowd_resolved_minute == 0) return true;
  }
  return false;
}

void IncidentRecords::MoveInto(IncidentRecord& root, const IncidentRecord& source,
                               const IncidentUpdate& note, std::vector<Change>& changes) {
  std::vector<std::string> moving = {source.id};
  moving.insert(moving.end(), source.members.begin(), source.members.end());
  for (const auto& id : moving) {
    auto it = records_.find(IncidentNumber(id));
    if (it == records_.end()) continue;
    IncidentRecord moved = it->second;
    moved.merged_into = root.id;
    moved.detached = false;
    moved.services = {moved.service};
    moved.updated_ms = note.at_ms;
    AddUnique(root.services, moved.services);
    AddUnique(root.regions, moved.regions);
    changes.push_back({std::move(moved), id == source.id ? std::optional(note) : std::nullopt});
  }
}

std::string IncidentRecords::NameOf(const std::string& service) const {
  return service_name_ ? service_name_(service) : service;
}

DetectionStep StepRecord(IncidentRecord record, const Incident& incident, int64_t now_ms,
                         bool members_open, int64_t remind_every_ms) {
  DetectionStep step;
  const bool member = !record.merged_into.empty();
  auto automatic = [&](IncidentStatus status, std::string body) {
    return Note(now_ms, status, std::move(body), kDetectionAuthor, member);
  };
  const bool crowd_resolved = !incident.open();
  if (crowd_resolved && record.crowd_resolved_minute == 0) {
    record.crowd_resolved_minute = incident.resolved_minute;
    record.updated_ms = now_ms;
    step.changed = true;
    // A root stays open while any of its members is.
    if (!record.resolved() && (member || !members_open)) {
      record.status = IncidentStatus::kResolved;
      record.resolved_ms = now_ms;
      step.update =
          automatic(IncidentStatus::kResolved, text::BackToUsual(incident.resolved_minute));
    }
  } else if (!crowd_resolved && record.crowd_resolved_minute != 0) {
    // The tracker reopened it: the service fell back into an outage soon after.
    record.crowd_resolved_minute = 0;
    record.updated_ms = now_ms;
    step.changed = true;
    if (record.resolved()) {
      record.status = IncidentStatus::kInvestigating;
      record.resolved_ms = 0;
      step.update = automatic(IncidentStatus::kInvestigating, text::RoseAgain());
    }
  } else if (!crowd_resolved && !member && !record.resolved() && remind_every_ms > 0 &&
             !record.updates.empty() && now_ms - record.updates.back().at_ms >= remind_every_ms) {
    // A reminder: followers of a long outage hear that it goes on, even when nobody writes.
    int64_t hours = (now_ms - incident.started_minute * 60000) / 3600000;
    record.updated_ms = now_ms;
    step.changed = true;
    step.update = automatic(record.status, text::StillOngoing(incident.started_minute, hours));
  }
  step.record = std::move(record);
  return step;
}

Status IncidentRecords::Sync(const IncidentSnapshot& snapshot, Timestamp now,
                             const RegionsFn& regions_of) {
  // Localising asks the counts: done before taking the lock.
  std::map<std::string, std::vector<std::string>> regions;
  if (regions_of) {
    for (const Incident& incident : snapshot.incidents) {
      if (incident.open()) regions[incident.id] = regions_of(incident);
    }
  }
  MutexLock lock(mu_);
  staging_.emplace();
  staging_->pending_joins_before = pending_joins_;
  Status folded = FoldSnapshot(snapshot, ToUnixMillis(now), regions);
  if (!folded.ok()) {
    RollBackStaged();
    return folded;
  }
  return CommitStaged();
}

Status IncidentRecords::FoldSnapshot(
    const IncidentSnapshot& snapshot, int64_t now_ms,
    const std::map<std::string, std::vector<std::string>>& regions) {
  auto automatic = [&](IncidentStatus status, std::string body, bool quiet) {
    return Note(now_ms, status, std::move(body), kDetectionAuthor, quiet);
  };
  // Roots to look at once every incident is folded in: services that joined them, regions of
  // their members, and members that resolved or reopened.
  std::map<std::string, std::vector<std::string>> joined, member_regions;
  std::set<std::string> touched;
  // Incidents without an upstream first, so that a dependent finds its upstream's record even
  // when both are new.
  std::vector<const Incident*> order;
  for (const Incident& incident : snapshot.incidents) {
    if (incident.upstream_incident.empty()) order.push_back(&incident);
  }
  for (const Incident& incident : snapshot.incidents) {
    if (!incident.upstream_incident.empty()) order.push_back(&incident);
  }
  for (const Incident* ordered : order) {
    const Incident& incident = *ordered;
    uint64_t number = IncidentNumber(incident.id);
    if (number == 0) continue;
    // The incident of a service this one depends on, when grouping applies.
    const IncidentRecord* upstream = nullptr;
    if (group_dependents_ && incident.open() && !incident.upstream_incident.empty()) {
      upstream = FindLocked(incident.upstream_incident);
      if (upstream && !upstream->merged_into.empty()) upstream = FindLocked(upstream->merged_into);
      if (upstream && (upstream->resolved() || upstream->id == incident.id)) upstream = nullptr;
    }
    auto it = records_.find(number);
    if (it == records_.end()) {
      IncidentRecord record;
      record.id = incident.id;
      record.service = incident.service;
      record.services = {incident.service};
      record.created_ms = record.updated_ms = now_ms;
      record.started_minute = incident.started_minute;
      record.detected_minute = incident.detected_minute;
      std::string opened = text::Opened(incident.started_minute, incident.detected_minute);
      IncidentUpdate first;
      if (upstream) {
        record.merged_into = upstream->id;
        first = automatic(IncidentStatus::kInvestigating,
                          text::OpenedAsPartOf(opened, NameOf(incident.service),
                                               NameOf(incident.upstream_service), upstream->id),
                          true);
        joined[upstream->id].push_back(incident.service);
      } else {
        first = automatic(IncidentStatus::kInvestigating, opened, false);
      }
      OM_RETURN_IF_ERROR(Store(std::move(record), &first));
      it = records_.find(number);
    } else if (upstream && it->second.merged_into.empty() && !it->second.detached &&
               !it->second.resolved()) {
      // Its upstream was detected after it: the two are one outage from now on.
      IncidentRecord root = *upstream;
      std::vector<Change> changes;
      MoveInto(root, it->second,
               automatic(it->second.status,
                         text::JoinedUpstream(NameOf(incident.service),
                                              NameOf(incident.upstream_service), root.id),
                         false),
               changes);
      joined[root.id].push_back(incident.service);
      changes.push_back({std::move(root), std::nullopt});
      OM_RETURN_IF_ERROR(StoreAll(std::move(changes)));
    }
    IncidentRecord record = it->second;
    bool changed = false;
    if (auto r = regions.find(incident.id); r != regions.end()) {
      changed = AddUnique(record.regions, r->second);
      if (changed && !record.merged_into.empty()) {
        AddUnique(member_regions[record.merged_into], r->second);
      }
    }
    if (!record.merged_into.empty()) touched.insert(record.merged_into);
    bool members_open = false;
    for (const auto& m : record.members) {
      const IncidentRecord* found = FindLocked(m);
      members_open |= found && found->crowd_resolved_minute == 0;
    }
    DetectionStep step =
        StepRecord(std::move(record), incident, now_ms, members_open, remind_every_ms_);
    changed |= step.changed;
    if (changed) {
      OM_RETURN_IF_ERROR(Store(std::move(step.record), step.update ? &*step.update : nullptr));
    }
  }
  for (const auto& [id, services] : joined) {
    touched.insert(id);
    PendingJoins& pending = pending_joins_[id];
    if (pending.services.empty()) pending.first_ms = now_ms;
    AddUnique(pending.services, services);
  }
  for (const auto& [id, pending] : pending_joins_) touched.insert(id);
  for (const auto& [id, added] : member_regions) touched.insert(id);
  for (const std::string& id : touched) {
    IncidentRecord* found = FindLocked(id);
    if (!found || !found->merged_into.empty()) {
      pending_joins_.erase(id);
      continue;
    }
    IncidentRecord root = *found;
    bool changed = AddUnique(root.regions, member_regions[id]);
    if (auto j = joined.find(id); j != joined.end()) {
      // The services count as the incident's at once (pages, subscriptions by service).
      changed |= AddUnique(root.services, j->second);
    }
    // Followers hear of the dependents that joined once a cascade pauses (a minute without a new
    // one) or has gone on for `group_wait`: one update for all of them, not one a minute.
    if (auto p = pending_joins_.find(id);
        p != pending_joins_.end() &&
        (!joined.contains(id) || now_ms - p->second.first_ms >= group_wait_ms_ ||
         (!root.resolved() && root.crowd_resolved_minute != 0 && !GroupOpen(root)))) {
      std::vector<std::string> names;
      for (const auto& service : p->second.services) names.push_back(NameOf(service));
      pending_joins_.erase(p);
      root.updated_ms = now_ms;
      IncidentUpdate also =
          automatic(root.status, text::AlsoAffected(names, NameOf(root.service)), false);
      OM_RETURN_IF_ERROR(Store(root, &also));
      root = *FindLocked(id);
      changed = false;
    }
    std::optional<IncidentUpdate> update;
    if (!root.resolved() && root.crowd_resolved_minute != 0 && !GroupOpen(root)) {
      int64_t last = root.crowd_resolved_minute;
      for (const auto& m : root.members) {
        last = std::max(last, FindLocked(m)->crowd_resolved_minute);
      }
      root.status = IncidentStatus::kResolved;
      root.resolved_ms = now_ms;
      update = automatic(IncidentStatus::kResolved,
                         text::AllBackToUsual(root.services.size(), last), false);
    } else if (root.resolved() && root.status == IncidentStatus::kResolved && GroupOpen(root) &&
               root.crowd_resolved_minute != 0) {
      // Resolved by detection, and one of its members fell back into an outage.
      root.status = IncidentStatus::kInvestigating;
      root.resolved_ms = 0;
      update = automatic(IncidentStatus::kInvestigating, text::RoseAgain(), false);
    }
    if (update) root.updated_ms = now_ms;
    if (changed || update) OM_RETURN_IF_ERROR(Store(std::move(root), update ? &*update : nullptr));
  }
  return Status::Ok();
}

Result<IncidentRecord> IncidentRecords::PostUpdate(
    std::string_view id, std::optional<IncidentStatus> status, std::optional<Impact> impact,
    std::optional<std::vector<std::string>> components, std::string_view body,
    std::string_view author, Timestamp now) {
  if (body.empty() || body.size() > kMaxBodyBytes) {
    return Status::InvalidArgument("body: must be 1 to 5000 bytes of text");
  }
  MutexLock lock(mu_);
  IncidentRecord* found = FindLocked(id);
  if (!found) return UnknownIncident(id);
  IncidentRecord record = *found;
  int64_t now_ms = ToUnixMillis(now);
  if (status) {
    bool was_resolved = record.resolved();
    record.status = *status;
    if (record.resolved() && !was_resolved) record.resolved_ms = now_ms;
    if (!record.resolved()) record.resolved_ms = 0;
  }
  if (impact) record.impact = *impact;
  if (components) record.components = std::move(*components);
  record.updated_ms = now_ms;
  IncidentUpdate update = Note(now_ms, record.status, std::string(body), author);
  OM_RETURN_IF_ERROR(Store(record, &update));
  return *FindLocked(id);
}

Result<const IncidentRecord*> IncidentRecords::RootLocked(std::string_view id,
                                                          std::string_view action) {
  const IncidentRecord* found = FindLocked(id);
  if (!found) return UnknownIncident(id);
  if (!found->merged_into.empty()) {
    return Status::InvalidArgument("id: " + found->id + " is part of " + found->merged_into + "; " +
                                   std::string(action) + " that one");
  }
  return found;
}

Result<IncidentRecord> IncidentRecords::Merge(std::string_view into,
                                              const std::vector<std::string>& from,
                                              std::string_view author, Timestamp now) {
  if (from.empty() || from.size() > 100) {
    return Status::InvalidArgument("from: must list 1 to 100 incident ids");
  }
  int64_t now_ms = ToUnixMillis(now);
  MutexLock lock(mu_);
  OM_ASSIGN_OR_RETURN(const IncidentRecord* target, RootLocked(into, "merge into"));
  IncidentRecord root = *target;
  std::vector<Change> changes;
  std::vector<std::string> merged;
  for (const std::string& id : from) {
    const IncidentRecord* source = FindLocked(id);
    if (!source) {
      return Status::InvalidArgument("from: unknown incident \"" + id.substr(0, 64) + "\"");
    }
    if (source->id == root.id) {
      return Status::InvalidArgument("from: cannot merge " + id + " into itself");
    }
    if (!source->merged_into.empty()) {
      return Status::InvalidArgument(
          "from: " + id + " is already part of " + source->merged_into +
          (source->merged_into == root.id ? "" : "; split it out first"));
    }
    if (std::find(merged.begin(), merged.end(), source->id) != merged.end()) {
      return Status::InvalidArgument("from: " + id + " is listed twice");
    }
    merged.push_back(source->id);
    IncidentUpdate note = Note(now_ms, source->status,
                               text::MergedInto(root.id, NameOf(root.service), author), author);
    MoveInto(root, *source, note, changes);
  }
  std::vector<std::string> names;
  names.reserve(merged.size());
  for (const auto& id : merged) names.push_back(id + " (" + NameOf(FindLocked(id)->service) + ")");
  root.updated_ms = now_ms;
  IncidentUpdate update =
      Note(now_ms, root.status, text::MergedIn(JoinList(names, ", "), author), author);
  changes.push_back({std::move(root), update});
  OM_RETURN_IF_ERROR(StoreAll(std::move(changes)));
  return *FindLocked(into);
}

Result<IncidentRecord> IncidentRecords::Split(std::string_view id,
                                              const std::vector<std::string>& services,
                                              std::string_view author, Timestamp now) {
  if (services.empty() || services.size() > 100) {
    return Status::InvalidArgument("services: must list 1 to 100 service ids");
  }
  int64_t now_ms = ToUnixMillis(now);
  MutexLock lock(mu_);
  OM_ASSIGN_OR_RETURN(const IncidentRecord* found, RootLocked(id, "split from"));
  IncidentRecord root = *found;
  std::vector<Change> changes;
  std::vector<std::string> names;
  for (size_t k = 0; k < services.size(); ++k) {
    const std::string& service = services[k];
    if (std::find(services.begin(), services.begin() + static_cast<std::ptrdiff_t>(k), service) !=
        services.begin() + static_cast<std::ptrdiff_t>(k)) {
      return Status::InvalidArgument("services: \"" + service.substr(0, 64) + "\" is listed twice");
    }
    size_t before = changes.size();
    for (const auto& member_id : root.members) {
      const IncidentRecord* m = FindLocked(member_id);
      if (!m || m->service != service) continue;
      IncidentRecord out = *m;
      out.merged_into.clear();
      out.detached = true;
      out.updated_ms = now_ms;
      IncidentUpdate note = Note(now_ms, out.status, text::SplitOutOf(root.id, author), author);
      changes.push_back({std::move(out), note});
    }
    if (changes.size() == before) {
      return Status::InvalidArgument("services: \"" + service.substr(0, 64) + "\" " +
                                     (service == root.service
                                          ? "is " + root.id + "'s own service; split out the others"
                                          : "is not part of " + root.id));
    }
    names.push_back(NameOf(service));
  }
  // What stays: its own service and those of the members not split out.
  root.services = {root.service};
  for (const auto& member_id : root.members) {
    const IncidentRecord* m = FindLocked(member_id);
    if (m && std::find(services.begin(), services.end(), m->service) == services.end()) {
      AddUnique(root.services, {m->service});
    }
  }
  root.updated_ms = now_ms;
  IncidentUpdate update = Note(now_ms, root.status, text::SplitOut(names, author), author);
  changes.push_back({std::move(root), update});
  OM_RETURN_IF_ERROR(StoreAll(std::move(changes)));
  return *FindLocked(id);
}

std::optional<IncidentRecord> IncidentRecords::Find(std::string_view id) const {
  MutexLock lock(mu_);
  auto it = records_.find(IncidentNumber(id));
  if (it == records_.end()) return std::nullopt;
  return it->second;
}

std::vector<IncidentRecord> IncidentRecords::List(
    size_t limit, const std::function<bool(const IncidentRecord&)>& keep) const {
  MutexLock lock(mu_);
  std::vector<IncidentRecord> out;
  for (auto it = records_.rbegin(); it != records_.rend() && out.size() < limit; ++it) {
    if (!keep || keep(it->second)) out.push_back(it->second);
  }
  return out;
}

}  // namespace om::incidents
