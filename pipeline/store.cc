#include "pipeline/store.h"

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/errors.h"
#include "pipeline/store_statement.h"
#include "store_schema_sql.h"

// Implementation notes
//
// Connection. WAL lets readers (`pipeline query`, a sqlite3 shell) run beside the writer;
// synchronous=NORMAL is durable against process crashes in WAL mode and only risks the last
// transactions on power loss, which a resume recomputes. busy_timeout absorbs short lock waits
// instead of failing at once. Read-only stores open with SQLITE_OPEN_READONLY *and*
// query_only, so no statement given to Query() can change the file. That alone still let
// `VACUUM INTO '/tmp/x.db'` create an empty /tmp/x.db before failing, so on a read-only store
// Query() also refuses, before stepping, any statement sqlite3_stmt_readonly says could write,
// and an authorizer denies ATTACH and DETACH (which count as read-only but open other files;
// SQLite 3.40 has no SQLITE_DBCONFIG_ENABLE_ATTACH_CREATE). Defensive mode is on too. In a
// folder the process cannot write, a read-only store opens the file immutable (see
// ReadOnlyOpenName).
//
// Damage. A read-write open first runs PRAGMA quick_check (the B-tree structure of every page,
// without cross-checking indexes against tables: linear in the file's size) and refuses a
// damaged file before writing to it. Writing into a damaged file would fail part way through a
// study, leaving runs running or pending, or spread the damage; a corrupt page can also go
// unnoticed by the queries a finished study happens to make.
//
// Statements. Each SQL text below is a named constant, and Prepared() caches one prepared
// statement per constant, keyed by the constant's address (a few dozen of them: a linear scan
// beats hashing). Store::Statement (store_statement.h) resets itself after every use and binds
// text without copying, so InsertMetric costs one reset, five binds and one step, and no
// allocation.
//
// Errors. Every failure becomes a StoreError naming the operation, SQLite's message, the
// database path and, for common causes (locked, read-only, corrupt, disk full), what to do.
//
// Multi-row writes (a run and its params, StageStarted's clean-up) use a SAVEPOINT rather than
// BEGIN, so they are atomic on their own and nest inside a caller's Transaction.
//
// Times of 0 mean "not known" in the row structs and are stored as NULL.

