#include "incidents/incident_records.h"

#include <algorithm>
#include <charconv>

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

Result<std::unique_ptr<IncidentRecords>> IncidentRecords::Open(const std::string& path) {
  OM_ASSIGN_OR_RETURN(std::unique_ptr<db::Database> db, db::Database::Open(path));
  OM_RETURN_IF_ERROR(
      db->Exec("CREATE TABLE IF NOT EXISTS incidents ("
               " id TEXT PRIMARY KEY,"
               " number INTEGER NOT NULL,"
               " service TEXT NOT NULL,"
               " status TEXT NOT NULL,"
               " impact TEXT NOT NULL,"
               " created_ms INTEGER NOT NULL,"
               " updated_ms INTEGER NOT NULL,"
               " resolved_ms INTEGER NOT NULL DEFAULT 0,"
               " started_minute INTEGER NOT NULL DEFAULT 0,"
               " detected_minute INTEGER NOT NULL DEFAULT 0,"
               " crowd_resolved_minute INTEGER NOT NULL DEFAULT 0);"
               "CREATE TABLE IF NOT EXISTS incident_updates ("
               " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
               " incident TEXT NOT NULL REFERENCES incidents(id),"
               " at_ms INTEGER NOT NULL,"
               " status TEXT NOT NULL,"
               " body TEXT NOT NULL,"
               " author TEXT NOT NULL);"
               "CREATE INDEX IF NOT EXISTS incident_updates_by_incident ON "
               "incident_updates(incident, seq);"));
  std::unique_ptr<IncidentRecords> records(new IncidentRecords(std::move(db)));
  MutexLock lock(records->mu_);
  OM_RETURN_IF_ERROR(records->Load());
  return records;
}

Status IncidentRecords::Load() {
  OM_ASSIGN_OR_RETURN(
      db::Statement select,
      db_->Prepare("SELECT id, number, service, status, impact, created_ms, updated_ms, "
                   "resolved_ms, started_minute, detected_minute, crowd_resolved_minute "
                   "FROM incidents"));
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
    records_[static_cast<uint64_t>(select.ColumnInt(1))] = std::move(r);
  }
  OM_ASSIGN_OR_RETURN(db::Statement updates,
                      db_->Prepare("SELECT incident, at_ms, status, body, author, seq "
                                   "FROM incident_updates ORDER BY seq"));
  for (;;) {
    OM_ASSIGN_OR_RETURN(bool row, updates.Step());
    if (!row) break;
    auto it = records_.find(IncidentNumber(updates.ColumnText(0)));
    if (it == records_.end()) continue;
    IncidentUpdate u;
    u.at_ms = updates.ColumnInt(1);
    OM_ASSIGN_OR_RETURN(u.status,
                        ParseIncidentStatus(updates.ColumnText(2), "incident_updates.status"));
    u.body = updates.ColumnText(3);
    u.author = updates.ColumnText(4);
    u.seq = updates.ColumnInt(5);
    it->second.updates.push_back(std::move(u));
  }
  return Status::Ok();
}

uint64_t IncidentRecords::MaxNumber() const {
  MutexLock lock(mu_);
  return records_.empty() ? 0 : records_.rbegin()->first;
}

