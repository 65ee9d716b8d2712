#pragma once
// StatusPages: Statuspage-compatible pages of any set of services an operator chooses ("our
// vendors": Azure AD, Microsoft 365, Okta), beside the built-in pages of one service and of one
// catalog category (api/statuspage.h). Kept in SQLite (<data_dir>/meta.db, table status_pages),
// managed through /api/v1/pages with an admin key.
//
// Thread-safety: every method may be called from any thread (one mutex; reads from memory).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "base/time.h"
#include "db/meta_store.h"

namespace om::incidents {

struct StatusPage {
  std::string id;                     // [a-z0-9-], 1 to 64: served at /pages/{id}/api/v2/...
  std::string name;                   // "Our vendors"
  std::vector<std::string> services;  // one component each, in this order
  int64_t created_ms = 0;
};

class StatusPages {
 public:
  // The pages of table status_pages in `meta` (borrowed; it must outlive this object).
  static Result<std::unique_ptr<StatusPages>> Open(db::MetaStore& meta);
  // Re-reads the pages from meta.db, which another node's writes reached (cluster mode: the
  // journal of writes).
  Status Reload() OM_EXCLUDES(mu_);

  // Creates or replaces page `page.id`. kInvalidArgument naming the field: an id not of
  // [a-z0-9-] or longer than 64, a name of 0 or more than 200 bytes, no services or more than
  // 1000, a service listed twice. The caller checks that the services exist and that the id is
  // not a service's.
  Result<StatusPage> Put(StatusPage page, Timestamp now);
  // kNotFound for an unknown id.
  Status Delete(std::string_view id);
  std::optional<StatusPage> Find(std::string_view id) const;
  std::vector<StatusPage> List() const;  // by id

 private:
  explicit StatusPages(db::MetaStore& meta) : meta_(meta) {}

  db::MetaStore& meta_;
  mutable Mutex mu_;
  std::vector<StatusPage> pages_ OM_GUARDED_BY(mu_);  // by id
};

}  // namespace om::incidents
