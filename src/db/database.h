#pragma once
// Database: one SQLite 3 connection (docs/adr/0015-sqlite-and-openssl.md). outagemap's metadata
// goes through MetaStore (meta_store.h), which owns the one connection to meta.db. Opened in WAL
// mode with foreign keys on and a busy timeout, so that a second process (`outagemap keys` beside a
// running server) waits for a lock instead of failing. Statement is a prepared statement with typed
// Bind and Column.
//
//   OM_ASSIGN_OR_RETURN(auto db, db::Database::Open(path));
//   OM_RETURN_IF_ERROR(db->Exec("CREATE TABLE IF NOT EXISTS t(a INTEGER)"));
//   OM_ASSIGN_OR_RETURN(db::Statement insert, db->Prepare("INSERT INTO t(a) VALUES (?)"));
//   insert.Bind(1, int64_t{7});
//   OM_RETURN_IF_ERROR(insert.Run());
//
// Errors are Status: kAlreadyExists for a constraint violation (a duplicate key), kCorruption for
// a damaged file, kIoError otherwise; each names what was being done and SQLite's message.
//
// Thread-safety: a Database and its Statements are used by one thread at a time (SQLite's
// multi-thread mode); share one between threads only under a mutex.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace om::db {

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are numbered from 1. Text and blobs are copied by SQLite.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view text);
  Statement& BindNull(int index);

  // Advances: true with a row to read, false when done.
  Result<bool> Step();
  // Steps to completion (for statements without rows), then resets for reuse.
  Status Run();
  // Resets for another execution and clears the bindings.
  void Reset();

  // Columns of the current row, numbered from 0.
  int64_t ColumnInt(int index) const;
  std::string ColumnText(int index) const;
  bool ColumnIsNull(int index) const;

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
};

class Database {
 public:
  // Opens (creating if absent) the database file at `path`. kIoError naming the path.
  static Result<std::unique_ptr<Database>> Open(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements without parameters or results.
  Status Exec(std::string_view sql);
  Result<Statement> Prepare(std::string_view sql);
  // Adds `column` (with its SQL `declaration`, e.g. "TEXT NOT NULL DEFAULT ''") to `table` unless
  // it has one already: how a table created by an older version gains a column.
  Status AddColumnIfMissing(std::string_view table, std::string_view column,
                            std::string_view declaration);
  // A number that changes whenever another connection commits (PRAGMA data_version): cheap to poll
  // for "has anything changed since I last read?".
  Result<int64_t> DataVersion();
  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t Changes() const;
  // The rowid of the last row inserted on this connection.
  int64_t LastInsertId() const;

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// The Status for SQLite result code `rc` on `db` while doing `what`.
Status SqliteError(sqlite3* db, int rc, std::string_view what);

}  // namespace om::db
