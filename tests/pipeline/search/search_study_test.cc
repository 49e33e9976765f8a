// Searches end to end: a study with a `search:` block runs through `RunStudy` on the `curve`
// test stage (a learning curve whose height depends on the sampled x and width), with the
// trials and pruner decisions checked in the database.

#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "pipeline/errors.h"
#include "pipeline/reproduce.h"
#include "pipeline/store.h"
#include "pipeline/study_runner.h"
#include "pipeline/search/pruner.h"
#include "pipeline/search/search_config.h"
#include "tests/support/study_fixture.h"

using Catch::Matchers::Contains;
using pipeline::ExitCode;
using testing_support::StudyFixture;

namespace {

std::string SearchStudy(const std::string& strategy, int trials, const std::string& pruner) {
  return "study: search\nseed: 5\nstages:\n"
         "  data: {type: constant, value: 1, n: 4}\n"
         "  model: {type: curve, input: data, epochs: 9, x: {uniform: [0, 1]},"
         " width: {int: [1, 8]}}\n"
         "search:\n  strategy: " + strategy + "\n  trials: " + std::to_string(trials) +
         "\n  startup_trials: 4\n  objective: model.score\n  direction: maximize\n" + pruner;
}

const char* kAsha = "  pruner: {type: asha, min_epochs: 1, reduction_factor: 3}\n";
const char* kTrialsQuery =
    "SELECT number || ' ' || params || ' ' || state || ' ' || coalesce(value, '') || ' ' || "
    "coalesce(step, '') FROM trials ORDER BY number";

}  // namespace

TEST_CASE("a TPE search with ASHA runs its trials once and a re-run computes nothing",
          "[search][integration]") {
  StudyFixture f;
  REQUIRE(f.Run(SearchStudy("tpe", 12, kAsha)) == ExitCode::kOk);
  CHECK(f.Scalar("SELECT count(*) FROM trials") == "12");
  CHECK(f.Scalar("SELECT count(*) FROM runs") == "12");
  // Every trial has its run; pruned trials' runs are pruned and keep their curve up to the
  // epoch they stopped at.
  CHECK(f.Scalar("SELECT count(*) FROM trials t JOIN runs r ON r.id = t.run_id "
                 "WHERE t.state != r.status") == "0");
  const int pruned = std::stoi(f.Scalar("SELECT count(*) FROM trials WHERE state = 'pruned'"));
  CHECK(pruned > 0);
  CHECK(f.Scalar("SELECT count(*) FROM trials t JOIN run_metrics m ON m.run_id = t.run_id "
                 "WHERE t.state = 'pruned' AND m.name = 'score' AND m.step > t.step") == "0");
  CHECK(f.Scalar("SELECT min(step) FROM trials WHERE state = 'pruned'") == "1");
  // ASHA decides only at rungs 1, 3, 9; every pruned trial has its 'prune' decision.
  CHECK(f.Column("SELECT DISTINCT step FROM trial_rungs ORDER BY step") ==
        std::vector<std::string>{"1", "3", "9"});
  CHECK(f.Scalar("SELECT count(*) FROM trial_rungs WHERE decision = 'prune'") ==
        std::to_string(pruned));
  CHECK_THAT(f.Scalar("SELECT error FROM runs WHERE status = 'pruned' LIMIT 1"),
             Contains("ASHA rung"));
  // The shared data stage ran once for all trials.
  CHECK(f.Scalar("SELECT count(*) FROM stages WHERE name = 'data'") == "1");

  REQUIRE(f.Run(SearchStudy("tpe", 12, kAsha)) == ExitCode::kOk);
  CHECK(f.Scalar("SELECT max(attempts) FROM stages") == "1");
  CHECK(f.Scalar("SELECT count(*) FROM trials") == "12");
}

TEST_CASE("a search resumed from the database proposes what an uninterrupted one would",
          "[search][integration]") {
  StudyFixture straight, resumed;
  REQUIRE(straight.Run(SearchStudy("tpe", 14, kAsha)) == ExitCode::kOk);
  // The same study stopped after 6 trials, then continued to the same total.
  REQUIRE(resumed.Run(SearchStudy("tpe", 6, kAsha)) == ExitCode::kOk);
  CHECK(resumed.Scalar("SELECT count(*) FROM trials") == "6");
  REQUIRE(resumed.Run(SearchStudy("tpe", 14, kAsha)) == ExitCode::kOk);
  const auto expected = straight.Column(kTrialsQuery);
  REQUIRE(expected.size() == 14);
  CHECK(resumed.Column(kTrialsQuery) == expected);
  CHECK(resumed.Column("SELECT trial || ' ' || step || ' ' || decision FROM trial_rungs "
                       "ORDER BY trial, step") ==
        straight.Column("SELECT trial || ' ' || step || ' ' || decision FROM trial_rungs "
                        "ORDER BY trial, step"));
  // A different seed proposes other trials.
  StudyFixture other;
  std::string text = SearchStudy("tpe", 14, kAsha);
  text.replace(text.find("seed: 5"), 7, "seed: 6");
  REQUIRE(other.Run(text) == ExitCode::kOk);
  CHECK(other.Column(kTrialsQuery) != expected);
}

