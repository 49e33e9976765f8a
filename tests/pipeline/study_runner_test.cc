#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <chrono>
#include <thread>

#include <cmath>
#include <fstream>

#include <algorithm>
#include <mutex>

#include "pipeline/artifact_cache.h"
#include "pipeline/executor.h"
#include "pipeline/planner.h"
#include "pipeline/reproduce.h"
#include "stages/builtin_stages.h"
#include "tests/support/fake_clock.h"
#include "tests/support/study_fixture.h"

using pipeline::ExitCode;
using testing_support::StudyFixture;

namespace {

const char* kShared =
    "study: shared\nstages:\n  data: {type: constant, value: 2, n: 8}\n"
    "  reduce: {type: add, input: data, delta: [8, 16, 64]}\n"
    "  cluster: {type: add, input: reduce, delta: {range: [5, 10]}}\n";

}  // namespace

TEST_CASE("each shared stage executes once and a re-run computes nothing", "[study_runner][integration]") {
  StudyFixture f;
  REQUIRE(f.Run(kShared) == ExitCode::kOk);
  CHECK(f.Scalar("SELECT count(*) FROM runs WHERE status = 'done'") == "18");
  CHECK(f.Scalar("SELECT count(*) FROM stages WHERE type = 'constant' AND status = 'done'") == "1");
  CHECK(f.Scalar("SELECT count(*) FROM stages WHERE name = 'reduce' AND attempts = 1") == "3");
  CHECK(f.Scalar("SELECT count(*) FROM stages WHERE name = 'cluster'") == "18");
  // Values flowed through the DAG: 2 + 8 + 5 = 15 per row, 8 rows.
  CHECK(f.Scalar("SELECT value FROM run_metrics rm JOIN runs r ON r.id = rm.run_id "
                 "WHERE r.number = 1 AND rm.stage = 'cluster'") == "120.0");

  REQUIRE(f.Run(kShared) == ExitCode::kOk);
  CHECK(f.Scalar("SELECT max(attempts) FROM stages") == "1");
  CHECK(f.Scalar("SELECT count(*) FROM runs") == "18");
}

TEST_CASE("a forced re-run recomputes every stage of the study", "[study_runner][integration]") {
  StudyFixture f;
  REQUIRE(f.Run(kShared) == ExitCode::kOk);
  pipeline::RunOptions options;
  options.force = true;
  REQUIRE(f.Run(kShared, options) == ExitCode::kOk);
  CHECK(f.Scalar("SELECT min(attempts) FROM stages") == "2");
  CHECK(f.Scalar("SELECT count(*) FROM metrics WHERE name = 'sum'") == "21");  // no duplicates
}

TEST_CASE("a failed stage skips its dependents and independent runs go on", "[study_runner][integration]") {
  StudyFixture f;
  const auto code = f.Run(
      "stages:\n  data: {type: constant}\n  check: {type: fail_if, input: data, fail: [false, true]}\n"
      "  after: {type: add, input: check, delta: 1}\n");
  CHECK(code == ExitCode::kRunsFailed);
  CHECK(f.Column("SELECT status FROM runs ORDER BY number") ==
        std::vector<std::string>{"done", "failed"});
  CHECK(f.Scalar("SELECT error FROM runs WHERE number = 2").find("asked to fail") != std::string::npos);
  CHECK(f.Scalar("SELECT status FROM stages WHERE name = 'after' AND status != 'done'") == "skipped");
  CHECK(f.Scalar("SELECT error FROM stages WHERE status = 'skipped'").find("'check' failed") !=
        std::string::npos);
}

TEST_CASE("a changed study keeps its identity and numbers new runs after the old", "[study_runner][integration]") {
  StudyFixture f;
  const std::string head = "study: grow\nstages:\n  data: {type: constant}\n  plus: {type: add, input: data, delta: ";
  REQUIRE(f.Run(head + "[1, 2]}\n") == ExitCode::kOk);
  REQUIRE(f.Run(head + "[1, 2, 3]}\n") == ExitCode::kOk);
  CHECK(f.Scalar("SELECT count(*) FROM studies") == "1");
  CHECK(f.Column("SELECT number FROM runs ORDER BY number") == std::vector<std::string>{"1", "2", "3"});
  CHECK(f.Scalar("SELECT json_extract(params_json, '$.\"plus.delta\"') FROM runs WHERE number = 3") == "3.0");
  CHECK(f.Scalar("SELECT max(attempts) FROM stages") == "1");
}

