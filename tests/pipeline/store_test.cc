#include "pipeline/store.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "pipeline/errors.h"
#include "tests/support/temp_dir.h"

namespace {

using Catch::Matchers::Contains;
using pipeline::ArtifactRow;
using pipeline::EnvironmentRow;
using pipeline::Json;
using pipeline::MetricRow;
using pipeline::RunRow;
using pipeline::StageRow;
using pipeline::Store;
using pipeline::StoreError;
using pipeline::StudyRow;
using testing_support::TempDir;
namespace status = pipeline::status;

constexpr double kNow = 1.7e9;

StudyRow MakeStudy(const std::string& name) {
  return StudyRow{0, name, "experiments/" + name + ".yaml", "hash-of-" + name, "name: " + name};
}

RunRow MakeRun(int64_t study_id, int64_t number, const std::string& identity,
               Json params = Json::object()) {
  RunRow run;
  run.study_id = study_id;
  run.number = number;
  run.identity = identity;
  run.variant = "baseline";
  run.seed = 42;
  run.status = status::kPending;
  run.params = std::move(params);
  run.config = {{"cluster", {{"type", "kmeans"}, {"key", "k-" + identity}}}};
  return run;
}

StageRow MakeStage(const std::string& key, const std::string& name, const std::string& type) {
  StageRow stage;
  stage.key = key;
  stage.name = name;
  stage.type = type;
  stage.code_version = 3;
  stage.params = {{"k", 5}};
  stage.seed = 7;
  return stage;
}

// The first column of the first row, as text; nullopt for NULL or no row.
std::optional<std::string> QueryValue(Store& store, const std::string& sql) {
  std::optional<std::string> result;
  bool first = true;
  store.Query(sql, [&](const std::vector<std::string>&,
                       const std::vector<std::optional<std::string>>& values) {
    if (first) result = values.at(0);
    first = false;
  });
  return result;
}

int64_t Count(Store& store, const std::string& table) {
  return std::stoll(QueryValue(store, "SELECT count(*) FROM " + table).value());
}

// One study with two runs that share a PCA stage and each have their own k-means stage, the
// shape the views must handle: metrics are logged once per stage and appear in every run.
struct TwoRuns {
  int64_t study_id = 0;
  int64_t run_ids[2] = {0, 0};

  explicit TwoRuns(Store& store) {
    study_id = store.UpsertStudy(MakeStudy("s5"), kNow);
    store.EnsureStage(MakeStage("pca-key", "reduce", "pca"));
    for (int i = 0; i < 2; ++i) {
      const std::string key = "kmeans-" + std::to_string(i);
      Json params = {{"kmeans.k", 5 + i},
                     {"pca.whiten", i == 1},
                     {"train.lr", 0.5},
                     {"optimizer", "adam"},
                     {"train.layers", {64, 32}}};
      run_ids[i] = store.InsertRun(MakeRun(study_id, i + 1, "identity-" + std::to_string(i),
                                           params));
      store.EnsureStage(MakeStage(key, "cluster", "kmeans"));
      store.InsertRunStage(run_ids[i], "reduce", "pca-key");
      store.InsertRunStage(run_ids[i], "cluster", key);
    }
    store.InsertMetric(MetricRow{"pca-key", "explained_variance", 0, 0.9, kNow});
    for (int step = 0; step < 3; ++step) {
      store.InsertMetric(MetricRow{"kmeans-0", "inertia", step, 10.0 - step, kNow + step});
      store.InsertMetric(MetricRow{"kmeans-1", "inertia", step, 20.0 - step, kNow + step});
    }
  }
};

}  // namespace

