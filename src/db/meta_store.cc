#include "db/meta_store.h"

#include <iterator>

namespace om::db {
namespace {

// One step of the schema. Each runs in a transaction with the version it brings the file to.
struct Migration {
  int version;
  std::string_view what;
  Status (*apply)(Database& db);
};

// Version 1: the tables of the releases before schema versions were kept. Files made by those
// releases already hold some of them, possibly without the columns added later: those are added.
Status FirstTables(Database& db) {
  OM_RETURN_IF_ERROR(db.Exec(
      "CREATE TABLE IF NOT EXISTS api_keys ("
      " id TEXT PRIMARY KEY, name TEXT NOT NULL, scopes INTEGER NOT NULL,"
      " secret_sha256 TEXT NOT NULL, created_ms INTEGER NOT NULL,"
      " revoked_ms INTEGER NOT NULL DEFAULT 0);"
      "CREATE TABLE IF NOT EXISTS incidents ("
      " id TEXT PRIMARY KEY, number INTEGER NOT NULL, service TEXT NOT NULL,"
      " status TEXT NOT NULL, impact TEXT NOT NULL, created_ms INTEGER NOT NULL,"
      " updated_ms INTEGER NOT NULL, resolved_ms INTEGER NOT NULL DEFAULT 0,"
      " started_minute INTEGER NOT NULL DEFAULT 0, detected_minute INTEGER NOT NULL DEFAULT 0,"
      " crowd_resolved_minute INTEGER NOT NULL DEFAULT 0);"
      "CREATE TABLE IF NOT EXISTS incident_updates ("
      " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
      " incident TEXT NOT NULL REFERENCES incidents(id), at_ms INTEGER NOT NULL,"
      " status TEXT NOT NULL, body TEXT NOT NULL, author TEXT NOT NULL);"
      "CREATE INDEX IF NOT EXISTS incident_updates_by_incident ON incident_updates(incident, seq);"
      "CREATE TABLE IF NOT EXISTS subscriptions ("
      " id TEXT PRIMARY KEY, channel TEXT NOT NULL, url TEXT NOT NULL, secret TEXT NOT NULL,"
      " service TEXT NOT NULL, min_impact TEXT NOT NULL, created_ms INTEGER NOT NULL,"
      " cursor_seq INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
      " next_attempt_ms INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '',"
      " delivered INTEGER NOT NULL DEFAULT 0);"
      "CREATE TABLE IF NOT EXISTS maintenances ("
      " id TEXT PRIMARY KEY, service TEXT NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL,"
      " starts_ms INTEGER NOT NULL, ends_ms INTEGER NOT NULL, created_ms INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS status_pages ("
      " id TEXT PRIMARY KEY, name TEXT NOT NULL, services TEXT NOT NULL,"
      " created_ms INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS official_status_history ("
      " service TEXT NOT NULL, at_ms INTEGER NOT NULL, level TEXT NOT NULL,"
      " description TEXT NOT NULL);"
      "CREATE INDEX IF NOT EXISTS official_status_history_by_service"
      " ON official_status_history(service, at_ms);"
      "CREATE TABLE IF NOT EXISTS learned_dispersion("
      " service TEXT PRIMARY KEY, dispersion_micro INTEGER NOT NULL, saved_ms INTEGER NOT NULL);"));
  for (std::string_view column : {"services", "components", "regions", "merged_into"}) {
    OM_RETURN_IF_ERROR(db.AddColumnIfMissing("incidents", column, "TEXT NOT NULL DEFAULT ''"));
  }
  OM_RETURN_IF_ERROR(db.AddColumnIfMissing("incidents", "detached", "INTEGER NOT NULL DEFAULT 0"));
  OM_RETURN_IF_ERROR(
      db.AddColumnIfMissing("incident_updates", "quiet", "INTEGER NOT NULL DEFAULT 0"));
  return db.AddColumnIfMissing("subscriptions", "region", "TEXT NOT NULL DEFAULT ''");
}

// Version 2: the detection pipeline's state, so that a restart continues its incidents.
Status PipelineState(Database& db) {
  return db.Exec(
      "CREATE TABLE IF NOT EXISTS pipeline_state(name TEXT PRIMARY KEY, "
      "minute INTEGER NOT NULL, state TEXT NOT NULL, saved_ms INTEGER NOT NULL)");
}

// Version 3: the position of the journal of writes applied, for cluster mode (meta_journal.h).
Status JournalPosition(Database& db) {
  return db.Exec(
      "CREATE TABLE IF NOT EXISTS journal_position(id INTEGER PRIMARY KEY CHECK (id = 1), "
      "sequence INTEGER NOT NULL);"
      "INSERT OR IGNORE INTO journal_position(id, sequence) VALUES (1, 0)");
}

// Version 4: the leader's term, for cluster mode (MetaStore::ClaimLeaderTerm, LeaderFence).
Status LeaderTerm(Database& db) {
  return db.Exec(
      "CREATE TABLE IF NOT EXISTS leader_term(id INTEGER PRIMARY KEY CHECK (id = 1), "
      "term INTEGER NOT NULL, node_id TEXT NOT NULL, since_ms INTEGER NOT NULL);"
      "INSERT OR IGNORE INTO leader_term(id, term, node_id, since_ms) VALUES (1, 0, '', 0)");
}

constexpr Migration kMigrations[] = {
    {1, "the tables of the first releases", FirstTables},
    {2, "pipeline_state", PipelineState},
    {3, "journal_position", JournalPosition},
    {4, "leader_term", LeaderTerm},
};

// The fence of the writes of this thread (LeaderFence), innermost first.
thread_local const MetaStore::LeaderFence* current_fence = nullptr;

constexpr char kSetJournalPosition[] = "UPDATE journal_position SET sequence = ? WHERE id = 1";
static_assert(std::size(kMigrations) == MetaStore::kSchemaVersion);

Result<int> UserVersion(Database& db) {
  OM_ASSIGN_OR_RETURN(Statement pragma, db.Prepare("PRAGMA user_version"));
  OM_ASSIGN_OR_RETURN(bool row, pragma.Step());
  if (!row) return Status::IoError("PRAGMA user_version: no row");
  return static_cast<int>(pragma.ColumnInt(0));
}

}  // namespace

Result<std::unique_ptr<MetaStore>> MetaStore::Open(const std::string& path) {
  OM_ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(path));
  std::unique_ptr<MetaStore> store(new MetaStore(path, std::move(db)));
  MutexLock lock(store->mu_);
  OM_RETURN_IF_ERROR(store->Migrate().WithPrefix(path));
  OM_ASSIGN_OR_RETURN(Statement position,
                      store->db_->Prepare("SELECT sequence FROM journal_position WHERE id = 1"));
  OM_ASSIGN_OR_RETURN(bool row, position.Step());
  store->journal_position_ = row ? static_cast<uint64_t>(position.ColumnInt(0)) : 0;
  return store;
}

