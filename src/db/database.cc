#include "db/database.h"

#include <sqlite3.h>

#include <utility>

namespace om::db {

namespace {

Status StatusFor(int rc, std::string message) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return Status::AlreadyExists(std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(std::move(message));
    default:
      return Status::IoError(std::move(message));
  }
}

}  // namespace

Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  return StatusFor(rc, std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status s = SqliteError(db_, rc, sqlite3_sql(stmt_));
  sqlite3_reset(stmt_);
  return s;
}

Status Statement::Run() {
  for (;;) {
    OM_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) break;
  }
  Reset();
  return Status::Ok();
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::ColumnInt(int index) const { return sqlite3_column_int64(stmt_, index); }

std::string Statement::ColumnText(int index) const {
  const unsigned char* text = sqlite3_column_text(stmt_, index);
  int n = sqlite3_column_bytes(stmt_, index);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(n)) : "";
}

bool Statement::ColumnIsNull(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<Database> db(new Database(raw));  // closes `raw` even when opening failed
  if (rc != SQLITE_OK) return SqliteError(raw, rc, "open " + path);
  // Another process holding a write lock makes us wait up to 5 s rather than fail at once.
  sqlite3_busy_timeout(raw, 5000);
  OM_RETURN_IF_ERROR(
      db->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
          .WithPrefix(path));
  return db;
}

Database::~Database() { sqlite3_close_v2(db_); }

Status Database::Exec(std::string_view sql) {
  std::string text(sql);
  char* error = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string message = text.substr(0, 80) + ": " + (error ? error : sqlite3_errstr(rc));
  sqlite3_free(error);
  return StatusFor(rc, std::move(message));
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, "prepare " + std::string(sql.substr(0, 80)));
  return Statement(stmt, db_);
}

Status Database::AddColumnIfMissing(std::string_view table, std::string_view column,
                                    std::string_view declaration) {
  OM_ASSIGN_OR_RETURN(Statement info, Prepare("SELECT name FROM pragma_table_info(?)"));
  info.Bind(1, table);
  for (;;) {
    OM_ASSIGN_OR_RETURN(bool row, info.Step());
    if (!row) break;
    if (info.ColumnText(0) == column) return Status::Ok();
  }
  return Exec("ALTER TABLE " + std::string(table) + " ADD COLUMN " + std::string(column) + " " +
              std::string(declaration));
}

Result<int64_t> Database::DataVersion() {
  OM_ASSIGN_OR_RETURN(Statement s, Prepare("PRAGMA data_version"));
  OM_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::IoError("PRAGMA data_version: no row");
  return s.ColumnInt(0);
}

int64_t Database::Changes() const { return sqlite3_changes64(db_); }

int64_t Database::LastInsertId() const { return sqlite3_last_insert_rowid(db_); }

}  // namespace om::db
