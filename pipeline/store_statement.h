#pragma once
// The SQLite plumbing under Store: prepared statements, errors and savepoints. Internal to
// pipeline/store*.cc; the rest of the code talks to the Store.

#include <cstdint>
#include <string>

#include <sqlite3.h>

#include "pipeline/store.h"

namespace pipeline {

// Throws a StoreError "<operation>: <SQLite's message> <hint> [database <path>]". The hint says
// what to do for the usual causes (locked, read-only, corrupt, disk full, cannot open).
[[noreturn]] void ThrowSqliteError(sqlite3* db, const std::string& operation,
                                   const std::string& path);

// Runs one or more SQL statements that return no rows we need (PRAGMAs, BEGIN, the schema).
void ExecSql(sqlite3* db, const char* sql, const std::string& path);

// The first line of `sql`, cut to 72 characters, to name a statement in messages.
std::string AbbreviateSql(const char* sql);

// One prepared statement; owns its sqlite3_stmt. Not thread-safe, like the Store.
//
// Every use, Execute() or ForEachRow(), ends with sqlite3_reset and sqlite3_clear_bindings,
// also when it throws, so a statement never holds a read snapshot open between uses and no
// binding outlives the call that made it. Text is bound without copying (SQLITE_STATIC): a bound
// string must live until the statement has run, so binding a temporary does not compile.
class Store::Statement {
 public:
  // Prepares the first statement of `sql`; `tail`, if given, receives the text after it.
  // `db` and `path` (for messages) must outlive the Statement.
  Statement(sqlite3* db, const char* sql, const std::string& path,
            const char** tail = nullptr);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // True when `sql` held only blanks and comments; such a Statement must not be run.
  bool empty() const { return stmt_ == nullptr; }

  // Parameters are 1-based, as in SQL's ?1, ?2, ...
  Statement& BindInt(int index, int64_t value);
  Statement& BindDouble(int index, double value);
  Statement& BindTime(int index, double seconds);  // 0 ("not known") binds NULL
  Statement& BindText(int index, const std::string& value);
  Statement& BindText(int index, std::string&&) = delete;  // would dangle
  Statement& BindNull(int index);

  // Runs the statement to completion, ignoring rows; returns the number of rows it changed.
  int Execute();

  // Calls on_row(*this) for each result row; read the row with the getters below.
  template <typename OnRow>
  void ForEachRow(OnRow&& on_row) {
    ResetOnExit reset(stmt_);
    while (Step()) on_row(static_cast<const Statement&>(*this));
  }

  // True when running the statement cannot change any database file (sqlite3_stmt_readonly).
  bool ReadOnly() const { return sqlite3_stmt_readonly(stmt_) != 0; }

  // Getters of the current row; columns are 0-based.
  int ColumnCount() const { return sqlite3_column_count(stmt_); }
  std::string ColumnName(int i) const { return sqlite3_column_name(stmt_, i); }
  bool IsNull(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  int64_t Int(int i) const { return sqlite3_column_int64(stmt_, i); }
  double Double(int i) const { return sqlite3_column_double(stmt_, i); }
  double Time(int i) const { return IsNull(i) ? 0.0 : Double(i); }  // NULL reads as 0
  std::string Text(int i) const;  // NULL reads as ""

 private:
  class ResetOnExit {
   public:
    explicit ResetOnExit(sqlite3_stmt* stmt) : stmt_(stmt) {}
    ~ResetOnExit();
    ResetOnExit(const ResetOnExit&) = delete;
    ResetOnExit& operator=(const ResetOnExit&) = delete;

   private:
    sqlite3_stmt* stmt_;
  };

  bool Step();  // true: a row is ready; false: done
  Statement& Check(int bind_result);

  sqlite3* db_;
  const std::string& path_;
  sqlite3_stmt* stmt_ = nullptr;
};

// A group of writes that is atomic on its own and also nests inside an open Transaction (which
// BEGIN would not). Rolled back on destruction unless Release()d.
class Savepoint {
 public:
  Savepoint(sqlite3* db, const std::string& path);
  ~Savepoint();
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;
  void Release();

 private:
  sqlite3* db_;
  const std::string& path_;
  bool released_ = false;
};

}  // namespace pipeline