TEST_CASE("TPE finds better trials than random on the same budget", "[search][integration]") {
  // Median over seeds of the best score after 30 trials (no pruning): TPE's model of the good
  // region must beat independent draws.
  auto best = [](const std::string& strategy, int seed) {
    StudyFixture f;
    std::string text = SearchStudy(strategy, 30, "");
    text.replace(text.find("seed: 5"), 7, "seed: " + std::to_string(seed));
    REQUIRE(f.Run(text) == ExitCode::kOk);
    return std::stod(f.Scalar("SELECT max(value) FROM trials"));
  };
  std::vector<double> tpe, random;
  for (int seed = 1; seed <= 5; ++seed) {
    tpe.push_back(best("tpe", seed));
    random.push_back(best("random", seed));
  }
  std::sort(tpe.begin(), tpe.end());
  std::sort(random.begin(), random.end());
  const double top = 1 * (1 - std::exp(-4.5));  // the best reachable score at epoch 9
  CHECK(top - tpe[2] < top - random[2]);
}

TEST_CASE("with two jobs two trials run at once and the total is kept", "[search][integration]") {
  StudyFixture f;
  pipeline::RunOptions options;
  options.jobs = 2;
  options.cores = 2;
  std::string text = SearchStudy("random", 8, kAsha);
  text.replace(text.find("epochs: 9"), 9, "epochs: 9, sleep_ms: 5");
  REQUIRE(f.Run(text, options) == ExitCode::kOk);
  CHECK(f.Scalar("SELECT count(*) FROM trials WHERE state IN ('done', 'pruned')") == "8");
  // Trials 1 and 2 were started together: each started before the other finished.
  CHECK(f.Scalar("SELECT count(*) FROM runs a JOIN runs b ON a.number = 1 AND b.number = 2 "
                 "WHERE a.started_at < b.finished_at AND b.started_at < a.finished_at") == "1");
}

TEST_CASE("the median pruner waits for its startup trials and then stops below-median trials",
          "[search]") {
  pipeline::PrunerConfig config;
  config.type = "median";
  config.metric = "score";
  config.min_epochs = 2;
  config.startup_trials = 2;
  auto pruner = pipeline::MakePruner(config, pipeline::Direction::kMaximize);
  // Before min_epochs: no decision.
  CHECK_FALSE(pruner->Report(1, 1, 0.1).has_value());
  for (int64_t step = 2; step <= 4; ++step) CHECK_FALSE(pruner->Report(1, step, 0.5)->prune);
  pruner->Finished(1);
  // One finished trial is fewer than startup_trials: a worse trial still goes on.
  CHECK_FALSE(pruner->Report(2, 2, 0.1)->prune);
  CHECK_FALSE(pruner->Report(2, 3, 0.7)->prune);
  CHECK_FALSE(pruner->Report(2, 4, 0.7)->prune);
  pruner->Finished(2);
  // Median at step 2 of trials 1 and 2: 0.3. 0.2 is below, 0.4 above.
  const auto low = pruner->Report(3, 2, 0.2);
  CHECK(low->prune);
  CHECK_THAT(low->reason, Contains("median"));
  CHECK_FALSE(pruner->Report(4, 2, 0.4)->prune);
  // Asked again (a resumed trial replays its epochs), the decision stays.
  CHECK(pruner->Report(3, 2, 0.9)->prune);
}

TEST_CASE("ASHA keeps the best 1/eta at each rung as each trial gets there", "[search]") {
  pipeline::PrunerConfig config;
  config.type = "asha";
  config.metric = "acc";
  config.min_epochs = 1;
  config.reduction_factor = 2;
  auto pruner = pipeline::MakePruner(config, pipeline::Direction::kMaximize);
  // Rungs at 1, 2, 4, 8; nothing is decided at 3.
  CHECK(pruner->Report(1, 1, 0.5).has_value());
  CHECK_FALSE(pruner->Report(1, 3, 0.5).has_value());
  // Alone at its rung a trial goes on; a worse second one (best 1 of 2 goes on) stops.
  CHECK_FALSE(pruner->Report(2, 1, 0.6)->prune);
  CHECK(pruner->Report(3, 1, 0.55)->prune);   // 3 trials: best 1 (0.6)
  CHECK_FALSE(pruner->Report(4, 1, 0.7)->prune);  // 4 trials: best 2 (0.7, 0.6)
  CHECK(pruner->Report(5, 1, 0.58)->prune);   // 5 trials: best 2
  // Minimising flips the order.
  auto low = pipeline::MakePruner(config, pipeline::Direction::kMinimize);
  CHECK_FALSE(low->Report(1, 1, 0.5)->prune);
  CHECK(low->Report(2, 1, 0.6)->prune);
}

