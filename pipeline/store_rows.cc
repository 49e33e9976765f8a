// The Store's rows: studies, runs, stages, metrics, artifacts and environments (the
// connection, schema, damage check and ad-hoc queries are in store.cc, whose implementation
// notes cover both files). Each SQL text is a named constant for Store::Prepared's cache.

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/errors.h"
#include "pipeline/store.h"
#include "pipeline/store_statement.h"

namespace pipeline {
namespace {

std::string SeedText(uint64_t seed) { return std::to_string(seed); }

uint64_t ParseSeed(const std::string& text, const std::string& path) {
  char* end = nullptr;
  const unsigned long long seed = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0') {
    throw StoreError("seed '" + text + "' is not a decimal 64-bit number [database " + path +
                     "]");
  }
  return seed;
}

Json ParseJson(const std::string& text, const char* column, const std::string& path) {
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {
    throw StoreError(std::string("column ") + column + " holds invalid JSON (" + e.what() +
                     ") [database " + path + "]");
  }
}

constexpr const char* kFindStudy =
    "SELECT id, name, file, file_hash, text FROM studies WHERE name = ?1";
constexpr const char* kUpsertStudy =
    "INSERT INTO studies (name, file, file_hash, text, created_at, updated_at)\n"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?5)\n"
    " ON CONFLICT (name) DO UPDATE SET file = excluded.file, file_hash = excluded.file_hash,\n"
    " text = excluded.text, updated_at = excluded.updated_at RETURNING id";
constexpr const char* kLoadRuns =
    "SELECT id, study_id, number, identity, variant, seed, status, params_json, config_json,"
    " started_at, finished_at, error FROM runs WHERE study_id = ?1 ORDER BY number";
constexpr const char* kLoadRun =
    "SELECT id, study_id, number, identity, variant, seed, status, params_json, config_json,"
    " started_at, finished_at, error FROM runs WHERE id = ?1";
constexpr const char* kInsertRun =
    "INSERT INTO runs (study_id, number, identity, variant, seed, status, params_json,"
    " config_json, started_at, finished_at, error)\n"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id";
constexpr const char* kInsertParam =
    "INSERT INTO params (run_id, key, type, value) VALUES (?1, ?2, ?3, ?4)";
constexpr const char* kInsertRunStage =
    "INSERT INTO run_stages (run_id, stage, stage_key) VALUES (?1, ?2, ?3)";
constexpr const char* kLoadRunStages =
    "SELECT stage, stage_key FROM run_stages WHERE run_id = ?1 ORDER BY stage";
constexpr const char* kNextRunNumber =
    "SELECT coalesce(max(number), 0) + 1 FROM runs WHERE study_id = ?1";
constexpr const char* kInterruptStages =
    "UPDATE stages SET status = 'interrupted' WHERE status = 'running'";
constexpr const char* kInterruptRuns =
    "UPDATE runs SET status = 'interrupted' WHERE status = 'running'";
constexpr const char* kFindStage =
    "SELECT key, name, type, code_version, params_json, inputs_json, seed, status, threads,"
    " started_at, finished_at, error, output_hash FROM stages WHERE key = ?1";
constexpr const char* kEnsureStage =
    "INSERT INTO stages (key, name, type, code_version, params_json, inputs_json, seed, status)\n"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending') ON CONFLICT (key) DO NOTHING";
constexpr const char* kDeleteMetrics = "DELETE FROM metrics WHERE stage_key = ?1";
constexpr const char* kDeleteArtifacts = "DELETE FROM artifacts WHERE stage_key = ?1";
constexpr const char* kStageStarted =
    "UPDATE stages SET status = 'running', threads = ?2, started_at = ?3, finished_at = NULL,"
    " duration_s = NULL, error = '', output_hash = '', attempts = attempts + 1 WHERE key = ?1";
constexpr const char* kStageFinished =
    "UPDATE stages SET status = ?2, error = ?3, output_hash = ?4, finished_at = ?5,"
    " duration_s = ?5 - started_at WHERE key = ?1";
constexpr const char* kRunStarted =
    "UPDATE runs SET status = 'running', started_at = ?2, finished_at = NULL, error = ''"
    " WHERE id = ?1";
constexpr const char* kRunFinished =
    "UPDATE runs SET status = ?2, error = ?3, finished_at = ?4 WHERE id = ?1";