TEST_CASE("a study, its runs, stages, metrics and artifacts read back as written", "[store]") {
  TempDir dir;
  Store store(dir.File("results/results.db"), Store::Mode::kReadWrite);

  const int64_t study_id = store.UpsertStudy(MakeStudy("s1"), kNow);
  const auto study = store.FindStudy("s1");
  REQUIRE(study);
  CHECK(study->id == study_id);
  CHECK(study->file == "experiments/s1.yaml");
  CHECK(study->file_hash == "hash-of-s1");
  CHECK(study->text == "name: s1");
  CHECK_FALSE(store.FindStudy("s2"));

  const int64_t run_id = store.InsertRun(MakeRun(study_id, 1, "identity-a", {{"train.lr", 0.1}}));
  const auto run = store.LoadRun(run_id);
  REQUIRE(run);
  CHECK(run->study_id == study_id);
  CHECK(run->number == 1);
  CHECK(run->identity == "identity-a");
  CHECK(run->variant == "baseline");
  CHECK(run->seed == 42);
  CHECK(run->status == status::kPending);
  CHECK(run->params == Json{{"train.lr", 0.1}});
  CHECK(run->config["cluster"]["type"] == "kmeans");
  CHECK(run->started_at == 0);
  CHECK_FALSE(store.LoadRun(run_id + 100));

  StageRow stage = MakeStage("key-1", "train", "mlp");
  stage.inputs = {"key-0a", "key-0b"};
  store.EnsureStage(MakeStage("key-0a", "load", "idx_loader"));
  store.EnsureStage(MakeStage("key-0b", "load", "idx_loader"));
  store.EnsureStage(stage);
  store.InsertRunStage(run_id, "train", "key-1");
  CHECK(store.LoadRunStages(run_id) ==
        std::vector<std::pair<std::string, std::string>>{{"train", "key-1"}});

  store.RunStarted(run_id, kNow + 1);
  store.StageStarted("key-1", 4, kNow + 2);
  store.InsertMetric(MetricRow{"key-1", "loss", 0, 2.5, kNow + 3});
  store.InsertMetric(MetricRow{"key-1", "loss", 1, 1.25, kNow + 4});
  store.InsertArtifact(ArtifactRow{"key-1", "model", "weights", "cache/key-1/weights.bin",
                                   "abc123", 4096});
  store.StageFinished("key-1", status::kDone, "", "out-hash", kNow + 12);
  store.RunFinished(run_id, status::kDone, "", kNow + 13);

  const auto found = store.FindStage("key-1");
  REQUIRE(found);
  CHECK(found->name == "train");
  CHECK(found->type == "mlp");
  CHECK(found->code_version == 3);
  CHECK(found->params == Json{{"k", 5}});
  CHECK(found->inputs == std::vector<std::string>{"key-0a", "key-0b"});
  CHECK(found->seed == 7);
  CHECK(found->status == status::kDone);
  CHECK(found->threads == 4);
  CHECK(found->started_at == kNow + 2);
  CHECK(found->finished_at == kNow + 12);
  CHECK(found->output_hash == "out-hash");
  CHECK(QueryValue(store, "SELECT duration_s FROM stages WHERE key = 'key-1'") == "10.0");
  CHECK(QueryValue(store, "SELECT attempts FROM stages WHERE key = 'key-1'") == "1");

  const auto metrics = store.LoadMetrics("key-1");
  REQUIRE(metrics.size() == 2);
  CHECK(metrics[1].stage_key == "key-1");
  CHECK(metrics[1].name == "loss");
  CHECK(metrics[1].step == 1);
  CHECK(metrics[1].value == 1.25);
  CHECK(metrics[1].wall_time == kNow + 4);

  const auto artifacts = store.LoadArtifacts("key-1");
  REQUIRE(artifacts.size() == 1);
  CHECK(artifacts[0].kind == "model");
  CHECK(artifacts[0].name == "weights");
  CHECK(artifacts[0].path == "cache/key-1/weights.bin");
  CHECK(artifacts[0].content_hash == "abc123");
  CHECK(artifacts[0].bytes == 4096);

  const auto finished = store.LoadRun(run_id);
  CHECK(finished->status == status::kDone);
  CHECK(finished->started_at == kNow + 1);
  CHECK(finished->finished_at == kNow + 13);
  CHECK(store.LoadRuns(study_id).size() == 1);
}