TEST_CASE("results do not depend on how many stages run at once", "[study_runner][determinism]") {
  const std::string study =
      "seed: [3, 4]\nstages:\n  data: {type: constant, n: 16}\n"
      "  noise: {type: noisy, input: data, scale: [0.5, 2]}\n  plus: {type: add, input: noise}\n";
  std::vector<std::string> values[2];
  for (int jobs : {1, 2}) {
    StudyFixture f;
    pipeline::RunOptions options;
    options.jobs = jobs;
    REQUIRE(f.Run(study, options) == ExitCode::kOk);
    values[jobs - 1] = f.Column(
        "SELECT printf('%d %s %s %.17g', r.number, m.stage, m.name, m.value) FROM run_metrics m "
        "JOIN runs r ON r.id = m.run_id ORDER BY 1");
  }
  REQUIRE(values[0].size() == 12);
  CHECK(values[0] == values[1]);
}

TEST_CASE("reproduce re-executes a run bit for bit and notices a tampered value", "[study_runner][reproduce]") {
  StudyFixture f;
  REQUIRE(f.Run("seed: 11\nstages:\n  data: {type: constant}\n  noise: {type: noisy, input: data}\n") ==
          ExitCode::kOk);
  FILE* sink = std::fopen("/dev/null", "w");
  {
    pipeline::Store store(f.db(), pipeline::Store::Mode::kReadOnly);
    const auto report = pipeline::ReproduceRun(store, 1, f.registry(), f.clock(), sink,
                                               pipeline::DefaultCacheDir(f.db()));
    REQUIRE(report.stages.size() == 2);
    CHECK(report.identical());
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(f.db().c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "UPDATE metrics SET value = value + 1e-9 WHERE name = 'first'", nullptr,
                       nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  {
    pipeline::Store store(f.db(), pipeline::Store::Mode::kReadOnly);
    const auto report = pipeline::ReproduceRun(store, 1, f.registry(), f.clock(), sink,
                                               pipeline::DefaultCacheDir(f.db()));
    CHECK_FALSE(report.identical());
    CHECK(report.first_difference() == "noise");
  }
  std::fclose(sink);
}

TEST_CASE("Ctrl-C interrupts running stages and a re-run finishes the study", "[study_runner][resume]") {
  StudyFixture f;
  const std::string study =
      "stages:\n  data: {type: constant}\n  train: {type: slow, input: data, steps: 200, sleep_ms: 5}\n";
  std::atomic<bool> cancel{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    cancel = true;
  });
  const auto code = f.Run(study, {}, "study", &cancel);
  stopper.join();
  CHECK(code == ExitCode::kInterrupted);
  CHECK(f.Scalar("SELECT status FROM stages WHERE name = 'train'") == "interrupted");
  CHECK(f.Scalar("SELECT status FROM runs") == "interrupted");

  REQUIRE(f.Run(study) == ExitCode::kOk);
  CHECK(f.Scalar("SELECT status FROM runs") == "done");
  CHECK(f.Scalar("SELECT count(*) FROM metrics WHERE name = 'step'") == "200");
  CHECK(f.Scalar("SELECT count(DISTINCT step) FROM metrics WHERE name = 'step'") == "200");
}

TEST_CASE("a dry run describes the sharing and writes nothing", "[study_runner]") {
  StudyFixture f;
  pipeline::RunOptions options;
  options.dry_run = true;
  REQUIRE(f.Run(kShared, options) == ExitCode::kOk);
  CHECK_FALSE(std::filesystem::exists(f.db()));
}

namespace {

// Asks one run at a time from a grid, in the order of the told results: after each run it
// picks the remaining run whose `plus.delta` is closest to the last `plus.sum` plus one, so
// which run comes next depends on what the previous one measured.
class OneByOnePlanner : public pipeline::Planner {
 public:
  explicit OneByOnePlanner(std::vector<pipeline::RunSpec> runs) : left_(std::move(runs)) {}

  std::vector<pipeline::RunSpec> Ask(size_t free_slots) override {
    if (left_.empty() || free_slots == 0) return {};
    size_t best = 0;
    for (size_t i = 0; i < left_.size(); ++i) {
      const double delta = left_[i].flat_params["plus.delta"].get<double>();
      const double best_delta = left_[best].flat_params["plus.delta"].get<double>();
      if (std::abs(delta - target_) < std::abs(best_delta - target_)) best = i;
    }
    pipeline::RunSpec next = left_[best];
    left_.erase(left_.begin() + static_cast<std::ptrdiff_t>(best));
    return {next};
  }

  void Tell(const pipeline::RunSpec& run, const pipeline::RunOutcome& outcome,
            pipeline::StoreWriter&) override {
    CHECK(outcome.status == pipeline::status::kDone);
    asked_deltas.push_back(run.flat_params["plus.delta"].get<double>());
    told_sums.push_back(outcome.final_metrics.at("plus.sum"));
    target_ = told_sums.back() + 1;
  }

  bool wants_metrics() const override { return true; }

  std::vector<double> asked_deltas;
  std::vector<double> told_sums;

 private:
  std::vector<pipeline::RunSpec> left_;
  double target_ = 0;
};

}  // namespace

TEST_CASE("a planner adds runs while the study runs, choosing from what it was told",
          "[study_runner][planner]") {
  StudyFixture f;
  const std::string text =
      "study: adaptive\nstages:\n  data: {type: constant, value: 0, n: 1}\n"
      "  plus: {type: add, input: data, delta: [0, 1, 2, 5, 9]}\n";
  const std::string path = f.dir() + "/adaptive.yaml";
  std::ofstream(path) << text;
  const pipeline::StudyPlan plan = pipeline::PlanStudy(path, {}, f.registry());
  OneByOnePlanner planner(plan.grid.runs);
  pipeline::RunOptions options;
  options.db_path = f.db();
  FILE* sink = std::fopen("/dev/null", "w");
  const auto code =
      pipeline::RunWithPlanner(plan.study, plan.grid, planner, options, f.clock(), nullptr, sink);
  std::fclose(sink);
  REQUIRE(code == ExitCode::kOk);
  // delta 0 first (closest to 0); each sum equals its delta, so the next is the closest to
  // delta + 1: 1, then 2, then 5 (|5 - 3| < |9 - 3|), then 9.
  CHECK(planner.asked_deltas == std::vector<double>{0, 1, 2, 5, 9});
  CHECK(planner.told_sums == std::vector<double>{0, 1, 2, 5, 9});
  // Five runs, numbered in the order they were asked; the shared data stage ran once.
  CHECK(f.Column("SELECT json_extract(params_json, '$.\"plus.delta\"') FROM runs ORDER BY number") ==
        std::vector<std::string>{"0.0", "1.0", "2.0", "5.0", "9.0"});
  CHECK(f.Scalar("SELECT count(*) FROM stages WHERE name = 'data'") == "1");
  CHECK(f.Scalar("SELECT count(*) FROM runs WHERE status = 'done'") == "5");
}

namespace {

// Runs stages in process and records what the scheduler handed it.
class RecordingExecutor : public pipeline::StageExecutor {
 public:
  RecordingExecutor(pipeline::ArtifactCache& cache, pipeline::Clock& clock,
                    std::vector<std::string>* log)
      : inner_(cache, clock, nullptr), log_(log) {}
  pipeline::StageOutcome Execute(const pipeline::StageExecution& execution,
                                 pipeline::MetricSink& metrics) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      log_->push_back(execution.stage_name + " x" + std::to_string(execution.threads));
    }
    return inner_.Execute(execution, metrics);
  }

 private:
  pipeline::InProcessExecutor inner_;
  std::vector<std::string>* log_;
  std::mutex mutex_;
};

}  // namespace