constexpr const char* kInsertMetric =
    "INSERT INTO metrics (stage_key, name, step, value, wall_time) VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr const char* kLoadMetrics =
    "SELECT stage_key, name, step, value, wall_time FROM metrics WHERE stage_key = ?1"
    " ORDER BY name, step, rowid";
constexpr const char* kInsertArtifact =
    "INSERT INTO artifacts (stage_key, kind, name, path, content_hash, bytes)\n"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (stage_key, name) DO UPDATE SET"
    " kind = excluded.kind, path = excluded.path, content_hash = excluded.content_hash,"
    " bytes = excluded.bytes";
constexpr const char* kLoadArtifacts =
    "SELECT stage_key, kind, name, path, content_hash, bytes FROM artifacts"
    " WHERE stage_key = ?1 ORDER BY name";
constexpr const char* kRecordEnvironment =
    "INSERT INTO environment (recorded_at, code_version, compiler, build_flags, libraries, cpu,"
    " isa, cores, threads) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id";
constexpr const char* kSetRunEnvironment = "UPDATE runs SET environment_id = ?2 WHERE id = ?1";

}  // namespace

// ---------------------------------------------------------------------------------------------
// Studies and runs.

std::optional<StudyRow> Store::FindStudy(const std::string& name) {
  std::optional<StudyRow> study;
  Prepared(kFindStudy).BindText(1, name).ForEachRow([&](const Statement& row) {
    study = StudyRow{row.Int(0), row.Text(1), row.Text(2), row.Text(3), row.Text(4)};
  });
  return study;
}

int64_t Store::UpsertStudy(const StudyRow& study, double now) {
  int64_t id = 0;
  Prepared(kUpsertStudy)
      .BindText(1, study.name)
      .BindText(2, study.file)
      .BindText(3, study.file_hash)
      .BindText(4, study.text)
      .BindDouble(5, now)
      .ForEachRow([&](const Statement& row) { id = row.Int(0); });
  return id;
}

namespace {

template <typename Row>
RunRow ReadRun(const Row& row, const std::string& path) {
  RunRow run;
  run.id = row.Int(0);
  run.study_id = row.Int(1);
  run.number = row.Int(2);
  run.identity = row.Text(3);
  run.variant = row.Text(4);
  run.seed = ParseSeed(row.Text(5), path);
  run.status = row.Text(6);
  run.params = ParseJson(row.Text(7), "runs.params_json", path);
  run.config = ParseJson(row.Text(8), "runs.config_json", path);
  run.started_at = row.Time(9);
  run.finished_at = row.Time(10);
  run.error = row.Text(11);
  return run;
}

}  // namespace

std::vector<RunRow> Store::LoadRuns(int64_t study_id) {
  std::vector<RunRow> runs;
  Prepared(kLoadRuns).BindInt(1, study_id).ForEachRow([&](const Statement& row) {
    runs.push_back(ReadRun(row, path_));
  });
  return runs;
}

std::optional<RunRow> Store::LoadRun(int64_t run_id) {
  std::optional<RunRow> run;
  Prepared(kLoadRun).BindInt(1, run_id).ForEachRow([&](const Statement& row) {
    run = ReadRun(row, path_);
  });
  return run;
}