TEST_CASE("upserting a study by name keeps its id and updates its text", "[store]") {
  TempDir dir;
  Store store(dir.File("results.db"), Store::Mode::kReadWrite);
  const int64_t first = store.UpsertStudy(MakeStudy("s1"), kNow);
  const int64_t other = store.UpsertStudy(MakeStudy("s2"), kNow);
  StudyRow changed = MakeStudy("s1");
  changed.text = "name: s1\nseed: 2";
  changed.file_hash = "new-hash";
  CHECK(store.UpsertStudy(changed, kNow + 60) == first);
  CHECK(first != other);
  CHECK(store.FindStudy("s1")->text == "name: s1\nseed: 2");
  CHECK(store.FindStudy("s1")->file_hash == "new-hash");
  CHECK(QueryValue(store, "SELECT created_at < updated_at FROM studies WHERE name = 's1'") ==
        "1");
  CHECK(Count(store, "studies") == 2);
}

TEST_CASE("run numbers continue after the existing runs", "[store]") {
  TempDir dir;
  Store store(dir.File("results.db"), Store::Mode::kReadWrite);
  const int64_t study_id = store.UpsertStudy(MakeStudy("s1"), kNow);
  const int64_t other_id = store.UpsertStudy(MakeStudy("s2"), kNow);
  CHECK(store.NextRunNumber(study_id) == 1);
  store.InsertRun(MakeRun(study_id, 1, "a"));
  store.InsertRun(MakeRun(study_id, 2, "b"));
  store.InsertRun(MakeRun(study_id, 7, "c"));
  CHECK(store.NextRunNumber(study_id) == 8);
  CHECK(store.NextRunNumber(other_id) == 1);
  const auto runs = store.LoadRuns(study_id);
  REQUIRE(runs.size() == 3);
  CHECK(runs[2].number == 7);
}

TEST_CASE("a run identity may appear only once per study", "[store]") {
  TempDir dir;
  Store store(dir.File("results.db"), Store::Mode::kReadWrite);
  const int64_t study_id = store.UpsertStudy(MakeStudy("s1"), kNow);
  const int64_t other_id = store.UpsertStudy(MakeStudy("s2"), kNow);
  store.InsertRun(MakeRun(study_id, 1, "same", {{"kmeans.k", 3}}));
  REQUIRE_THROWS_WITH(store.InsertRun(MakeRun(study_id, 2, "same", {{"kmeans.k", 3}})),
                      Contains("UNIQUE constraint failed: runs.study_id, runs.identity"));
  REQUIRE_THROWS_AS(store.InsertRun(MakeRun(study_id, 1, "another")), StoreError);
  CHECK(Count(store, "runs") == 1);
  CHECK(Count(store, "params") == 1);  // the failed inserts left no params behind
  store.InsertRun(MakeRun(other_id, 1, "same"));
  CHECK(Count(store, "runs") == 2);
}

TEST_CASE("a transaction that is not committed leaves no rows", "[store]") {
  TempDir dir;
  Store store(dir.File("results.db"), Store::Mode::kReadWrite);
  const int64_t study_id = store.UpsertStudy(MakeStudy("s1"), kNow);

  SECTION("destroyed without Commit") {
    {
      auto transaction = store.Begin();
      store.InsertRun(MakeRun(study_id, 1, "a", {{"kmeans.k", 3}}));
      store.EnsureStage(MakeStage("key", "cluster", "kmeans"));
      CHECK(Count(store, "runs") == 1);
    }
    CHECK(Count(store, "runs") == 0);
    CHECK(Count(store, "params") == 0);
    CHECK_FALSE(store.FindStage("key"));
  }
  SECTION("unwound by an exception") {
    try {
      auto transaction = store.Begin();
      store.InsertRun(MakeRun(study_id, 1, "a"));
      store.InsertRun(MakeRun(study_id, 2, "a"));  // duplicate identity throws
      transaction.Commit();
    } catch (const StoreError&) {
    }
    CHECK(Count(store, "runs") == 0);
  }
  SECTION("committed") {
    {
      auto transaction = store.Begin();
      store.InsertRun(MakeRun(study_id, 1, "a"));
      transaction.Commit();
    }
    CHECK(Count(store, "runs") == 1);
  }
}

