// A results database made by an earlier version of the pipeline is brought to the current
// schema when opened for writing, keeping every row (tests/data/store_schema_v1.sql is the
// version-1 schema as it shipped).

#include <sqlite3.h>

#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "pipeline/errors.h"
#include "pipeline/store.h"
#include "tests/support/temp_dir.h"

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void ExecRaw(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  REQUIRE(rc == SQLITE_OK);
  REQUIRE(message.empty());
}

std::string Value(pipeline::Store& store, const std::string& sql) {
  std::string value;
  store.Query(sql, [&](const auto&, const auto& values) { value = values[0].value_or("NULL"); });
  return value;
}

}  // namespace

TEST_CASE("a version-1 database is migrated to version 2 with its rows kept", "[store]") {
  testing_support::TempDir dir;
  const std::string path = dir.File("old.db");
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    ExecRaw(db, ReadFile(std::string(PIPELINE_TEST_DATA) + "/store_schema_v1.sql"));
    ExecRaw(db,
            "INSERT INTO studies (id, name, created_at, updated_at) VALUES (1, 'old', 0, 0);"
            "INSERT INTO runs (id, study_id, number, identity, status) VALUES (1, 1, 1, 'a', 'done');"
            "INSERT INTO stages (key, name, type, status) VALUES ('k', 'model', 'train', 'done');");
    // Version 1 refuses the new status.
    REQUIRE(sqlite3_exec(db, "UPDATE runs SET status = 'pruned'", nullptr, nullptr, nullptr) ==
            SQLITE_CONSTRAINT);
    sqlite3_close(db);
  }
  pipeline::Store store(path, pipeline::Store::Mode::kReadWrite);
  CHECK(Value(store, "PRAGMA user_version") == "2");
  CHECK(Value(store, "SELECT status FROM runs WHERE id = 1") == "done");
  CHECK(store.IntegrityCheck() == "ok");
  // The new status is allowed in both tables; others are still refused.
  store.Query("UPDATE runs SET status = 'pruned'", [](const auto&, const auto&) {});
  store.Query("UPDATE stages SET status = 'pruned'", [](const auto&, const auto&) {});
  CHECK(Value(store, "SELECT pruned FROM study_progress WHERE study = 'old'") == "1");
  CHECK_THROWS_AS(store.Query("UPDATE runs SET status = 'bogus'", [](const auto&, const auto&) {}),
                  pipeline::StoreError);
  // The search tables exist and work.
  pipeline::TrialRow trial;
  trial.study_id = 1;
  trial.number = 1;
  trial.run_id = 1;
  trial.params = {{"model.optimizer.lr", 0.01}};
  trial.state = "pruned";
  trial.step = 3;
  trial.intermediate = 0.5;
  store.SaveTrial(trial);
  store.InsertRung(1, {1, 1, 3, 0.5, "prune"});
  store.InsertRung(1, {1, 1, 3, 0.9, "continue"});  // a decision is never revised
  const auto trials = store.LoadTrials(1);
  REQUIRE(trials.size() == 1);
  CHECK(trials[0].params == trial.params);
  CHECK(trials[0].step == 3);
  const auto rungs = store.LoadRungs(1);
  REQUIRE(rungs.size() == 1);
  CHECK(rungs[0].decision == "prune");
  // Reopening finds version 2 and changes nothing.
  pipeline::Store again(path, pipeline::Store::Mode::kReadWrite);
  CHECK(Value(again, "SELECT count(*) FROM trials") == "1");
}