int64_t Store::InsertRun(const RunRow& run) {
  const Json params = run.params.is_null() ? Json::object() : run.params;
  if (!params.is_object()) {
    throw StoreError("run " + std::to_string(run.number) + ": params must be a JSON object, not " +
                     params.type_name() + " [database " + path_ + "]");
  }
  const std::string seed = SeedText(run.seed);
  const std::string params_json = params.dump();
  const std::string config_json = (run.config.is_null() ? Json::object() : run.config).dump();
  const std::string status = run.status.empty() ? status::kPending : run.status;

  Savepoint savepoint(db_, path_);
  int64_t run_id = 0;
  Prepared(kInsertRun)
      .BindInt(1, run.study_id)
      .BindInt(2, run.number)
      .BindText(3, run.identity)
      .BindText(4, run.variant)
      .BindText(5, seed)
      .BindText(6, status)
      .BindText(7, params_json)
      .BindText(8, config_json)
      .BindTime(9, run.started_at)
      .BindTime(10, run.finished_at)
      .BindText(11, run.error)
      .ForEachRow([&](const Statement& row) { run_id = row.Int(0); });

  // Each value keeps its natural SQLite type so `value = 5` or `value > 0.1` work in SQL.
  for (const auto& [key, value] : params.items()) {
    Statement& insert = Prepared(kInsertParam);
    insert.BindInt(1, run_id).BindText(2, key);
    std::string text;
    const char* type = "json";
    if (value.is_boolean()) {
      type = "bool";
      insert.BindInt(4, value.get<bool>() ? 1 : 0);
    } else if (value.is_number_unsigned() &&
               value.get<uint64_t>() > uint64_t{std::numeric_limits<int64_t>::max()}) {
      text = value.dump();  // beyond SQLite's INTEGER: keep it exact as a JSON number literal
      insert.BindText(4, text);
    } else if (value.is_number_integer()) {
      type = "int";
      insert.BindInt(4, value.get<int64_t>());
    } else if (value.is_number_float()) {
      type = "float";
      insert.BindDouble(4, value.get<double>());
    } else if (value.is_string()) {
      type = "text";
      insert.BindText(4, value.get_ref<const std::string&>());
    } else if (value.is_null()) {
      type = "null";
      insert.BindNull(4);
    } else {
      text = value.dump();
      insert.BindText(4, text);
    }
    const std::string type_text = type;
    insert.BindText(3, type_text).Execute();
  }
  savepoint.Release();
  return run_id;
}

void Store::InsertRunStage(int64_t run_id, const std::string& stage_name,
                           const std::string& key) {
  Prepared(kInsertRunStage).BindInt(1, run_id).BindText(2, stage_name).BindText(3, key).Execute();
}

std::vector<std::pair<std::string, std::string>> Store::LoadRunStages(int64_t run_id) {
  std::vector<std::pair<std::string, std::string>> stages;
  Prepared(kLoadRunStages).BindInt(1, run_id).ForEachRow([&](const Statement& row) {
    stages.emplace_back(row.Text(0), row.Text(1));
  });
  return stages;
}

int64_t Store::NextRunNumber(int64_t study_id) {
  int64_t number = 1;
  Prepared(kNextRunNumber).BindInt(1, study_id).ForEachRow([&](const Statement& row) {
    number = row.Int(0);
  });
  return number;
}

int Store::MarkAbandonedAsInterrupted() {
  Savepoint savepoint(db_, path_);
  const int changed = Prepared(kInterruptStages).Execute() + Prepared(kInterruptRuns).Execute();
  savepoint.Release();
  return changed;
}

void Store::RunStarted(int64_t run_id, double now) {
  if (Prepared(kRunStarted).BindInt(1, run_id).BindTime(2, now).Execute() == 0) {
    throw StoreError("RunStarted: no run with id " + std::to_string(run_id) + " [database " +
                     path_ + "]");
  }
}

void Store::RunFinished(int64_t run_id, const std::string& status, const std::string& error,
                        double now) {
  if (Prepared(kRunFinished).BindInt(1, run_id).BindText(2, status).BindText(3, error)
          .BindTime(4, now).Execute() == 0) {
    throw StoreError("RunFinished: no run with id " + std::to_string(run_id) + " [database " +
                     path_ + "]");
  }
}

// ---------------------------------------------------------------------------------------------
// Stages.

std::optional<StageRow> Store::FindStage(const std::string& key) {
  std::optional<StageRow> stage;
  Prepared(kFindStage).BindText(1, key).ForEachRow([&](const Statement& row) {
    StageRow found;
    found.key = row.Text(0);
    found.name = row.Text(1);
    found.type = row.Text(2);
    found.code_version = static_cast<int>(row.Int(3));
    found.params = ParseJson(row.Text(4), "stages.params_json", path_);
    found.inputs = ParseJson(row.Text(5), "stages.inputs_json", path_)
                       .get<std::vector<std::string>>();
    found.seed = ParseSeed(row.Text(6), path_);
    found.status = row.Text(7);
    found.threads = static_cast<int>(row.Int(8));
    found.started_at = row.Time(9);
    found.finished_at = row.Time(10);
    found.error = row.Text(11);
    found.output_hash = row.Text(12);
    stage = std::move(found);
  });
  return stage;
}

void Store::EnsureStage(const StageRow& stage) {
  const std::string params_json = (stage.params.is_null() ? Json::object() : stage.params).dump();
  const std::string inputs_json = Json(stage.inputs).dump();
  const std::string seed = SeedText(stage.seed);
  Prepared(kEnsureStage)
      .BindText(1, stage.key)
      .BindText(2, stage.name)
      .BindText(3, stage.type)
      .BindInt(4, stage.code_version)
      .BindText(5, params_json)
      .BindText(6, inputs_json)
      .BindText(7, seed)
      .Execute();
}