Status MetaStore::Migrate() {
  OM_ASSIGN_OR_RETURN(opened_version_, UserVersion(*db_));
  if (opened_version_ > kSchemaVersion) {
    return Status::InvalidArgument(
        "schema version " + std::to_string(opened_version_) + " is newer than this release's " +
        std::to_string(kSchemaVersion) + ": made by a newer outagemap; open it with that one");
  }
  for (const Migration& m : kMigrations) {
    if (m.version <= opened_version_) continue;
    // BEGIN IMMEDIATE: another process (`outagemap keys` beside a server) may be migrating too;
    // the busy timeout makes this one wait, then it sees the version already raised.
    OM_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
    Database& db = *db_;  // (the lambda runs under mu_, which the analysis cannot see)
    Status applied = [&]() -> Status {
      OM_ASSIGN_OR_RETURN(int now, UserVersion(db));
      if (now < m.version) {
        OM_RETURN_IF_ERROR(m.apply(db));
        OM_RETURN_IF_ERROR(db.Exec("PRAGMA user_version = " + std::to_string(m.version)));
      }
      return db.Exec("COMMIT");
    }();
    if (!applied.ok()) {
      (void)db_->Exec("ROLLBACK");
      return applied.WithPrefix("migration " + std::to_string(m.version) + " (" +
                                std::string(m.what) + ")");
    }
  }
  return Status::Ok();
}

