// The crash test is real: the CLI runs in a child process, is killed with SIGKILL in the middle
// of a study, and is started again; the result must equal an uninterrupted run.

#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "pipeline/store.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

using testing_support::Wait;

namespace {

const char* kStudy =
    "study: crash\nseed: 5\nstages:\n"
    "  data: {type: blobs, n: 60000, dims: 48, centers: 12, spread: 3.0}\n"
    "  km: {type: kmeans, input: data, k: {range: [2, 13]}, n_init: 3}\n"
    "  score: {type: cluster_eval, input: km}\n";

pid_t Spawn(const std::string& study, const std::string& db) {
  return testing_support::Spawn({PIPELINE_BINARY, "run", study, "--db", db, "--plain"});
}

std::vector<std::string> Rows(const std::string& db, const std::string& sql) {
  pipeline::Store store(db, pipeline::Store::Mode::kReadOnly);
  std::vector<std::string> rows;
  store.Query(sql, [&](const std::vector<std::string>&,
                       const std::vector<std::optional<std::string>>& values) {
    std::string row;
    for (const auto& v : values) row += (v ? *v : "NULL") + "|";
    rows.push_back(row);
  });
  return rows;
}

int Count(const std::string& db, const std::string& sql) {
  try {
    const auto rows = Rows(db, sql);
    return rows.empty() ? 0 : std::stoi(rows[0]);
  } catch (const std::exception&) {
    return 0;  // not created yet
  }
}

const char* kFinalMetrics =
    "SELECT r.number, f.stage, f.name, f.step, printf('%.17g', f.value) FROM final_metrics f "
    "JOIN runs r ON r.id = f.run_id ORDER BY 1, 2, 3";

}  // namespace

TEST_CASE("a study killed with SIGKILL resumes to the same numbers", "[resume][integration][slow]") {
  testing_support::TempDir dir;
  const std::string study = dir.File("crash.yaml");
  std::ofstream(study) << kStudy;
  const std::string clean_db = dir.File("clean/results.db");
  const std::string crash_db = dir.File("crash/results.db");

  REQUIRE(Wait(Spawn(study, clean_db)) == 0);

  const pid_t child = Spawn(study, crash_db);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (Count(crash_db, "SELECT count(*) FROM stages WHERE name = 'km' AND status = 'done'") < 3 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(child, SIGKILL);
  CHECK(Wait(child) == 128 + SIGKILL);
  const int done_before = Count(crash_db, "SELECT count(*) FROM runs WHERE status = 'done'");
  INFO("runs done when killed: " << done_before);
  REQUIRE(done_before < 12);  // otherwise the kill came too late to test anything

  REQUIRE(Wait(Spawn(study, crash_db)) == 0);
  CHECK(Rows(crash_db, "PRAGMA integrity_check") == std::vector<std::string>{"ok|"});
  CHECK(Count(crash_db, "SELECT count(*) FROM runs") == 12);
  CHECK(Count(crash_db, "SELECT count(*) FROM runs WHERE status = 'done'") == 12);
  // Each stage ran to completion once after the crash; nothing is duplicated.
  CHECK(Count(crash_db, "SELECT count(*) FROM (SELECT stage_key, name, step FROM metrics "
                        "GROUP BY 1, 2, 3 HAVING count(*) > 1)") == 0);
  CHECK(Count(crash_db, "SELECT count(*) FROM stages WHERE status = 'done'") == 25);
  const auto clean = Rows(clean_db, kFinalMetrics);
  REQUIRE(clean.size() > 12 * 4);
  CHECK(Rows(crash_db, kFinalMetrics) == clean);
  // A temporary folder cut off by the kill was cleaned up.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.File("crash/cache"))) {
    CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
  }
  // Running the finished study again computes nothing.
  const int attempts = Count(crash_db, "SELECT sum(attempts) FROM stages");
  REQUIRE(Wait(Spawn(study, crash_db)) == 0);
  CHECK(Count(crash_db, "SELECT sum(attempts) FROM stages") == attempts);
  CHECK(Rows(crash_db, kFinalMetrics) == clean);
}