TEST_CASE("bad search blocks and misplaced distributions are errors naming the key",
          "[search]") {
  StudyFixture f;
  const std::string head =
      "study: bad\nstages:\n  data: {type: constant}\n  model: {type: curve, input: data, ";
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {head + "x: {uniform: [0, 1]}}\n", "needs a `search:` block"},
      {head + "x: {uniform: [1, 0]}}\nsearch: {strategy: tpe, trials: 3, objective: model.score}\n",
       "low <= high"},
      {head + "x: {loguniform: [0, 1]}}\nsearch: {strategy: tpe, trials: 3, objective: model.score}\n",
       "low > 0"},
      {head + "width: {int: [1.5, 4]}}\nsearch: {strategy: tpe, trials: 3, objective: model.score}\n",
       "whole-number bounds"},
      {head + "x: {uniform: [0, 1]}}\nsearch: {strategy: tpx, trials: 3, objective: model.score}\n",
       "unknown strategy 'tpx'"},
      {head + "x: {uniform: [0, 1]}}\nsearch: {strategy: tpe, objective: model.score}\n",
       "needs `trials:`"},
      {head + "x: {uniform: [0, 1]}}\nsearch: {strategy: tpe, trials: 3, objective: modl.score}\n",
       "did you mean 'model'"},
      {head + "x: {uniform: [0, 1]}}\nsearch: {strategy: tpe, trials: 3, objective: model.x}\n",
       "direction: maximize | minimize"},
      {head + "x: {uniform: [0, 1]}}\nsearch: {strategy: tpe, trials: 3, objectiv: model.score}\n",
       "did you mean 'objective'"},
      {head + "x: {uniform: [0, 1]}}\nsearch: {strategy: tpe, trials: 3, objective: model.score,"
              " pruner: {type: hyperband}}\n",
       "unknown pruner 'hyperband'"},
      {head + "x: {uniform: [0, 1]}, width: [1, 2]}\n"
              "search: {strategy: tpe, trials: 3, objective: model.score}\n",
       "write {choice: [...]}"},
      {head + "width: {int: [0, 3]}}\nsearch: {strategy: tpe, trials: 3, objective: model.score}\n",
       "width"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    try {
      f.Run(c.text);
      FAIL("no error");
    } catch (const pipeline::ConfigError& e) {
      CHECK_THAT(e.what(), Contains(c.message));
      CHECK(e.line() > 0);
    }
  }
}

TEST_CASE("a grid with a pruner runs its points as trials in order and stops the poor ones",
          "[search][integration]") {
  StudyFixture f;
  const std::string text =
      "study: pruned_grid\nstages:\n  data: {type: constant, value: 1, n: 4}\n"
      "  model: {type: curve, input: data, epochs: 6, x: [0.3, 0.35, 0.9, 0.95, 1.0], width: 4}\n"
      "search:\n  objective: model.score\n"
      "  pruner: {type: median, min_epochs: 2, startup_trials: 2}\n";
  REQUIRE(f.Run(text) == ExitCode::kOk);
  CHECK(f.Column("SELECT json_extract(params, '$.\"model.x\"') FROM trials ORDER BY number") ==
        std::vector<std::string>{"0.3", "0.35", "0.9", "0.95", "1.0"});
  // The first two finish (startup); the far-off x are below their median from epoch 2 on.
  CHECK(f.Column("SELECT state FROM trials ORDER BY number") ==
        std::vector<std::string>{"done", "done", "pruned", "pruned", "pruned"});
  CHECK(f.Column("SELECT step FROM trials WHERE state = 'pruned'") ==
        std::vector<std::string>{"2", "2", "2"});
}

TEST_CASE("a pruned trial reproduces bit for bit up to the epoch it was pruned at",
          "[search][integration]") {
  StudyFixture f;
  REQUIRE(f.Run(SearchStudy("random", 8, kAsha)) == ExitCode::kOk);
  const int64_t run_id = std::stoll(f.Scalar("SELECT run_id FROM trials WHERE state = 'pruned' "
                                             "AND step >= 1 ORDER BY number LIMIT 1"));
  FILE* sink = std::fopen("/dev/null", "w");
  {
    pipeline::Store store(f.db(), pipeline::Store::Mode::kReadWrite);
    const auto report = pipeline::ReproduceRun(store, run_id, f.registry(), f.clock(), sink,
                                               pipeline::DefaultCacheDir(f.db()));
    CHECK(report.identical());
    REQUIRE(report.stages.size() == 2);
    CHECK(report.stages[1].pruned);
    CHECK(report.stages[1].metrics_compared > 0);
    // A stored value that the re-run does not give is found.
    store.Query("UPDATE metrics SET value = value + 1e-9 WHERE name = 'score' AND stage_key = "
                "(SELECT stage_key FROM run_stages WHERE run_id = " + std::to_string(run_id) +
                " AND stage = 'model')", [](const auto&, const auto&) {});
    const auto tampered = pipeline::ReproduceRun(store, run_id, f.registry(), f.clock(), sink,
                                                 pipeline::DefaultCacheDir(f.db()));
    CHECK_FALSE(tampered.identical());
    CHECK(tampered.first_difference() == "model");
  }
  std::fclose(sink);
}
