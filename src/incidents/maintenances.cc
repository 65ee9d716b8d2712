#include "incidents/maintenances.h"

#include <algorithm>
#include <charconv>

namespace om::incidents {
namespace {

constexpr int64_t kMaxWindowMs = int64_t{7} * 24 * 3600 * 1000;

uint64_t Number(std::string_view id) {
  uint64_t n = 0;
  if (id.size() > 2) std::from_chars(id.data() + 2, id.data() + id.size(), n);
  return n;
}

}  // namespace

std::string_view MaintenanceStatusAt(const Maintenance& m, int64_t now_ms) {
  if (now_ms < m.starts_ms) return "scheduled";
  if (now_ms < m.ends_ms) return "in_progress";
  return "completed";
}

Result<std::unique_ptr<Maintenances>> Maintenances::Open(db::MetaStore& meta) {
  std::unique_ptr<Maintenances> m(new Maintenances(meta));
  OM_RETURN_IF_ERROR(m->Reload());
  return m;
}

Status Maintenances::Reload() {
  // Under the lock throughout (the order of Schedule and Cancel: this, then meta.db), so that a
  // write of this node is never undone by an older read.
  MutexLock lock(mu_);
  std::vector<Maintenance> loaded;
  OM_RETURN_IF_ERROR(meta_.Read([&](db::Database& db) -> Status {
    OM_ASSIGN_OR_RETURN(db::Statement select,
                        db.Prepare("SELECT id, service, title, body, starts_ms, ends_ms, "
                                   "created_ms FROM maintenances ORDER BY starts_ms, id"));
    for (;;) {
      OM_ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) break;
      loaded.push_back({select.ColumnText(0), select.ColumnText(1), select.ColumnText(2),
                        select.ColumnText(3), select.ColumnInt(4), select.ColumnInt(5),
                        select.ColumnInt(6)});
    }
    return Status::Ok();
  }));
  windows_.clear();
  for (Maintenance& w : loaded) {
    next_number_ = std::max(next_number_, Number(w.id) + 1);
    windows_.push_back(std::move(w));
  }
  return Status::Ok();
}

Result<Maintenance> Maintenances::Schedule(std::string_view service, std::string_view title,
                                           std::string_view body, int64_t starts_ms,
                                           int64_t ends_ms, Timestamp now) {
  if (title.empty() || title.size() > 200) {
    return Status::InvalidArgument("title: must be 1 to 200 bytes");
  }
  if (body.size() > 5000) return Status::InvalidArgument("body: longer than 5000 bytes");
  if (ends_ms <= starts_ms) return Status::InvalidArgument("ends_at: must be after starts_at");
  if (ends_ms <= ToUnixMillis(now)) return Status::InvalidArgument("ends_at: already past");
  if (ends_ms - starts_ms > kMaxWindowMs) {
    return Status::InvalidArgument("ends_at: a window is at most 7 days");
  }
  MutexLock lock(mu_);
  Maintenance w{"MW" + std::to_string(next_number_),
                std::string(service),
                std::string(title),
                std::string(body),
                starts_ms,
                ends_ms,
                ToUnixMillis(now)};
  OM_RETURN_IF_ERROR(meta_.Write([&](db::MetaStore::Transaction& tx) {
    return tx.Run(
        "INSERT INTO maintenances(id, service, title, body, starts_ms, ends_ms, created_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        {w.id, w.service, w.title, w.body, w.starts_ms, w.ends_ms, w.created_ms});
  }));
  ++next_number_;
  windows_.push_back(w);
  std::stable_sort(windows_.begin(), windows_.end(),
                   [](const auto& a, const auto& b) { return a.starts_ms < b.starts_ms; });
  return w;
}

Status Maintenances::Cancel(std::string_view id) {
  MutexLock lock(mu_);
  OM_RETURN_IF_ERROR(meta_.Write([&](db::MetaStore::Transaction& tx) {
    return tx.DeleteById("maintenances", id, "no maintenance with id");
  }));
  std::erase_if(windows_, [&](const Maintenance& w) { return w.id == id; });
  return Status::Ok();
}

std::vector<Maintenance> Maintenances::List(std::string_view service) const {
  MutexLock lock(mu_);
  std::vector<Maintenance> out;
  for (const auto& w : windows_) {
    if (service.empty() || w.service == service) out.push_back(w);
  }
  return out;
}

bool Maintenances::Active(std::string_view service, int64_t minute) const {
  int64_t ms = minute * 60000;
  MutexLock lock(mu_);
  return std::any_of(windows_.begin(), windows_.end(), [&](const Maintenance& w) {
    return w.service == service && w.starts_ms <= ms && ms < w.ends_ms;
  });
}

}  // namespace om::incidents