Status MetaStore::Write(const std::function<Status(Transaction&)>& fn) {
  for (int attempt = 0;; ++attempt) {
    uint64_t position = 0;
    {
      MutexLock lock(mu_);
      bool lost_race = false;
      Status s = WriteLocked(fn, lost_race);
      if (!lost_race) return s;
      if (attempt + 1 >= kMaxJournalAttempts) {
        return Status::Unavailable(
            "meta.db journal: " + std::to_string(kMaxJournalAttempts) +
            " appends in a row lost the race to other nodes: " + s.message());
      }
      position = journal_position_;
    }
    // Another node appended first: wait (bounded) for its entry to be applied here, then run
    // `fn` again on top of it.
    WaitForJournal(position + 1, std::chrono::seconds(5));
  }
}

Status MetaStore::WriteLocked(const std::function<Status(Transaction&)>& fn, bool& lost_race) {
  OM_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  // The fence is checked inside the transaction, on top of every entry applied so far, and is
  // not journaled: the other nodes need only the writes it let through.
  Status s = CheckFenceLocked();
  std::string statements;
  recording_ = journal_ != nullptr ? &statements : nullptr;
  recorded_ = 0;
  Transaction tx(*this);
  if (s.ok()) s = fn(tx);
  recording_ = nullptr;
  uint64_t appended = 0;
  if (s.ok() && recorded_ > 0) {
    Result<uint64_t> sequence =
        journal_->Append(EncodeJournalEntry(recorded_, statements), journal_position_);
    if (sequence.ok()) {
      appended = *sequence;
      const Transaction::Value position[] = {static_cast<int64_t>(appended)};
      s = RunLocked(kSetJournalPosition, position, 1);
    } else {
      lost_race = sequence.status().code() == StatusCode::kAlreadyExists;
      s = sequence.status().WithPrefix("meta.db journal");
    }
  }
  if (s.ok()) s = db_->Exec("COMMIT");
  // A failed statement or commit must not leave the transaction (and meta.db's lock) open.
  if (!s.ok()) {
    (void)db_->Exec("ROLLBACK");
    return s;
  }
  if (appended > 0) {
    journal_position_ = appended;
    journal_cv_.SignalAll();
  }
  return s;
}

Status MetaStore::CheckFenceLocked() {
  const LeaderFence* fence = current_fence;
  while (fence != nullptr && &fence->store_ != this) fence = fence->outer_;
  if (fence == nullptr) return Status::Ok();
  const Transaction::Value term[] = {fence->term_};
  OM_RETURN_IF_ERROR(RunLocked("UPDATE leader_term SET term = term WHERE id = 1 AND term = ?", term,
                               1, /*journaled=*/false));
  if (db_->Changes() == 1) return Status::Ok();
  return Status::PermissionDenied("fenced: this node led at term " + std::to_string(fence->term_) +
                                  " and a later leader has taken over");
}

MetaStore::LeaderFence::LeaderFence(MetaStore& store, int64_t term)
    : store_(store), term_(term), outer_(current_fence) {
  current_fence = this;
}

MetaStore::LeaderFence::~LeaderFence() { current_fence = outer_; }

Status MetaStore::ClaimLeaderTerm(int64_t term, std::string_view node_id, int64_t now_ms) {
  return Write([&](Transaction& tx) {
    OM_RETURN_IF_ERROR(
        tx.Run("UPDATE leader_term SET term = ?, node_id = ?, since_ms = ? WHERE id = 1 AND "
               "term < ?",
               {term, node_id, now_ms, term}));
    if (tx.changes() == 1) return Status::Ok();
    return Status::PermissionDenied("leader term " + std::to_string(term) +
                                    ": meta.db already holds this term or a later one");
  });
}

Result<MetaStore::LeaderTermRow> MetaStore::leader_term() {
  return Read([](Database& db) -> Result<LeaderTermRow> {
    OM_ASSIGN_OR_RETURN(Statement select,
                        db.Prepare("SELECT term, node_id, since_ms FROM leader_term WHERE id = 1"));
    OM_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) return LeaderTermRow{};
    return LeaderTermRow{select.ColumnInt(0), select.ColumnText(1), select.ColumnInt(2)};
  });
}

void MetaStore::SetJournal(MetaJournal* journal) {
  MutexLock lock(mu_);
  journal_ = journal;
}

