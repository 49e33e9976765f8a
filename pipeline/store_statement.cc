#include "pipeline/store_statement.h"

#include "pipeline/errors.h"

namespace pipeline {
namespace {

const char* Hint(int extended_code) {
  switch (extended_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return " (another process is writing to this database; wait for it to finish)";
    case SQLITE_READONLY:
      return " (the database is open read-only, or the file or its folder is not writable)";
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return " (the file is damaged or is not a results database; move it aside and rerun)";
    case SQLITE_FULL:
      return " (the disk is full; free some space and resume)";
    case SQLITE_CANTOPEN:
      return " (check that the file exists and its folder is accessible)";
    default:
      return "";
  }
}

// Transaction only has the connection; the path for its messages comes from SQLite.
std::string DatabasePath(sqlite3* db) {
  const char* name = sqlite3_db_filename(db, "main");
  return name != nullptr && *name != '\0' ? name : ":memory:";
}

}  // namespace

void ThrowSqliteError(sqlite3* db, const std::string& operation, const std::string& path) {
  // A failed sqlite3_open_v2 may leave no connection at all; that only happens out of memory.
  const int code = db != nullptr ? sqlite3_extended_errcode(db) : SQLITE_NOMEM;
  throw StoreError(operation + ": " + sqlite3_errmsg(db) + Hint(code) + " [database " + path +
                   "]");
}

void ExecSql(sqlite3* db, const char* sql, const std::string& path) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    ThrowSqliteError(db, "running '" + AbbreviateSql(sql) + "'", path);
  }
}

std::string AbbreviateSql(const char* sql) {
  std::string text(sql);
  text = text.substr(0, text.find('\n'));
  return text.size() > 72 ? text.substr(0, 69) + "..." : text;
}

// --- Statement ---

Store::Statement::Statement(sqlite3* db, const char* sql, const std::string& path,
                            const char** tail)
    : db_(db), path_(path) {
  if (sqlite3_prepare_v2(db_, sql, -1, &stmt_, tail) != SQLITE_OK) {
    ThrowSqliteError(db_, "preparing '" + AbbreviateSql(sql) + "'", path_);
  }
}

Store::Statement::~Statement() { sqlite3_finalize(stmt_); }

Store::Statement& Store::Statement::BindInt(int index, int64_t value) {
  return Check(sqlite3_bind_int64(stmt_, index, value));
}

Store::Statement& Store::Statement::BindDouble(int index, double value) {
  return Check(sqlite3_bind_double(stmt_, index, value));
}

Store::Statement& Store::Statement::BindTime(int index, double seconds) {
  return seconds == 0 ? BindNull(index) : BindDouble(index, seconds);
}

Store::Statement& Store::Statement::BindText(int index, const std::string& value) {
  return Check(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                                 SQLITE_STATIC));
}

Store::Statement& Store::Statement::BindNull(int index) {
  return Check(sqlite3_bind_null(stmt_, index));
}

int Store::Statement::Execute() {
  ResetOnExit reset(stmt_);
  while (Step()) {
  }
  return sqlite3_changes(db_);
}

std::string Store::Statement::Text(int i) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
  if (text == nullptr) return std::string();
  return std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, i)));
}

bool Store::Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // The message is read here, before ResetOnExit's sqlite3_reset could replace it.
  ThrowSqliteError(db_, "running '" + AbbreviateSql(sqlite3_sql(stmt_)) + "'", path_);
}

Store::Statement& Store::Statement::Check(int bind_result) {
  if (bind_result != SQLITE_OK) {
    ThrowSqliteError(db_, "binding a parameter of '" + AbbreviateSql(sqlite3_sql(stmt_)) + "'",
                     path_);
  }
  return *this;
}

Store::Statement::ResetOnExit::~ResetOnExit() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

// --- Savepoint ---

Savepoint::Savepoint(sqlite3* db, const std::string& path) : db_(db), path_(path) {
  ExecSql(db_, "SAVEPOINT store_write", path_);
}

Savepoint::~Savepoint() {
  // ROLLBACK TO undoes the writes but leaves the savepoint open; RELEASE then closes it. Errors
  // are ignored: this runs during unwinding and must not throw.
  if (!released_) {
    sqlite3_exec(db_, "ROLLBACK TO store_write; RELEASE store_write", nullptr, nullptr, nullptr);
  }
}

void Savepoint::Release() {
  ExecSql(db_, "RELEASE store_write", path_);
  released_ = true;
}

// --- Transaction (declared in store.h) ---

Transaction::Transaction(sqlite3* db) : db_(db) {
  // IMMEDIATE takes the write lock now, so a busy database fails here (after busy_timeout)
  // rather than halfway through the batch.
  ExecSql(db_, "BEGIN IMMEDIATE", DatabasePath(db_));
}

Transaction::~Transaction() {
  // A failed statement may already have ended the transaction (e.g. disk full); then there is
  // nothing to roll back. Errors are ignored: a destructor must not throw.
  if (!done_ && sqlite3_get_autocommit(db_) == 0) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void Transaction::Commit() {
  ExecSql(db_, "COMMIT", DatabasePath(db_));
  done_ = true;
}

}  // namespace pipeline