TEST_CASE("starting a stage again clears the earlier attempt's metrics and artifacts",
          "[store][resume]") {
  TempDir dir;
  Store store(dir.File("results.db"), Store::Mode::kReadWrite);
  store.EnsureStage(MakeStage("key", "train", "mlp"));
  store.EnsureStage(MakeStage("other", "train", "mlp"));
  store.StageStarted("key", 2, kNow);
  store.InsertMetric(MetricRow{"key", "loss", 0, 3.0, kNow});
  store.InsertMetric(MetricRow{"key", "loss", 1, 2.0, kNow});
  store.InsertMetric(MetricRow{"other", "loss", 0, 9.0, kNow});
  store.InsertArtifact(ArtifactRow{"key", "model", "weights", "a/weights.bin", "h", 10});

  store.StageStarted("key", 4, kNow + 100);
  CHECK(store.LoadMetrics("key").empty());
  CHECK(store.LoadArtifacts("key").empty());
  CHECK(store.LoadMetrics("other").size() == 1);
  const auto stage = store.FindStage("key");
  CHECK(stage->status == status::kRunning);
  CHECK(stage->threads == 4);
  CHECK(stage->started_at == kNow + 100);
  CHECK(QueryValue(store, "SELECT attempts FROM stages WHERE key = 'key'") == "2");

  store.InsertMetric(MetricRow{"key", "loss", 0, 2.9, kNow + 101});
  CHECK(store.LoadMetrics("key").size() == 1);
}

TEST_CASE("stages and runs left running are marked interrupted", "[store][resume]") {
  TempDir dir;
  const std::string path = dir.File("results.db");
  {
    Store store(path, Store::Mode::kReadWrite);
    TwoRuns study(store);
    store.RunStarted(study.run_ids[0], kNow);
    store.StageStarted("pca-key", 1, kNow);
    store.StageStarted("kmeans-0", 1, kNow);
    store.StageFinished("kmeans-0", status::kDone, "", "h", kNow + 1);
    // The process dies here: no RunFinished, no StageFinished for the PCA.
  }
  Store store(path, Store::Mode::kReadWrite);
  CHECK(store.MarkAbandonedAsInterrupted() == 2);
  CHECK(store.FindStage("pca-key")->status == status::kInterrupted);
  CHECK(store.FindStage("kmeans-0")->status == status::kDone);
  CHECK(store.FindStage("kmeans-1")->status == status::kPending);
  CHECK(QueryValue(store, "SELECT group_concat(status) FROM (SELECT status FROM runs ORDER BY "
                          "number)") == "interrupted,pending");
  CHECK(store.MarkAbandonedAsInterrupted() == 0);
}

TEST_CASE("a read-only store rejects writes through Query and keeps the data", "[store]") {
  TempDir dir;
  const std::string path = dir.File("results.db");
  Store writer(path, Store::Mode::kReadWrite);  // stays open, as during a running study
  TwoRuns study(writer);

  Store reader(path, Store::Mode::kReadOnly);
  CHECK(Count(reader, "runs") == 2);
  const std::string writes[] = {
      "INSERT INTO studies (name, created_at, updated_at) VALUES ('x', 0, 0)",
      "DELETE FROM runs",
      "UPDATE stages SET status = 'failed'",
      "DROP TABLE metrics",
      "CREATE TABLE scratch (x)",
      "PRAGMA user_version = 9",
  };
  for (const std::string& sql : writes) {
    INFO(sql);
    CHECK_THROWS_AS(reader.Query(sql, [](const auto&, const auto&) {}), StoreError);
  }
  CHECK_THROWS_WITH(reader.Query("DELETE FROM runs", [](const auto&, const auto&) {}),
                    Contains("readonly") && Contains(path));
  CHECK(Count(writer, "runs") == 2);
  CHECK(Count(writer, "studies") == 1);
  CHECK(Count(writer, "metrics") == 7);
  CHECK(QueryValue(writer, "PRAGMA user_version") == "2");
  CHECK(QueryValue(writer, "SELECT count(DISTINCT status) FROM stages") == "1");
}