uint64_t MetaStore::journal_position() {
  MutexLock lock(mu_);
  return journal_position_;
}

bool MetaStore::WaitForJournal(uint64_t sequence, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  MutexLock lock(mu_);
  while (journal_position_ < sequence) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    journal_cv_.WaitFor(deadline - now);
  }
  return true;
}

Status MetaStore::ApplyJournalEntry(uint64_t sequence, std::string_view entry) {
  Result<std::vector<JournalStatement>> statements = DecodeJournalEntry(entry);
  if (!statements.ok()) {
    return statements.status().WithPrefix("meta.db journal sequence " + std::to_string(sequence));
  }
  MutexLock lock(mu_);
  if (sequence <= journal_position_) return Status::Ok();
  OM_RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  Status s = ApplyLocked(*statements, sequence);
  if (s.ok()) s = db_->Exec("COMMIT");
  if (!s.ok()) {
    (void)db_->Exec("ROLLBACK");
    return s.WithPrefix("meta.db journal sequence " + std::to_string(sequence));
  }
  journal_position_ = sequence;
  journal_cv_.SignalAll();
  return Status::Ok();
}

Status MetaStore::ApplyLocked(const std::vector<JournalStatement>& statements, uint64_t sequence) {
  std::vector<Transaction::Value> values;
  for (const JournalStatement& statement : statements) {
    values.clear();
    for (const JournalStatement::Value& value : statement.values) {
      if (const auto* n = std::get_if<int64_t>(&value)) {
        values.emplace_back(*n);
      } else if (const auto* text = std::get_if<std::string>(&value)) {
        values.emplace_back(std::string_view(*text));
      } else {
        values.emplace_back(nullptr);
      }
    }
    OM_RETURN_IF_ERROR(RunLocked(statement.sql, values.data(), values.size()));
  }
  const Transaction::Value position[] = {static_cast<int64_t>(sequence)};
  return RunLocked(kSetJournalPosition, position, 1);
}

Status MetaStore::RunLocked(std::string_view sql, const Transaction::Value* values, size_t count,
                            bool journaled) {
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    OM_ASSIGN_OR_RETURN(Statement prepared, db_->Prepare(sql));
    it = prepared_.emplace(std::string(sql), std::move(prepared)).first;
  }
  Statement& statement = it->second;
  for (size_t i = 0; i < count; ++i) {
    int index = static_cast<int>(i + 1);
    if (const auto* n = std::get_if<int64_t>(&values[i])) {
      statement.Bind(index, *n);
    } else if (const auto* text = std::get_if<std::string_view>(&values[i])) {
      statement.Bind(index, *text);
    } else {
      statement.BindNull(index);
    }
  }
  OM_RETURN_IF_ERROR(statement.Run());
  if (journaled && recording_ != nullptr) {
    std::vector<JournalStatement::Value> copied;
    copied.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      if (const auto* n = std::get_if<int64_t>(&values[i])) {
        copied.emplace_back(*n);
      } else if (const auto* text = std::get_if<std::string_view>(&values[i])) {
        copied.emplace_back(std::string(*text));
      } else {
        copied.emplace_back(nullptr);
      }
    }
    AppendJournalStatement(*recording_, sql, copied);
    ++recorded_;
  }
  return Status::Ok();
}

// The transaction exists only inside Write(), which holds the mutex.
Status MetaStore::Transaction::Run(std::string_view sql, std::initializer_list<Value> values) {
  return store_.RunLocked(sql, values.begin(), values.size());
}

Status MetaStore::Transaction::Run(std::string_view sql, const std::vector<Value>& values) {
  return store_.RunLocked(sql, values.data(), values.size());
}

Status MetaStore::Transaction::DeleteById(std::string_view table, std::string_view id,
                                          std::string_view what) {
  OM_RETURN_IF_ERROR(Run("DELETE FROM " + std::string(table) + " WHERE id = ?", {id}));
  if (changes() == 0) {
    return Status::NotFound(std::string(what) + " \"" + std::string(id.substr(0, 64)) + "\"");
  }
  return Status::Ok();
}

int64_t MetaStore::Transaction::changes() const { return store_.db_->Changes(); }

int64_t MetaStore::Transaction::last_insert_id() const { return store_.db_->LastInsertId(); }

}  // namespace om::db