namespace pipeline {
namespace {

constexpr int kSchemaVersion = 2;
constexpr int kBusyTimeoutMs = 5000;

struct ConnectionCloser {
  // close_v2 defers the close until every statement is finalized, so the order in which a
  // half-constructed Store releases its handles does not matter.
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

// Denies statements that would open another database file; everything else is allowed (the
// other guards are query_only, the read-only open and the sqlite3_stmt_readonly check).
int DenyAttach(void*, int action, const char*, const char*, const char*, const char*) {
  return action == SQLITE_ATTACH || action == SQLITE_DETACH ? SQLITE_DENY : SQLITE_OK;
}

bool FolderWritable(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return ::access(parent.empty() ? "." : parent.c_str(), W_OK) == 0;
}

}  // namespace

namespace {

constexpr const char* kUserVersion = "PRAGMA user_version";
constexpr const char* kIntegrityCheck = "PRAGMA integrity_check";
constexpr const char* kQuickCheck = "PRAGMA quick_check(20)";

}  // namespace

// ---------------------------------------------------------------------------------------------
// Store: connection, schema.

std::string ReadOnlyOpenName(const std::string& path, bool folder_writable) {
  if (folder_writable) return path;
  std::string uri = "file:";
  for (const char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      static const char kHex[] = "0123456789ABCDEF";
      const auto byte = static_cast<unsigned char>(c);
      uri += '%';
      uri += kHex[byte >> 4];
      uri += kHex[byte & 15];
    } else {
      uri += c;
    }
  }
  // "file://x/..." would name host x: keep a path that starts with "//" a path.
  if (path.compare(0, 2, "//") == 0) uri.insert(5, "//");
  return uri + "?immutable=1";
}

Store::Store(const std::string& path, Mode mode) : path_(path) {
  const bool read_only = mode == Mode::kReadOnly;
  const std::filesystem::path parent = std::filesystem::path(path_).parent_path();
  if (!read_only && !parent.empty()) {
    std::error_code error;
    std::filesystem::create_directories(parent, error);
    if (error) {
      throw StoreError("cannot create the folder " + parent.string() + " for the database " +
                       path_ + ": " + error.message());
    }
  }
  sqlite3* db = nullptr;
  const std::string name = read_only ? ReadOnlyOpenName(path_, FolderWritable(path_)) : path_;
  const int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                    (name != path_ ? SQLITE_OPEN_URI : 0);
  if (read_only && name != path_ && !std::filesystem::exists(path_)) {
    // An immutable open does not report a missing file until the first read.
    throw StoreError("opening read-only: no database file at " + path_ + " [database " + path_ +
                     "]");
  }
  const int rc = sqlite3_open_v2(name.c_str(), &db, flags, nullptr);
  std::unique_ptr<sqlite3, ConnectionCloser> connection(db);
  if (rc != SQLITE_OK) {
    ThrowSqliteError(db, read_only ? "opening read-only" : "opening", path_);
  }
  db_ = db;
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  if (read_only) {
    Exec("PRAGMA query_only = ON");
    sqlite3_db_config(db_, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
    sqlite3_set_authorizer(db_, &DenyAttach, nullptr);
  } else {
    RefuseIfDamaged();  // before anything writes
    Exec("PRAGMA journal_mode = WAL");
    Exec("PRAGMA synchronous = NORMAL");
  }
  Exec("PRAGMA foreign_keys = ON");
  Migrate();
  connection.release();  // from here on ~Store closes it
}

Store::~Store() {
  statements_.clear();
  sqlite3_close_v2(db_);
}

Store::Statement& Store::Prepared(const char* sql) {
  for (auto& [text, statement] : statements_) {
    if (text == sql) return *statement;
  }
  statements_.emplace_back(sql, std::make_unique<Statement>(db_, sql, path_));
  return *statements_.back().second;
}

void Store::Exec(const char* sql) { ExecSql(db_, sql, path_); }

void Store::Migrate() {
  const auto user_version = [this] {
    int version = 0;
    Prepared(kUserVersion).ForEachRow([&](const Statement& row) {
      version = static_cast<int>(row.Int(0));
    });
    return version;
  };
  int version = user_version();
  if (version > kSchemaVersion) {
    throw StoreError("the database " + path_ + " has schema version " + std::to_string(version) +
                     ", but this pipeline only knows versions up to " +
                     std::to_string(kSchemaVersion) +
                     "; open it with a newer pipeline or use another results folder");
  }
  if (version == kSchemaVersion) return;
  if (sqlite3_db_readonly(db_, "main") == 1) {
    throw StoreError("the database " + path_ + " has schema version " + std::to_string(version) +
                     " and cannot be brought to version " + std::to_string(kSchemaVersion) +
                     " read-only; run `pipeline run` on it first");
  }
  // Check again under the write lock: another process may have created the schema meanwhile.
  Transaction transaction(db_);
  version = user_version();
  if (version == 0) {
    Exec(kStoreSchemaSql);
    version = user_version();
  }
  if (version == 1) {
    MigrateToVersion2();
    version = user_version();
  }
  if (version != kSchemaVersion) {
    throw StoreError("internal error: after migrating, " + path_ + " has schema version " +
                     std::to_string(version) + " but store.cc expects " +
                     std::to_string(kSchemaVersion) + " (store_schema.sql and kSchemaVersion "
                     "disagree)");
  }
  transaction.Commit();
}

// Version 2 adds the status 'pruned' to runs and stages, a `pruned` column to study_progress,
// and the search tables. SQLite cannot alter a CHECK constraint, and rebuilding the two largest
// tables would rewrite the whole file; changing the constraint's text in the schema is the
// documented way for a change that leaves the stored rows valid (sqlite.org/lang_altertable.html,
// "other kinds of table schema changes"): every stored status stays allowed. The rest of the
// schema file is idempotent and creates what is new.
void Store::MigrateToVersion2() {
  int64_t schema_version = 0;
  Prepared("PRAGMA schema_version").ForEachRow([&](const Statement& row) {
    schema_version = row.Int(0);
  });
  Exec("PRAGMA writable_schema = ON");
  Exec("UPDATE sqlite_schema SET sql = replace(sql, '''skipped'', ''interrupted'')', "
       "'''skipped'', ''interrupted'', ''pruned'')') "
       "WHERE type = 'table' AND name IN ('runs', 'stages')");
  Exec(("PRAGMA schema_version = " + std::to_string(schema_version + 1)).c_str());
  Exec("PRAGMA writable_schema = OFF");
  Exec("DROP VIEW IF EXISTS study_progress");
  Exec(kStoreSchemaSql);
}

void Store::RefuseIfDamaged() {
  std::string problems;
  try {
    // Not a cached statement: it runs once, and a damaged schema page can fail the prepare.
    Statement check(db_, kQuickCheck, path_);
    check.ForEachRow([&](const Statement& row) {
      if (!problems.empty()) problems += "; ";
      problems += row.Text(0);
    });
  } catch (const StoreError&) {
    problems = sqlite3_errmsg(db_);  // e.g. "database disk image is malformed"
  }
  if (problems == "ok") return;
  throw StoreError("the database " + path_ + " is damaged (PRAGMA quick_check: " + problems +
                   "); nothing was written to it. Restore a copy, or rescue what is readable "
                   "with `sqlite3 " + path_ + " .recover | sqlite3 recovered.db` and run with "
                   "--db recovered.db (stages whose rows survive reuse their cached outputs)");
}

std::string Store::IntegrityCheck() {
  std::string result;
  Prepared(kIntegrityCheck).ForEachRow([&](const Statement& row) {
    if (!result.empty()) result += '\n';
    result += row.Text(0);
  });
  return result;
}

void Store::Query(const std::string& sql, const RowCallback& row) {
  // One statement per call: the callback's columns describe a single result set, and a second
  // statement hidden after a ';' would otherwise be silently ignored.
  const char* tail = nullptr;
  Statement statement(db_, sql.c_str(), path_, &tail);
  if (statement.empty()) throw StoreError("the query is empty [database " + path_ + "]");
  if (!Statement(db_, tail, path_).empty()) {
    throw StoreError("the query holds more than one SQL statement; run them one at a time "
                     "(second statement: '" + AbbreviateSql(tail) + "') [database " + path_ + "]");
  }
  if (!statement.ReadOnly() && sqlite3_db_readonly(db_, "main") == 1) {
    throw StoreError("the database is open readonly for queries, and '" +
                     AbbreviateSql(sql.c_str()) + "' could write a file; only statements that "
                     "read (SELECT, WITH, read-only PRAGMAs) are allowed [database " + path_ + "]");
  }
  std::vector<std::string> columns;
  for (int i = 0; i < statement.ColumnCount(); ++i) columns.push_back(statement.ColumnName(i));
  std::vector<std::optional<std::string>> values(columns.size());
  statement.ForEachRow([&](const Statement& result) {
    for (size_t i = 0; i < values.size(); ++i) {
      const int column = static_cast<int>(i);
      values[i] = result.IsNull(column) ? std::nullopt
                                        : std::optional<std::string>(result.Text(column));
    }
    row(columns, values);
  });
}

}  // namespace pipeline
