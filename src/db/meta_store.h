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
// operation is a statement with bound values (Run), committed together or not at all. Reads use
// the connection directly (Read()).
//
// Cluster mode journals exactly these (meta_journal.h): with a journal set, Write() appends the
// transaction's statements to it, on top of the last entry this store applied, before it
// commits; when another node appended first it rolls back, waits for that entry to be applied
// here (ApplyJournalEntry, from the node's journal follower) and runs `fn` again. The journal
// position applied is kept in meta.db itself (table journal_position), in the same transactions.
//
//   OM_RETURN_IF_ERROR(meta.Write([&](db::MetaStore::Transaction& tx) {
//     return tx.Run("UPDATE api_keys SET revoked_ms = ? WHERE id = ?", {now_ms, id});
//   }));
//
// Thread-safety: every method may be called from any thread; Read and Write functions run alone
// with the connection (one mutex). They must not call back into the MetaStore.

#include <chrono>
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
#include "db/meta_journal.h"

namespace om::db {

class MetaStore {
 public:
  // The schema version this release writes (the number of migrations).
  static constexpr int kSchemaVersion = 4;

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
  // commit fails, everything it ran is rolled back and the error returned. With a journal: also
  // when the append fails (kUnavailable), and after `kMaxJournalAttempts` lost races.
  Status Write(const std::function<Status(Transaction&)>& fn);

  // Cluster mode: journal every later Write (see above). `journal` must outlive the store; null
  // stops journaling.
  void SetJournal(MetaJournal* journal);
  // Applies the journal's entry `sequence` (its statements, in one transaction with the new
  // position). An entry at or below journal_position() is skipped: it was applied, or written
  // here. kCorruption for an entry that does not decode, naming the sequence; a statement that
  // fails is rolled back and its error returned.
  Status ApplyJournalEntry(uint64_t sequence, std::string_view entry);
  // The sequence of the last journal entry applied (0: none).
  uint64_t journal_position();
  // Blocks until journal_position() >= `sequence` or `timeout` passes; true when reached.
  bool WaitForJournal(uint64_t sequence, std::chrono::milliseconds timeout);
  static constexpr int kMaxJournalAttempts = 20;

  // Cluster mode: the node that leads writes with a fencing token, its leader lease's token
  // (cluster/lease.h), which every later leader's exceeds. ClaimLeaderTerm records the term in
  // meta.db (table leader_term), journaled like any write, so every node holds the latest claim
  // at the same point of the journal; kPermissionDenied when meta.db holds this term or a later.
  Status ClaimLeaderTerm(int64_t term, std::string_view node_id, int64_t now_ms);
  struct LeaderTermRow {
    int64_t term = 0;  // 0: no leader claimed a term yet
    std::string node_id;
    int64_t since_ms = 0;
  };
  Result<LeaderTermRow> leader_term();
  // While a LeaderFence lives on a thread, every Write of that thread on `store` first checks,
  // inside its transaction, that the term claimed last is still `term`, and fails with
  // kPermissionDenied ("fenced: ...") when a later leader claimed one. The check runs again after
  // a lost race, on top of the winner's entry, so a leader paused past its lease never writes
  // after its successor's claim. Fences nest; each covers the store it names.
  class LeaderFence {
   public:
    LeaderFence(MetaStore& store, int64_t term);
    ~LeaderFence();
    LeaderFence(const LeaderFence&) = delete;
    LeaderFence& operator=(const LeaderFence&) = delete;

   private:
    friend class MetaStore;
    MetaStore& store_;
    const int64_t term_;
    const LeaderFence* const outer_;
  };

 private:
  MetaStore(std::string path, std::unique_ptr<Database> db)
      : path_(std::move(path)), db_(std::move(db)) {}
  Status Migrate() OM_REQUIRES(mu_);
  // Runs one statement; `journaled` false keeps it out of the journal entry being recorded.
  Status RunLocked(std::string_view sql, const Transaction::Value* values, size_t count,
                   bool journaled = true) OM_REQUIRES(mu_);
  // The LeaderFence of this thread on this store, if any (see above).
  Status CheckFenceLocked() OM_REQUIRES(mu_);
  // Runs a journal entry's statements and records `sequence` as applied (inside a transaction).
  Status ApplyLocked(const std::vector<JournalStatement>& statements, uint64_t sequence)
      OM_REQUIRES(mu_);
  // One attempt of Write (appending to the journal, when there is one); `lost_race` tells an
  // append refused because another node appended first.
  Status WriteLocked(const std::function<Status(Transaction&)>& fn, bool& lost_race)
      OM_REQUIRES(mu_);

  const std::string path_;
  int opened_version_ = 0;
  Mutex mu_;
  std::unique_ptr<Database> db_ OM_GUARDED_BY(mu_);
  std::map<std::string, Statement, std::less<>> prepared_ OM_GUARDED_BY(mu_);
  MetaJournal* journal_ OM_GUARDED_BY(mu_) = nullptr;
  // The statements of the journaled transaction in progress (null when not journaling), and
  // how many.
  std::string* recording_ OM_GUARDED_BY(mu_) = nullptr;
  uint32_t recorded_ OM_GUARDED_BY(mu_) = 0;
  uint64_t journal_position_ OM_GUARDED_BY(mu_) = 0;
  CondVar journal_cv_{mu_};
};

}  // namespace om::db
