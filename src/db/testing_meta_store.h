#pragma once
// For tests only: a MetaStore on `<dir>/meta.db`, migrated; the test stops at once when it cannot
// be opened.

#include <memory>
#include <string>

#include "base/check.h"
#include "db/meta_store.h"

namespace om::db {

inline std::unique_ptr<MetaStore> TestingMetaStore(const std::string& dir) {
  auto meta = MetaStore::Open(dir + "/meta.db");
  OM_CHECK(meta.ok()) << meta.status().ToString();
  return std::move(meta).value();
}

}  // namespace om::db