void Store::StageStarted(const std::string& key, int threads, double now) {
  // An earlier attempt that was interrupted may have logged part of its metrics and artifacts;
  // keeping them would mix two attempts' numbers under one key.
  Savepoint savepoint(db_, path_);
  Prepared(kDeleteMetrics).BindText(1, key).Execute();
  Prepared(kDeleteArtifacts).BindText(1, key).Execute();
  if (Prepared(kStageStarted).BindText(1, key).BindInt(2, threads).BindTime(3, now).Execute() ==
      0) {
    throw StoreError("StageStarted: no stage with key " + key +
                     " (EnsureStage must record it first) [database " + path_ + "]");
  }
  savepoint.Release();
}

void Store::StageFinished(const std::string& key, const std::string& status,
                          const std::string& error, const std::string& output_hash, double now) {
  if (Prepared(kStageFinished).BindText(1, key).BindText(2, status).BindText(3, error)
          .BindText(4, output_hash).BindTime(5, now).Execute() == 0) {
    throw StoreError("StageFinished: no stage with key " + key + " [database " + path_ + "]");
  }
}

// ---------------------------------------------------------------------------------------------
// Metrics, artifacts, environment.

void Store::InsertMetric(const MetricRow& row) {
  Statement& insert = Prepared(kInsertMetric);
  insert.BindText(1, row.stage_key).BindText(2, row.name).BindInt(3, row.step);
  // sqlite3_bind_double would store NaN as NULL anyway; saying so keeps the intent visible.
  if (std::isnan(row.value)) {
    insert.BindNull(4);
  } else {
    insert.BindDouble(4, row.value);
  }
  insert.BindDouble(5, row.wall_time).Execute();
}

std::vector<MetricRow> Store::LoadMetrics(const std::string& stage_key) {
  std::vector<MetricRow> metrics;
  Prepared(kLoadMetrics).BindText(1, stage_key).ForEachRow([&](const Statement& row) {
    const double value = row.IsNull(3) ? std::numeric_limits<double>::quiet_NaN() : row.Double(3);
    metrics.push_back(MetricRow{row.Text(0), row.Text(1), row.Int(2), value, row.Double(4)});
  });
  return metrics;
}

void Store::InsertArtifact(const ArtifactRow& row) {
  // A stage may rewrite an artifact (e.g. the best checkpoint so far): the last write wins.
  Prepared(kInsertArtifact)
      .BindText(1, row.stage_key)
      .BindText(2, row.kind)
      .BindText(3, row.name)
      .BindText(4, row.path)
      .BindText(5, row.content_hash)
      .BindInt(6, row.bytes)
      .Execute();
}

std::vector<ArtifactRow> Store::LoadArtifacts(const std::string& stage_key) {
  std::vector<ArtifactRow> artifacts;
  Prepared(kLoadArtifacts).BindText(1, stage_key).ForEachRow([&](const Statement& row) {
    artifacts.push_back(
        ArtifactRow{row.Text(0), row.Text(1), row.Text(2), row.Text(3), row.Text(4), row.Int(5)});
  });
  return artifacts;
}

int64_t Store::RecordEnvironment(const EnvironmentRow& env, double now) {
  const std::string libraries = env.libraries.empty() ? "{}" : env.libraries;
  int64_t id = 0;
  Prepared(kRecordEnvironment)
      .BindTime(1, now)
      .BindText(2, env.code_version)
      .BindText(3, env.compiler)
      .BindText(4, env.build_flags)
      .BindText(5, libraries)
      .BindText(6, env.cpu)
      .BindText(7, env.isa)
      .BindInt(8, env.cores)
      .BindInt(9, env.threads)
      .ForEachRow([&](const Statement& row) { id = row.Int(0); });
  return id;
}

void Store::SetRunEnvironment(int64_t run_id, int64_t environment_id) {
  if (Prepared(kSetRunEnvironment).BindInt(1, run_id).BindInt(2, environment_id).Execute() == 0) {
    throw StoreError("SetRunEnvironment: no run with id " + std::to_string(run_id) +
                     " [database " + path_ + "]");
  }
}

}  // namespace pipeline