TEST_CASE("every stage runs through the executor the options supply", "[study_runner][executor]") {
  StudyFixture f;
  std::vector<std::string> log;
  pipeline::RunOptions options;
  options.cores = 2;
  options.jobs = 1;
  options.make_executor = [&log](pipeline::ArtifactCache& cache, pipeline::Clock& clock,
                                 const std::atomic<bool>*) {
    return std::make_unique<RecordingExecutor>(cache, clock, &log);
  };
  REQUIRE(f.Run("stages:\n  data: {type: constant}\n  plus: {type: add, input: data, delta: [1, 2]}\n",
                options) == ExitCode::kOk);
  std::sort(log.begin(), log.end());
  // One shared data stage and two plus stages, each with the whole 2-core share (1 job).
  CHECK(log == std::vector<std::string>{"data x2", "plus x2", "plus x2"});
  CHECK(f.Scalar("SELECT count(*) FROM metrics WHERE name = 'sum'") == "2");
  // A re-run computes nothing: the executor is not called again.
  log.clear();
  REQUIRE(f.Run("stages:\n  data: {type: constant}\n  plus: {type: add, input: data, delta: [1, 2]}\n",
                options) == ExitCode::kOk);
  CHECK(log.empty());
}

TEST_CASE("grid points that resolve to the same run are stored and run once", "[study_runner]") {
  StudyFixture f;
  REQUIRE(f.Run("stages:\n  data: {type: constant}\n  plus: {type: add, input: data, delta: [1, 1.0, 2]}\n") ==
          ExitCode::kOk);
  CHECK(f.Scalar("SELECT count(*) FROM runs") == "2");
  CHECK(f.Scalar("SELECT count(*) FROM runs WHERE status = 'done'") == "2");
  CHECK(f.Scalar("SELECT count(*) FROM metrics WHERE name = 'sum'") == "2");
}

