#pragma once
// Store: the SQLite results database (schema in store_schema.sql, documented in docs/schema.md).
//
// One Store object owns one connection. It is NOT thread-safe: during a study the scheduler's
// workers never touch it directly; they hand events to a StoreWriter (store_writer.h), whose
// single thread applies them in batched transactions. The main thread uses the Store directly
// only before and after execution.
//
// The database runs in WAL mode so readers (`pipeline query`, a person's sqlite3 shell) never
// block the writer. The schema version is PRAGMA user_version; Open() migrates older versions.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

struct sqlite3;
struct sqlite3_stmt;

namespace pipeline {

using Json = nlohmann::json;

// Status strings as stored in `runs.status` and `stages.status`.
namespace status {
inline constexpr const char* kPending = "pending";
inline constexpr const char* kRunning = "running";
inline constexpr const char* kDone = "done";
inline constexpr const char* kFailed = "failed";
inline constexpr const char* kSkipped = "skipped";
inline constexpr const char* kInterrupted = "interrupted";
// Stopped by a search's pruner (search.pruner): a stage that reported a hopeless metric, and
// the runs that contain it.
inline constexpr const char* kPruned = "pruned";
}  // namespace status

struct StudyRow {
  int64_t id = 0;
  std::string name;
  std::string file;
  std::string file_hash;
  std::string text;  // the study file's text when it was last run
};

struct RunRow {
  int64_t id = 0;
  int64_t study_id = 0;
  int64_t number = 0;     // 1-based within the study, never reused
  std::string identity;   // hash of the run's (stage name, stage key) pairs
  std::string variant;
  uint64_t seed = 0;
  std::string status;
  Json params;   // flat: {"stage.param": value, ..., "seed": n}
  Json config;   // per stage: {"name": {"type", "key", "inputs", "params"}}
  double started_at = 0;
  double finished_at = 0;
  std::string error;
};

struct StageRow {
  std::string key;
  std::string name;  // the stage's name in the study that first declared it
  std::string type;
  int code_version = 0;
  Json params;
  std::vector<std::string> inputs;  // input stage keys, in order
  uint64_t seed = 0;
  std::string status;
  int threads = 0;
  double started_at = 0;
  double finished_at = 0;
  std::string error;
  std::string output_hash;
};

struct MetricRow {
  std::string stage_key;
  std::string name;
  int64_t step = 0;
  double value = 0;
  double wall_time = 0;
};

struct ArtifactRow {
  std::string stage_key;
  std::string kind;
  std::string name;
  std::string path;
  std::string content_hash;
  int64_t bytes = 0;
};

struct EnvironmentRow {
  std::string code_version;
  std::string compiler;
  std::string build_flags;
  std::string libraries;  // JSON object: library -> version
  std::string cpu;
  std::string isa;
  int cores = 0;
  int threads = 0;
};

// One trial of a search (the `trials` table).
struct TrialRow {
  int64_t study_id = 0;
  int64_t number = 0;
  int64_t run_id = 0;
  Json params;          // {"path": sampled value}
  std::string state;    // trial_state::k* (search_space.h)
  double value = 0;     // the objective (done trials)
  int64_t step = 0;     // pruned: the last step the pruner saw
  double intermediate = 0;
};

// One decision of a search's pruner (the `trial_rungs` table).
struct RungRow {
  int64_t trial = 0;
  int64_t rung = 0;
  int64_t step = 0;
  double value = 0;
  std::string decision;  // "continue" or "prune"
};

// RAII transaction: commits in Commit(), rolls back if destroyed before that.
class Transaction {
 public:
  explicit Transaction(sqlite3* db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void Commit();

 private:
  sqlite3* db_;
  bool done_ = false;
};

// The name a read-only Store gives SQLite for the file at `path`: `path` itself when its folder
// is writable, else the URI "file:<path, percent-escaped>?immutable=1". A WAL database is only
// readable where SQLite can create its -shm file, so on read-only media (a folder the user
// cannot write: a CD, a read-only mount, an archive) it is opened immutable: no locks and no
// -shm, which is right because nothing can write the file there.
std::string ReadOnlyOpenName(const std::string& path, bool folder_writable);

class Store {
 public:
  enum class Mode { kReadWrite, kReadOnly };
  // Opens (creating it and its parent folder if needed, in read-write mode) the database.
  // Throws StoreError naming the path on failure. In read-write mode an existing file is first
  // checked with PRAGMA quick_check (cost linear in its size); a damaged one is refused with a
  // StoreError saying how to recover, before anything is written.
  Store(const std::string& path, Mode mode);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const { return path_; }
  sqlite3* handle() { return db_; }
  Transaction Begin() { return Transaction(db_); }