TEST_CASE("a missing database cannot be opened read-only", "[store]") {
  TempDir dir;
  const std::string path = dir.File("absent.db");
  CHECK_THROWS_WITH(Store(path, Store::Mode::kReadOnly), Contains(path));
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("final_metrics picks the last step of each metric per run and stage", "[store]") {
  TempDir dir;
  Store store(dir.File("results.db"), Store::Mode::kReadWrite);
  TwoRuns study(store);
  // Logged out of order: the last step wins, not the last row.
  store.InsertMetric(MetricRow{"kmeans-0", "nmi", 5, 0.7, kNow});
  store.InsertMetric(MetricRow{"kmeans-0", "nmi", 2, 0.1, kNow});
  const std::string run0 = std::to_string(study.run_ids[0]);
  const std::string run1 = std::to_string(study.run_ids[1]);

  CHECK(QueryValue(store, "SELECT value FROM final_metrics WHERE run_id = " + run0 +
                              " AND stage = 'cluster' AND name = 'inertia'") == "8.0");
  CHECK(QueryValue(store, "SELECT step FROM final_metrics WHERE run_id = " + run0 +
                              " AND name = 'nmi'") == "5");
  CHECK(QueryValue(store, "SELECT value FROM final_metrics WHERE run_id = " + run1 +
                              " AND name = 'inertia'") == "18.0");
  // The shared PCA logged once and counts for both runs.
  CHECK(QueryValue(store, "SELECT count(*) FROM final_metrics WHERE stage = 'reduce'") == "2");
  CHECK(Count(store, "final_metrics") == 5);
  CHECK(QueryValue(store, "SELECT count(*) FROM run_metrics WHERE study = 's5' AND "
                          "run_number = 2") == "4");
}

TEST_CASE("run_summary holds each run's params and final metrics as JSON", "[store]") {
  TempDir dir;
  Store store(dir.File("results.db"), Store::Mode::kReadWrite);
  TwoRuns study(store);
  store.RunStarted(study.run_ids[1], kNow);
  store.RunFinished(study.run_ids[1], status::kDone, "", kNow + 30);
  const std::string where = " FROM run_summary WHERE number = 2";

  CHECK(QueryValue(store, "SELECT json_extract(params, '$.\"kmeans.k\"')" + where) == "6");
  CHECK(QueryValue(store, "SELECT json_extract(params, '$.\"train.lr\"')" + where) == "0.5");
  CHECK(QueryValue(store, "SELECT json_extract(params, '$.optimizer')" + where) == "adam");
  CHECK(QueryValue(store, "SELECT json_type(params, '$.\"pca.whiten\"')" + where) == "true");
  CHECK(QueryValue(store, "SELECT json_extract(params, '$.\"train.layers\"[1]')" + where) ==
        "32");
  CHECK(QueryValue(store, "SELECT json_extract(metrics, '$.\"cluster.inertia\"')" + where) ==
        "18.0");
  CHECK(QueryValue(store, "SELECT json_extract(metrics, '$.\"reduce.explained_variance\"')" +
                              where) == "0.9");
  CHECK(QueryValue(store, "SELECT status || ' ' || seconds || ' ' || study || ' ' || seed" +
                              where) == "done 30.0 s5 42");
  // The whole params object comes back as the JSON that was stored.
  const Json params = Json::parse(QueryValue(store, "SELECT params" + where).value());
  CHECK(params == store.LoadRun(study.run_ids[1])->params);
  CHECK(Count(store, "run_summary") == 2);
}

TEST_CASE("params keep their natural SQLite type so SQL can filter on them", "[store]") {
  TempDir dir;
  Store store(dir.File("results.db"), Store::Mode::kReadWrite);
  TwoRuns study(store);
  CHECK(QueryValue(store, "SELECT run_id FROM params WHERE key = 'kmeans.k' AND value = 5") ==
        std::to_string(study.run_ids[0]));
  CHECK(QueryValue(store, "SELECT count(*) FROM params WHERE key = 'kmeans.k' AND value > 4") ==
        "2");
  CHECK(QueryValue(store, "SELECT group_concat(typeof(value), ',') FROM (SELECT value FROM params "
                          "WHERE run_id = " + std::to_string(study.run_ids[1]) +
                              " ORDER BY key)") == "integer,text,integer,text,real");
  CHECK(QueryValue(store, "SELECT value FROM params WHERE key = 'pca.whiten' AND run_id = " +
                              std::to_string(study.run_ids[1])) == "1");
  CHECK(QueryValue(store, "SELECT value FROM params WHERE key = 'train.layers' LIMIT 1") ==
        "[64,32]");
}

TEST_CASE("seeds keep all 64 bits", "[store][determinism]") {
  TempDir dir;
  Store store(dir.File("results.db"), Store::Mode::kReadWrite);
  const uint64_t big = std::numeric_limits<uint64_t>::max() - 5;
  StageRow stage = MakeStage("key", "train", "mlp");
  stage.seed = big;
  store.EnsureStage(stage);
  CHECK(store.FindStage("key")->seed == big);
  RunRow run = MakeRun(store.UpsertStudy(MakeStudy("s1"), kNow), 1, "a", {{"seed", big}});
  run.seed = big;
  const int64_t run_id = store.InsertRun(run);
  CHECK(store.LoadRun(run_id)->seed == big);
  CHECK(store.LoadRun(run_id)->params["seed"] == big);
  CHECK(QueryValue(store, "SELECT seed FROM stages") == "18446744073709551610");
}

TEST_CASE("a database with a newer schema version is refused, naming both versions",
          "[store]") {
  TempDir dir;
  const std::string path = dir.File("results.db");
  {
    Store store(path, Store::Mode::kReadWrite);
    store.Query("PRAGMA user_version = 7", [](const auto&, const auto&) {});
  }
  const auto mode = GENERATE(Store::Mode::kReadWrite, Store::Mode::kReadOnly);
  CHECK_THROWS_WITH(Store(path, mode), Contains("schema version 7") &&
                                           Contains("versions up to 2") && Contains(path));
}

TEST_CASE("reopening a database keeps its rows and creates nothing twice", "[store]") {
  TempDir dir;
  const std::string path = dir.File("results.db");
  {
    Store first(path, Store::Mode::kReadWrite);
    TwoRuns study(first);
  }
  Store store(path, Store::Mode::kReadWrite);
  CHECK(QueryValue(store, "PRAGMA user_version") == "2");
  CHECK(QueryValue(store, "PRAGMA journal_mode") == "wal");
  CHECK(QueryValue(store, "PRAGMA foreign_keys") == "1");
  CHECK(Count(store, "runs") == 2);
  CHECK(Count(store, "sqlite_schema WHERE name = 'run_summary'") == 1);
}

TEST_CASE("the integrity check of a new database says ok", "[store]") {
  TempDir dir;
  Store store(dir.File("results.db"), Store::Mode::kReadWrite);
  TwoRuns study(store);
  CHECK(store.IntegrityCheck() == "ok");
}

TEST_CASE("study_progress counts runs by status", "[store]") {
  TempDir dir;
  Store store(dir.File("results.db"), Store::Mode::kReadWrite);
  const int64_t study_id = store.UpsertStudy(MakeStudy("s1"), kNow);
  store.UpsertStudy(MakeStudy("empty"), kNow);
  const char* statuses[] = {status::kDone, status::kDone, status::kFailed, status::kSkipped,
                            status::kInterrupted, status::kPending};
  int number = 0;
  for (const char* run_status : statuses) {
    ++number;
    const int64_t run_id = store.InsertRun(MakeRun(study_id, number, std::to_string(number)));
    store.RunFinished(run_id, run_status, "", kNow);
  }
  CHECK(QueryValue(store, "SELECT format('%d %d %d %d %d %d %d', total, done, failed, skipped, "
                          "running, interrupted, pending) FROM study_progress WHERE study = "
                          "'s1'") == "6 2 1 1 0 1 1");
  CHECK(QueryValue(store, "SELECT total FROM study_progress WHERE study = 'empty'") == "0");
}

TEST_CASE("Query runs one statement and reports SQLite's message with the path", "[store]") {
  TempDir dir;
  const std::string path = dir.File("results.db");
  Store store(path, Store::Mode::kReadWrite);
  const auto ignore = [](const auto&, const auto&) {};
  CHECK_THROWS_WITH(store.Query("SELECT * FROM nonexistent", ignore),
                    Contains("no such table: nonexistent") && Contains(path));
  CHECK_THROWS_WITH(store.Query("SELECT 1; DELETE FROM runs", ignore),
                    Contains("more than one"));
  CHECK_THROWS_WITH(store.Query("  -- nothing\n", ignore), Contains("empty"));

  std::vector<std::string> columns;
  std::vector<std::optional<std::string>> values;
  store.Query("SELECT 1 AS one, NULL AS missing, 'x' AS text;  -- trailing comment",
              [&](const auto& c, const auto& v) {
                columns = c;
                values = v;
              });
  CHECK(columns == std::vector<std::string>{"one", "missing", "text"});
  REQUIRE(values.size() == 3);
  CHECK(values[0] == "1");
  CHECK_FALSE(values[1]);
  CHECK(values[2] == "x");
}

TEST_CASE("updating a stage or run that does not exist is an error", "[store]") {
  TempDir dir;
  Store store(dir.File("results.db"), Store::Mode::kReadWrite);
  CHECK_THROWS_WITH(store.StageStarted("nope", 1, kNow), Contains("no stage with key nope"));
  CHECK_THROWS_AS(store.StageFinished("nope", status::kDone, "", "", kNow), StoreError);
  CHECK_THROWS_AS(store.RunStarted(99, kNow), StoreError);
  CHECK_THROWS_AS(store.RunFinished(99, status::kDone, "", kNow), StoreError);
  CHECK_THROWS_WITH(store.InsertMetric(MetricRow{"nope", "loss", 0, 1.0, kNow}),
                    Contains("FOREIGN KEY"));
}

TEST_CASE("a NaN metric is stored as NULL and read back as NaN", "[store]") {
  TempDir dir;
  Store store(dir.File("results.db"), Store::Mode::kReadWrite);
  store.EnsureStage(MakeStage("key", "train", "mlp"));
  store.InsertMetric(
      MetricRow{"key", "loss", 0, std::numeric_limits<double>::quiet_NaN(), kNow});
  CHECK(QueryValue(store, "SELECT typeof(value) FROM metrics") == "null");
  CHECK(std::isnan(store.LoadMetrics("key").at(0).value));
}

TEST_CASE("the environment is recorded and linked to runs", "[store]") {
  TempDir dir;
  Store store(dir.File("results.db"), Store::Mode::kReadWrite);
  const int64_t run_id = store.InsertRun(MakeRun(store.UpsertStudy(MakeStudy("s"), kNow), 1, "a"));
  const EnvironmentRow env{"0.1.0", "gcc 12.2", "-O2", R"({"sqlite":"3.40.1"})", "Xeon", "avx2",
                           2, 2};
  const int64_t env_id = store.RecordEnvironment(env, kNow);
  store.SetRunEnvironment(run_id, env_id);
  CHECK(QueryValue(store, "SELECT json_extract(e.libraries, '$.sqlite') FROM runs r JOIN "
                          "environment e ON e.id = r.environment_id") == "3.40.1");
}

TEST_CASE("100000 metric rows inserted in one transaction are all stored", "[store]") {
  TempDir dir;
  Store store(dir.File("results.db"), Store::Mode::kReadWrite);
  store.EnsureStage(MakeStage("key", "train", "mlp"));
  constexpr int kRows = 100000;
  {
    auto transaction = store.Begin();
    MetricRow row{"key", "loss", 0, 0.0, kNow};
    for (int i = 0; i < kRows; ++i) {
      row.step = i;
      row.value = 1.0 / (i + 1);
      store.InsertMetric(row);
    }
    transaction.Commit();
  }
  CHECK(Count(store, "metrics") == kRows);
  CHECK(QueryValue(store, "SELECT max(step) FROM metrics") == "99999");
  CHECK(QueryValue(store, "SELECT value FROM metrics WHERE step = 3") == "0.25");
  CHECK(store.LoadMetrics("key").size() == kRows);
}
