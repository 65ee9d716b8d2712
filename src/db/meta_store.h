#pragma once
// MetaStore owns meta.db (docs/formats/meta-db.md): one SQLite connection shared by every
// repository of metadata (API keys, incident records, subscriptions, maintenances, status pages,
// official status history, the detection pipeline's state), the schema, and one write
// transaction at a time.
//
// Schema: an ordered list of migrations, keyed on the file's `PRAGMA user_version`. Open() applies
// those the file has not seen, each in its own transaction that also sets the version, so an old
// data dir is brought up to date and a crash mid-migration leaves the previous version intact. A
// file whose version is newer than this release's is refused (kInvalidArgument), never
// downgraded.
//
// Writes go through one narrow interface: Write() runs a function with a Transaction whose only
// operation is a statement with bound values (Run), committed together or not at all. Cluster mode
// can journal exactly these. Reads use the connection directly (Read()).
//
//   OM_RETURN_IF_ERROR(meta.Write([&](db::MetaStore::Transaction& tx) {
//     return tx.Run("UPDATE api_keys SET revoked_ms = ? WHERE id = ?", {now_ms, id});
//   }));
//
// Thread-safety: every method may be called from any thread; Read and Write functions run alone
// with the connection (one mutex). They must not call back into the MetaStore.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "db/database.h"

namespace om::db {

class MetaStore {
 public:
  // The schema version this release writes (the number of migrations).
  static constexpr int kSchemaVersion = 2;

  // Opens (creating if absent) the database at `path` and migrates it to kSchemaVersion. kIoError
  // naming the path; kInvalidArgument for a file of a newer release.
  static Result<std::unique_ptr<MetaStore>> Open(const std::string& path);
  MetaStore(const MetaStore&) = delete;
  MetaStore& operator=(const MetaStore&) = delete;
  ~MetaStore() = default;

  const std::string& path() const { return path_; }
  // The file's schema version as Open found it, before migrating (0 for a new file or one made
  // before versions were kept).
  int opened_version() const { return opened_version_; }

  // Runs `fn(Database&)` alone with the connection: for SELECTs and PRAGMAs.
  template <typename Fn>
  auto Read(Fn&& fn) {
    MutexLock lock(mu_);
    return fn(*db_);
  }

  class Transaction {
   public:
    using Value = std::variant<std::nullptr_t, int64_t, std::string_view>;
    // Runs one statement with `values` bound to its parameters, in order. Statements are prepared
    // once and reused. Errors are Database's (kAlreadyExists for a constraint violation).
    // (A Transaction exists only inside Write(), which holds the store's mutex; the analysis
    // cannot see that across the call to `fn`.)
    Status Run(std::string_view sql,
               std::initializer_list<Value> values = {}) OM_NO_THREAD_SAFETY_ANALYSIS;
    Status Run(std::string_view sql, const std::vector<Value>& values) OM_NO_THREAD_SAFETY_ANALYSIS;
    // Deletes the row of `table` whose `id` column is `id`; kNotFound "<what> \"<id>\"" (the id
    // cut at 64 bytes) when there is none. The tables of managed objects (maintenance windows,
    // subscriptions, status pages) are all keyed this way.
    Status DeleteById(std::string_view table, std::string_view id,
                      std::string_view what) OM_NO_THREAD_SAFETY_ANALYSIS;
    // Rows changed by the last Run; rowid of the last row inserted.
    int64_t changes() const OM_NO_THREAD_SAFETY_ANALYSIS;
    int64_t last_insert_id() const OM_NO_THREAD_SAFETY_ANALYSIS;

   private:
    friend class MetaStore;
    explicit Transaction(MetaStore& store) : store_(store) {}
    MetaStore& store_;
  };
  // Runs `fn` inside BEGIN IMMEDIATE ... COMMIT, alone with the connection. When `fn` or the
  // commit fails, everything it ran is rolled back and the error returned.
  Status Write(const std::function<Status(Transaction&)>& fn);

 private:
  MetaStore(std::string path, std::unique_ptr<Database> db)
      : path_(std::move(path)), db_(std::move(db)) {}
  Status Migrate() OM_REQUIRES(mu_);
  Status RunLocked(std::string_view sql, const Transaction::Value* values, size_t count)
      OM_REQUIRES(mu_);

  const std::string path_;
  int opened_version_ = 0;
  Mutex mu_;
  std::unique_ptr<Database> db_ OM_GUARDED_BY(mu_);
  std::map<std::string, Statement, std::less<>> prepared_ OM_GUARDED_BY(mu_);
};

}  // namespace om::db
