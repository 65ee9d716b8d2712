#include "incidents/status_pages.h"

#include <algorithm>

namespace om::incidents {
namespace {

// Services are stored one per line: service ids have no newlines (the catalog's ids are
// [a-z0-9-]).
std::string JoinLines(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out.append(out.empty() ? "" : "\n").append(item);
  return out;
}

std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    out.emplace_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<StatusPages>> StatusPages::Open(db::MetaStore& meta) {
  std::unique_ptr<StatusPages> pages(new StatusPages(meta));
  OM_RETURN_IF_ERROR(pages->Reload());
  return pages;
}

Status StatusPages::Reload() {
  // Under the lock throughout (the order of Put and Delete: this, then meta.db), so that a write
  // of this node is never undone by an older read.
  MutexLock lock(mu_);
  std::vector<StatusPage> loaded;
  OM_RETURN_IF_ERROR(meta_.Read([&](db::Database& db) -> Status {
    OM_ASSIGN_OR_RETURN(
        db::Statement select,
        db.Prepare("SELECT id, name, services, created_ms FROM status_pages ORDER BY id"));
    for (;;) {
      OM_ASSIGN_OR_RETURN(bool row, select.Step());
      if (!row) break;
      loaded.push_back({select.ColumnText(0), select.ColumnText(1),
                        SplitLines(select.ColumnText(2)), select.ColumnInt(3)});
    }
    return Status::Ok();
  }));
  pages_ = std::move(loaded);
  return Status::Ok();
}

Result<StatusPage> StatusPages::Put(StatusPage page, Timestamp now) {
  bool good_id = !page.id.empty() && page.id.size() <= 64 &&
                 std::all_of(page.id.begin(), page.id.end(), [](char c) {
                   return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
                 });
  if (!good_id) return Status::InvalidArgument("id: must be 1 to 64 of a-z, 0-9 and -");
  if (page.name.empty() || page.name.size() > 200) {
    return Status::InvalidArgument("name: must be 1 to 200 bytes");
  }
  if (page.services.empty() || page.services.size() > 1000) {
    return Status::InvalidArgument("services: must list 1 to 1000 services");
  }
  for (size_t k = 0; k < page.services.size(); ++k) {
    if (std::find(page.services.begin() + static_cast<std::ptrdiff_t>(k) + 1, page.services.end(),
                  page.services[k]) != page.services.end()) {
      return Status::InvalidArgument("services: \"" + page.services[k].substr(0, 64) +
                                     "\" is listed twice");
    }
  }
  page.created_ms = ToUnixMillis(now);
  MutexLock lock(mu_);
  std::string services = JoinLines(page.services);
  OM_RETURN_IF_ERROR(meta_.Write([&](db::MetaStore::Transaction& tx) {
    return tx.Run(
        "INSERT OR REPLACE INTO status_pages(id, name, services, created_ms) VALUES (?, ?, ?, ?)",
        {page.id, page.name, services, page.created_ms});
  }));
  auto it = std::lower_bound(pages_.begin(), pages_.end(), page.id,
                             [](const StatusPage& p, const std::string& id) { return p.id < id; });
  if (it != pages_.end() && it->id == page.id) {
    *it = page;
  } else {
    pages_.insert(it, page);
  }
  return page;
}

Status StatusPages::Delete(std::string_view id) {
  MutexLock lock(mu_);
  OM_RETURN_IF_ERROR(meta_.Write([&](db::MetaStore::Transaction& tx) {
    return tx.DeleteById("status_pages", id, "unknown page");
  }));
  std::erase_if(pages_, [&](const StatusPage& p) { return p.id == id; });
  return Status::Ok();
}

std::optional<StatusPage> StatusPages::Find(std::string_view id) const {
  MutexLock lock(mu_);
  for (const auto& p : pages_) {
    if (p.id == id) return p;
  }
  return std::nullopt;
}

std::vector<StatusPage> StatusPages::List() const {
  MutexLock lock(mu_);
  return pages_;
}

}  // namespace om::incidents