Status IncidentRecords::WriteRows(const IncidentRecord& record, const IncidentUpdate* update) {
  OM_ASSIGN_OR_RETURN(
      db::Statement upsert,
      db_->Prepare("INSERT OR REPLACE INTO incidents(id, number, service, status, impact, "
                   "created_ms, updated_ms, resolved_ms, started_minute, detected_minute, "
                   "crowd_resolved_minute) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  upsert.Bind(1, record.id).Bind(2, static_cast<int64_t>(IncidentNumber(record.id)));
  upsert.Bind(3, record.service).Bind(4, StatusName(record.status));
  upsert.Bind(5, ImpactName(record.impact)).Bind(6, record.created_ms);
  upsert.Bind(7, record.updated_ms).Bind(8, record.resolved_ms);
  upsert.Bind(9, record.started_minute).Bind(10, record.detected_minute);
  upsert.Bind(11, record.crowd_resolved_minute);
  OM_RETURN_IF_ERROR(upsert.Run());
  if (update) {
    OM_ASSIGN_OR_RETURN(db::Statement insert,
                        db_->Prepare("INSERT INTO incident_updates(incident, at_ms, status, "
                                     "body, author) VALUES (?, ?, ?, ?, ?)"));
    insert.Bind(1, record.id).Bind(2, update->at_ms).Bind(3, StatusName(update->status));
    insert.Bind(4, update->body).Bind(5, update->author);
    OM_RETURN_IF_ERROR(insert.Run());
  }
  return db_->Exec("COMMIT");
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

Status IncidentRecords::Store(IncidentRecord record, const IncidentUpdate* update) {
  OM_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  Status s = WriteRows(record, update);
  if (!s.ok()) {
    (void)db_->Exec("ROLLBACK");
    return s.WithPrefix("incident " + record.id);
  }
  if (update) {
    record.updates.push_back(*update);
    record.updates.back().seq = db_->LastInsertId();
  }
  records_[IncidentNumber(record.id)] = std::move(record);
  return Status::Ok();
}

Status IncidentRecords::Sync(const IncidentSnapshot& snapshot, Timestamp now) {
  int64_t now_ms = ToUnixMillis(now);
  MutexLock lock(mu_);
  for (const Incident& incident : snapshot.incidents) {
    uint64_t number = IncidentNumber(incident.id);
    if (number == 0) continue;
    auto it = records_.find(number);
    IncidentRecord record;
    IncidentUpdate update;
    update.at_ms = now_ms;
    update.author = std::string(kDetectionAuthor);
    if (it == records_.end()) {
      record.id = incident.id;
      record.service = incident.service;
      record.created_ms = now_ms;
      record.started_minute = incident.started_minute;
      record.detected_minute = incident.detected_minute;
      update.status = IncidentStatus::kInvestigating;
      update.body = "User reports rose above the usual level at " +
                    ClockTime(incident.started_minute) + "; outagemap declared an outage at " +
                    ClockTime(incident.detected_minute) + ".";
      record.updated_ms = now_ms;
      OM_RETURN_IF_ERROR(Store(record, &update));
      it = records_.find(number);
    }
    record = it->second;
    bool crowd_resolved = !incident.open();
    if (crowd_resolved && record.crowd_resolved_minute == 0) {
      record.crowd_resolved_minute = incident.resolved_minute;
      record.updated_ms = now_ms;
      if (record.resolved()) {
        OM_RETURN_IF_ERROR(Store(std::move(record), nullptr));
        continue;
      }
      record.status = IncidentStatus::kResolved;
      record.resolved_ms = now_ms;
      update.status = IncidentStatus::kResolved;
      update.body =
          "Reports are back to the usual level since " + ClockTime(incident.resolved_minute) + ".";
      OM_RETURN_IF_ERROR(Store(std::move(record), &update));
    } else if (!crowd_resolved && record.crowd_resolved_minute != 0) {
      // The tracker reopened it: the service fell back into an outage soon after.
      record.crowd_resolved_minute = 0;
      record.status = IncidentStatus::kInvestigating;
      record.resolved_ms = 0;
      record.updated_ms = now_ms;
      update.status = IncidentStatus::kInvestigating;
      update.body = "Reports rose above the usual level again.";
      OM_RETURN_IF_ERROR(Store(std::move(record), &update));
    } else if (!crowd_resolved && !record.resolved() && remind_every_ms_ > 0 &&
               !record.updates.empty() &&
               now_ms - record.updates.back().at_ms >= remind_every_ms_) {
      // A reminder: followers of a long outage hear that it goes on, even when nobody writes.
      int64_t hours = (now_ms - incident.started_minute * 60000) / 3600000;
      update.status = record.status;
      update.body = "Still ongoing: reports have been above the usual level since " +
                    ClockTime(incident.started_minute) + " (" + std::to_string(hours) +
                    (hours == 1 ? " hour" : " hours") + ").";
      record.updated_ms = now_ms;
      OM_RETURN_IF_ERROR(Store(std::move(record), &update));
    }
  }
  return Status::Ok();
}

Result<IncidentRecord> IncidentRecords::PostUpdate(std::string_view id,
                                                   std::optional<IncidentStatus> status,
                                                   std::optional<Impact> impact,
                                                   std::string_view body, std::string_view author,
                                                   Timestamp now) {
  if (body.empty() || body.size() > kMaxBodyBytes) {
    return Status::InvalidArgument("body: must be 1 to 5000 bytes of text");
  }
  MutexLock lock(mu_);
  auto it = records_.find(IncidentNumber(id));
  if (it == records_.end()) {
    return Status::NotFound("unknown incident \"" + std::string(id.substr(0, 64)) + "\"");
  }
  IncidentRecord record = it->second;
  int64_t now_ms = ToUnixMillis(now);
  if (status) {
    bool was_resolved = record.resolved();
    record.status = *status;
    if (record.resolved() && !was_resolved) record.resolved_ms = now_ms;
    if (!record.resolved()) record.resolved_ms = 0;
  }
  if (impact) record.impact = *impact;
  record.updated_ms = now_ms;
  IncidentUpdate update{0, now_ms, record.status, std::string(body), std::string(author)};
  OM_RETURN_IF_ERROR(Store(record, &update));
  return records_.at(IncidentNumber(id));
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