  // --- Studies and runs (main thread, before execution) ---
  std::optional<StudyRow> FindStudy(const std::string& name);
  // Inserts or updates the study by name; returns its id.
  int64_t UpsertStudy(const StudyRow& study, double now);
  std::vector<RunRow> LoadRuns(int64_t study_id);
  std::optional<RunRow> LoadRun(int64_t run_id);
  // Inserts a run and its params rows (one per key of `run.params`); returns the new id.
  int64_t InsertRun(const RunRow& run);
  void InsertRunStage(int64_t run_id, const std::string& stage_name, const std::string& key);
  std::vector<std::pair<std::string, std::string>> LoadRunStages(int64_t run_id);  // (name, key)
  int64_t NextRunNumber(int64_t study_id);
  // Runs and stages left 'running' by a process that died are marked 'interrupted'.
  int MarkAbandonedAsInterrupted();

  // --- Stages ---
  std::optional<StageRow> FindStage(const std::string& key);
  // Inserts the stage as 'pending' if its key is new; an existing row is left alone.
  void EnsureStage(const StageRow& stage);
  // Clears metrics and artifacts of an earlier attempt and marks the stage running.
  void StageStarted(const std::string& key, int threads, double now);
  void StageFinished(const std::string& key, const std::string& status, const std::string& error,
                     const std::string& output_hash, double now);
  void RunStarted(int64_t run_id, double now);
  void RunFinished(int64_t run_id, const std::string& status, const std::string& error,
                   double now);

  // --- Metrics and artifacts ---
  void InsertMetric(const MetricRow& row);
  std::vector<MetricRow> LoadMetrics(const std::string& stage_key);
  void InsertArtifact(const ArtifactRow& row);
  std::vector<ArtifactRow> LoadArtifacts(const std::string& stage_key);

  // --- Searches (store_trials.cc) ---
  std::vector<TrialRow> LoadTrials(int64_t study_id);  // in number order
  void SaveTrial(const TrialRow& trial);                // inserts or replaces (study, number)
  std::vector<RungRow> LoadRungs(int64_t study_id);     // in (trial, step) order
  // A decision already recorded for (trial, step) is kept: decisions are never revised.
  void InsertRung(int64_t study_id, const RungRow& rung);

  // --- Environment ---
  int64_t RecordEnvironment(const EnvironmentRow& env, double now);
  void SetRunEnvironment(int64_t run_id, int64_t environment_id);

  // --- Ad-hoc SQL (the `query` command): calls `row` with column names and values as text
  // (NULL as an empty optional). Throws StoreError with SQLite's message on bad SQL. On a
  // read-only store, a statement that could write any file (VACUUM INTO, INSERT, ...) or
  // that attaches another database is refused before it runs, so it creates nothing.
  using RowCallback = std::function<void(const std::vector<std::string>& columns,
                                         const std::vector<std::optional<std::string>>& values)>;
  void Query(const std::string& sql, const RowCallback& row);
  // Runs PRAGMA integrity_check; returns "ok" or the problems found.
  std::string IntegrityCheck();

 private:
  class Statement;
  Statement& Prepared(const char* sql);
  void Exec(const char* sql);
  void Migrate();
  void MigrateToVersion2();
  void RefuseIfDamaged();

  std::string path_;
  sqlite3* db_ = nullptr;
  std::vector<std::pair<const char*, std::unique_ptr<Statement>>> statements_;
};

}  // namespace pipeline