TEST_CASE("SIGTERM while a large grid is still being expanded ends the process at once with 130",
          "[kill_resume][integration]") {
  testing_support::TempDir dir;
  const std::string study = dir.File("big.yaml");
  {
    std::string values;
    for (int i = 1; i <= 300; ++i) values += (i > 1 ? ", " : "") + std::to_string(i);
    // 90,000 runs: seconds of expansion on a small machine.
    std::ofstream(study) << "study: big\nstages:\n  data: {type: blobs, n: [" << values
                         << "]}\n  km: {type: kmeans, input: data, k: [" << values << "]}\n";
  }
  const pid_t child = testing_support::Spawn(
      {PIPELINE_BINARY, "run", study, "--dry-run", "--db", dir.File("r.db")});
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  const auto signalled = std::chrono::steady_clock::now();
  REQUIRE(kill(child, SIGTERM) == 0);
  CHECK(Wait(child) == 130);
  CHECK(std::chrono::steady_clock::now() - signalled < std::chrono::seconds(1));
  CHECK_FALSE(std::filesystem::exists(dir.File("r.db")));  // nothing was written
}

TEST_CASE("a search killed with SIGKILL resumes to the same trials and numbers",
          "[resume][search][integration][slow]") {
  testing_support::TempDir dir;
  const std::string study = dir.File("search.yaml");
  std::ofstream(study)
      << "study: killed_search\nseed: 4\nstages:\n"
         "  data: {type: blobs, n: 3000, dims: 16, centers: 4, spread: 4.0}\n"
         "  split: {type: split, input: data, validation: 0.25}\n"
         "  train_part: {type: take, input: split, part: train}\n"
         "  validation: {type: take, input: split, part: validation}\n"
         "  model:\n    type: train\n    inputs: [train_part, validation]\n    epochs: 9\n"
         "    batch_size: 32\n"
         "    layers: [{type: linear, out: {int: [8, 64]}}, {type: relu}, {type: linear, out: 4}]\n"
         "    optimizer: {optimizer: sgd, lr: {loguniform: [1.0e-4, 0.3]}}\n"
         "search:\n  strategy: tpe\n  trials: 14\n  startup_trials: 5\n"
         "  objective: model.val_accuracy\n"
         "  pruner: {type: asha, min_epochs: 1, reduction_factor: 3}\n";
  auto spawn = [&](const std::string& db) {
    return testing_support::Spawn(
        {PIPELINE_BINARY, "run", study, "--db", db, "--plain", "--cores", "1"});
  };
  const std::string clean_db = dir.File("clean/results.db");
  const std::string crash_db = dir.File("crash/results.db");
  REQUIRE(Wait(spawn(clean_db)) == 0);

  const pid_t child = spawn(crash_db);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  // Kill it in the middle of a trial's training, a few trials in.
  while ((Count(crash_db, "SELECT count(*) FROM trials WHERE state != 'running'") < 4 ||
          Count(crash_db, "SELECT count(*) FROM metrics m JOIN run_stages rs ON "
                          "rs.stage_key = m.stage_key JOIN trials t ON t.run_id = rs.run_id "
                          "WHERE t.state = 'running' AND m.name = 'val_accuracy'") == 0) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(child, SIGKILL);
  CHECK(Wait(child) == 128 + SIGKILL);
  const int finished = Count(crash_db, "SELECT count(*) FROM trials WHERE state != 'running'");
  INFO("trials finished when killed: " << finished);
  REQUIRE(finished < 14);

  REQUIRE(Wait(spawn(crash_db)) == 0);
  const char* trials =
      "SELECT number, params, state, printf('%.17g', value), step FROM trials ORDER BY number";
  const auto clean = Rows(clean_db, trials);
  REQUIRE(clean.size() == 14);
  CHECK(Rows(crash_db, trials) == clean);
  CHECK(Rows(crash_db, "SELECT trial, step, decision FROM trial_rungs ORDER BY 1, 2") ==
        Rows(clean_db, "SELECT trial, step, decision FROM trial_rungs ORDER BY 1, 2"));
  // Every number but the timings (epoch_time, images_per_s).
  const char* numbers =
      "SELECT r.number, f.stage, f.name, f.step, printf('%.17g', f.value) FROM final_metrics f "
      "JOIN runs r ON r.id = f.run_id WHERE f.name NOT IN ('epoch_time', 'images_per_s') "
      "ORDER BY 1, 2, 3";
  CHECK(Rows(crash_db, numbers) == Rows(clean_db, numbers));
}