TEST_CASE("a run that fails on a malformed data file exits with the data-error code 3",
          "[study_runner][hostile]") {
  testing_support::TempDir dir;
  const std::string csv = dir.File("ragged.csv");
  std::ofstream(csv) << "a,b\n1,2\n3\n";
  const std::string study = dir.File("ragged.yaml");
  std::ofstream(study) << "stages:\n  t: {type: csv_loader, path: " << csv << "}\n";
  const pipeline::StageRegistry builtin(stages::BuiltinStages());
  pipeline::RunOptions options;
  options.db_path = dir.File("r.db");
  testing_support::FakeClock clock;
  FILE* sink = std::fopen("/dev/null", "w");
  CHECK(pipeline::RunStudy(study, options, builtin, clock, nullptr, sink) ==
        ExitCode::kDataError);
  std::fclose(sink);
  pipeline::Store store(options.db_path, pipeline::Store::Mode::kReadOnly);
  std::string error;
  store.Query("SELECT error FROM stages", [&](const auto&, const auto& values) {
    error = values[0].value_or("");
  });
  CHECK_THAT(error, Catch::Contains("ragged.csv"));
}

TEST_CASE("the dry run labels a swept map by the fields that differ between runs",
          "[study_runner]") {
  testing_support::TempDir dir;
  const std::string study = dir.File("labels.yaml");
  std::ofstream(study) << "stages:\n  data: {type: blobs}\n  model:\n    type: train\n"
                          "    input: data\n    layers: [{type: linear, out: 3}]\n"
                          "    optimizer: {optimizer: sgd, lr: [0.1, 0.2]}\n";
  const pipeline::StageRegistry builtin(stages::BuiltinStages());
  pipeline::RunOptions options;
  options.db_path = dir.File("r.db");
  options.dry_run = true;
  testing_support::FakeClock clock;
  const std::string printed = dir.File("out.txt");
  FILE* out = std::fopen(printed.c_str(), "w");
  REQUIRE(pipeline::RunStudy(study, options, builtin, clock, nullptr, out) == ExitCode::kOk);
  std::fclose(out);
  std::ifstream in(printed);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(text, Catch::Contains("model.optimizer={lr: 0.1}"));
  CHECK_THAT(text, Catch::Contains("model.optimizer={lr: 0.2}"));
  CHECK_THAT(text, !Catch::Contains("momentum"));
}
