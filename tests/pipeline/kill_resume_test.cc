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
