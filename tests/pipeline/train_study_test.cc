// Training studies through the real CLI: a tiny MLP on synthetic blobs is trained by
// `pipeline run` in a child process; its per-epoch metrics, `pipeline reproduce`, a second run,
// determinism across result folders, a SIGKILL in the middle of training and a diverging
// variant are checked against the results database.
//
// Every run passes --cores 1 (or -j 2 --cores 2: one thread per stage as well). Two oneDNN
// threads per stage on a 2-core machine that something else is also using make each tiny
// oneDNN call wait for a descheduled thread (a 10-epoch study took 8 s instead of 0.1 s), and
// the bits of a training trajectory may depend on the thread count (stages/train/nn/network.h).

#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>

#include "pipeline/artifact_io.h"
#include "pipeline/stage_registry.h"
#include "pipeline/store.h"
#include "pipeline/study_runner.h"
#include "stages/builtin_stages.h"
#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

using testing_support::Wait;

namespace {

constexpr int kEpochs = 10;

// Two optimisers on 600 four-class blobs (450 to train, 150 to validate after every epoch).
std::string SmallStudy(const std::string& name, const std::string& second_optimizer) {
  return "study: " + name + "\nseed: 3\nstages:\n"
         "  data: {type: blobs, n: 600, dims: 8, centers: 4, spread: 3.0}\n"
         "  split: {type: split, input: data, validation: 0.25}\n"
         "  train_part: {type: take, input: split, part: train}\n"
         "  validation: {type: take, input: split, part: validation}\n"
         "  model:\n"
         "    type: train\n"
         "    inputs: [train_part, validation]\n"
         "    epochs: " + std::to_string(kEpochs) + "\n"
         "    batch_size: 32\n"
         "    layers:\n"
         "      - {type: linear, out: 16}\n"
         "      - {type: relu}\n"
         "      - {type: linear, out: 4}\n"
         "    optimizer: {optimizer: adam, lr: 0.01}\n"
         "  test: {type: evaluate, inputs: [model, validation]}\n"
         "variants:\n"
         "  - {name: adam}\n"
         "  - {name: sgd, model.optimizer: " + second_optimizer + "}\n";
}

// Six training runs of about 0.6-1.3 s each on one thread (40,000 blobs in 64 dimensions,
// 24 epochs), so that a kill lands in the middle of the study and of a training stage.
constexpr int kLongEpochs = 24;
std::string LongStudy() {
  return "study: train_crash\nseed: 4\nstages:\n"
         "  data: {type: blobs, n: 40000, dims: 64, centers: 6, spread: 25.0}\n"
         "  split: {type: split, input: data, validation: 0.25}\n"
         "  train_part: {type: take, input: split, part: train}\n"
         "  validation: {type: take, input: split, part: validation}\n"
         "  model:\n"
         "    type: train\n"
         "    inputs: [train_part, validation]\n"
         "    epochs: " + std::to_string(kLongEpochs) + "\n"
         "    batch_size: 50\n"
         "    layers:\n"
         "      - {type: linear, out: 128}\n"
         "      - {type: relu}\n"
         "      - {type: linear, out: 6}\n"
         "    optimizer: {optimizer: adam, lr: [0.001, 0.003, 0.01]}\n"
         "  test: {type: evaluate, inputs: [model, validation]}\n"
         "variants:\n"
         "  - {name: adam}\n"
         "  - {name: sgd, model.optimizer: {optimizer: sgd, lr: [0.002, 0.005, 0.01]}}\n";
}

// Starts the CLI with `args`; its stdout goes to `out` (or /dev/null), stderr to /dev/null.
pid_t Spawn(const std::vector<std::string>& args, const std::string& out = "/dev/null") {
  std::vector<std::string> argv = {PIPELINE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return testing_support::Spawn(argv, out);
}

int Cli(const std::vector<std::string>& args, const std::string& out = "/dev/null") {
  return Wait(Spawn(args, out));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
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

std::string Scalar(const std::string& db, const std::string& sql) {
  const auto rows = Rows(db, sql);
  REQUIRE(rows.size() == 1);
  return rows[0].substr(0, rows[0].size() - 1);
}

int Count(const std::string& db, const std::string& sql) {
  try {
    const auto rows = Rows(db, sql);
    return rows.empty() ? 0 : std::stoi(rows[0]);
  } catch (const std::exception&) {
    return 0;  // the database or its tables do not exist yet
  }
}

// reproduce.cc leaves timing metrics (epoch_time, images_per_s) out of its comparison; so do we.
const std::string kNotTiming =
    "substr(name, -5) != '_time' AND substr(name, -6) != '_per_s' AND "
    "substr(name, -8) != '_seconds'";

// Every metric row of every run, values printed with 17 digits (a double's bits round-trip).
const std::string kAllMetrics =
    "SELECT run_number, stage, name, step, printf('%.17g', value) FROM run_metrics WHERE " +
    kNotTiming + " ORDER BY 1, 2, 3, 4, 5";

const std::string kFinalMetrics =
    "SELECT r.number, f.stage, f.name, f.step, printf('%.17g', f.value) FROM final_metrics f "
    "JOIN runs r ON r.id = f.run_id WHERE " + kNotTiming + " ORDER BY 1, 2, 3";

const std::string kDuplicateMetrics =
    "SELECT count(*) FROM (SELECT stage_key, name, step FROM metrics GROUP BY 1, 2, 3 "
    "HAVING count(*) > 1)";

std::vector<std::string> Steps(const std::string& db, int run, const std::string& name) {
  return Rows(db, "SELECT step FROM run_metrics WHERE run_number = " + std::to_string(run) +
                      " AND stage = 'model' AND name = '" + name +
                      "' AND value IS NOT NULL ORDER BY step");
}

std::vector<std::string> OneTo(int n) {
  std::vector<std::string> steps;
  for (int i = 1; i <= n; ++i) steps.push_back(std::to_string(i) + "|");
  return steps;
}

}  // namespace

TEST_CASE("a training study logs every epoch, reproduces bit for bit and a re-run computes nothing",
          "[train_study][integration]") {
  testing_support::TempDir dir;
  const std::string study = dir.File("train.yaml");
  std::ofstream(study) << SmallStudy("train_small", "{optimizer: sgd, lr: 0.1, momentum: 0.9}");
  const std::string db = dir.File("results/results.db");

  REQUIRE(Cli({"run", study, "--db", db, "--plain", "--cores", "1"}) == 0);
  CHECK(Rows(db, "SELECT number, variant, status FROM runs ORDER BY number") ==
        std::vector<std::string>{"1|adam|done|", "2|sgd|done|"});
  for (int run : {1, 2}) {
    INFO("run " << run);
    for (const char* name : {"train_loss", "val_loss", "train_accuracy", "val_accuracy", "lr"}) {
      INFO("metric " << name);
      CHECK(Steps(db, run, name) == OneTo(kEpochs));
    }
    CHECK(Scalar(db, "SELECT value FROM run_metrics WHERE run_number = " + std::to_string(run) +
                         " AND stage = 'model' AND name = 'epochs_run'") ==
          std::to_string(kEpochs) + ".0");
    // The network learned something: the loss fell and the blobs are mostly separated.
    const auto first_last = Rows(
        db, "SELECT (SELECT value FROM run_metrics WHERE run_number = " + std::to_string(run) +
                " AND stage = 'model' AND name = 'train_loss' AND step = 1) > "
                "(SELECT value FROM run_metrics WHERE run_number = " + std::to_string(run) +
                " AND stage = 'model' AND name = 'train_loss' AND step = " +
                std::to_string(kEpochs) + ")");
    CHECK(first_last == std::vector<std::string>{"1|"});
    CHECK(Count(db, "SELECT count(*) FROM run_metrics WHERE run_number = " + std::to_string(run) +
                        " AND stage = 'test' AND name = 'accuracy' AND value > 0.5") == 1);
  }
  // The two optimisers trained two different networks.
  CHECK(Count(db, "SELECT count(DISTINCT value) FROM run_metrics WHERE stage = 'model' AND "
                  "name = 'val_loss' AND step = " + std::to_string(kEpochs)) == 2);
  CHECK(Count(db, kDuplicateMetrics) == 0);

  // `pipeline query` reads the learning curve too.
  const std::string query_out = dir.File("query.txt");
  REQUIRE(Cli({"query", "--db", db,
               "SELECT count(*) AS n FROM run_metrics WHERE name IN ('train_loss', 'val_loss')"},
              query_out) == 0);
  CHECK(ReadFile(query_out).find(std::to_string(2 * 2 * kEpochs)) != std::string::npos);

  // Every run re-executes bit for bit (timing metrics aside).
  for (const std::string& id : Rows(db, "SELECT id FROM runs ORDER BY id")) {
    const std::string run_id = id.substr(0, id.size() - 1);
    const std::string out = dir.File("reproduce-" + run_id + ".txt");
    INFO("reproduce run id " << run_id);
    CHECK(Cli({"reproduce", run_id, "--db", db}, out) == 0);
    const std::string text = ReadFile(out);
    INFO(text);
    CHECK(text.find("reproduced bit for bit (6 stages)") != std::string::npos);
    CHECK(text.find("DIFFERS") == std::string::npos);
    for (const char* stage : {"data", "split", "train_part", "validation", "model", "test"}) {
      std::istringstream lines(text);
      std::string line;
      bool identical = false;
      while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::string first, second;
        words >> first >> second;
        identical = identical || (first == stage && second == "identical");
      }
      CHECK(identical);
    }
  }

  // A second run of the unchanged file finds everything cached and computes nothing.
  const std::string before = Scalar(db, "SELECT sum(attempts) || ' ' || count(*) FROM stages");
  CHECK(before == "8 8");
  const auto metrics = Rows(db, kAllMetrics);
  const std::string rerun_out = dir.File("rerun.txt");
  REQUIRE(Cli({"run", study, "--db", db, "--plain", "--cores", "1"}, rerun_out) == 0);
  const std::string rerun = ReadFile(rerun_out);
  INFO(rerun);
  CHECK(rerun.find("8 cached, 0 to run") != std::string::npos);
  CHECK(rerun.find("nothing to compute") != std::string::npos);
  CHECK(Scalar(db, "SELECT sum(attempts) || ' ' || count(*) FROM stages") == before);
  CHECK(Count(db, "SELECT count(*) FROM runs") == 2);
  CHECK(Rows(db, kAllMetrics) == metrics);
}

TEST_CASE("the same training study in two fresh folders gives bit-identical metrics",
          "[train_study][determinism]") {
  testing_support::TempDir dir;
  const std::string study = dir.File("train.yaml");
  std::ofstream(study) << SmallStudy("train_twice", "{optimizer: sgd, lr: 0.1, momentum: 0.9}");
  const std::string first = dir.File("first/results.db");
  const std::string second = dir.File("second/results.db");
  // One stage at a time with one thread, then two at a time with one thread each.
  REQUIRE(Cli({"run", study, "--db", first, "--plain", "-j", "1", "--cores", "1"}) == 0);
  REQUIRE(Cli({"run", study, "--db", second, "--plain", "-j", "2", "--cores", "2"}) == 0);
  CHECK(Count(second, "SELECT count(*) FROM stages WHERE threads != 1") == 0);

  const auto a = Rows(first, kAllMetrics);
  const auto b = Rows(second, kAllMetrics);
  REQUIRE(a.size() > 2 * 5 * kEpochs);
  CHECK(a == b);
  const std::string outputs =
      "SELECT r.number, rs.stage, r.seed, s.output_hash FROM runs r JOIN run_stages rs ON "
      "rs.run_id = r.id JOIN stages s ON s.key = rs.stage_key ORDER BY 1, 2";
  CHECK(Rows(first, outputs).size() == 12);
  CHECK(Rows(first, outputs) == Rows(second, outputs));

  // A different seed changes the numbers (so the comparison above can fail).
  const std::string other = dir.File("other/results.db");
  REQUIRE(Cli({"run", study, "seed=4", "--db", other, "--plain", "--cores", "1"}) == 0);
  CHECK(Rows(other, kAllMetrics) != a);
}

TEST_CASE("a training study killed with SIGKILL mid-epoch resumes to the same numbers",
          "[train_study][resume][integration]") {
  testing_support::TempDir dir;
  const std::string study = dir.File("crash.yaml");
  std::ofstream(study) << LongStudy();
  const std::string clean_db = dir.File("clean/results.db");
  const std::string crash_db = dir.File("crash/results.db");
  const std::vector<std::string> flags = {"--plain", "-j", "2", "--cores", "2"};
  auto run_args = [&](const std::string& db) {
    std::vector<std::string> args = {"run", study, "--db", db};
    args.insert(args.end(), flags.begin(), flags.end());
    return args;
  };

  REQUIRE(Cli(run_args(clean_db)) == 0);
  REQUIRE(Count(clean_db, "SELECT count(*) FROM runs WHERE status = 'done'") == 6);

  // Kill once two trainings are done and another one has committed some of its epochs.
  const char* kInTraining =
      "SELECT count(*) FROM stages s WHERE s.type = 'train' AND s.status = 'running' AND "
      "EXISTS (SELECT 1 FROM metrics m WHERE m.stage_key = s.key AND m.name = 'val_loss')";
  const pid_t child = Spawn(run_args(crash_db));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool ready = false;
  while (!ready && std::chrono::steady_clock::now() < deadline) {
    ready = Count(crash_db, "SELECT count(*) FROM stages WHERE type = 'train' AND status = 'done'") >= 2 &&
            Count(crash_db, kInTraining) >= 1;
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(child, SIGKILL);
  CHECK(Wait(child) == 128 + SIGKILL);
  REQUIRE(ready);
  const int done_before = Count(crash_db, "SELECT count(*) FROM runs WHERE status = 'done'");
  const int partial = Count(crash_db, kInTraining);
  INFO("runs done when killed: " << done_before << ", trainings cut short: " << partial);
  REQUIRE(done_before < 6);  // otherwise the kill came too late to test anything
  REQUIRE(partial >= 1);

  REQUIRE(Cli(run_args(crash_db)) == 0);
  CHECK(Rows(crash_db, "PRAGMA integrity_check") == std::vector<std::string>{"ok|"});
  CHECK(Count(crash_db, "SELECT count(*) FROM runs") == 6);
  CHECK(Count(crash_db, "SELECT count(*) FROM runs WHERE status = 'done'") == 6);
  CHECK(Count(crash_db, "SELECT count(*) FROM stages WHERE status = 'done'") == 16);
  // The cut-short trainings ran again; their first attempt's epochs are gone, not duplicated.
  CHECK(Count(crash_db, "SELECT count(*) FROM stages WHERE type = 'train' AND attempts = 2") >=
        partial);
  CHECK(Count(crash_db, kDuplicateMetrics) == 0);
  for (int run = 1; run <= 6; ++run) {
    INFO("run " << run);
    CHECK(Steps(crash_db, run, "val_loss") == OneTo(kLongEpochs));
    CHECK(Steps(crash_db, run, "train_loss") == OneTo(kLongEpochs));
  }

  const auto clean_final = Rows(clean_db, kFinalMetrics);
  REQUIRE(clean_final.size() > 6 * 10);
  CHECK(Rows(crash_db, kFinalMetrics) == clean_final);
  const auto clean_all = Rows(clean_db, kAllMetrics);
  CHECK(Rows(crash_db, kAllMetrics) == clean_all);
  // The model files are the same bytes.
  CHECK(Rows(crash_db, "SELECT name, content_hash FROM artifacts ORDER BY 1, 2") ==
        Rows(clean_db, "SELECT name, content_hash FROM artifacts ORDER BY 1, 2"));
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.File("crash/cache"))) {
    CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);
  }

  // Running the finished study again computes nothing.
  const int attempts = Count(crash_db, "SELECT sum(attempts) FROM stages");
  REQUIRE(Cli(run_args(crash_db)) == 0);
  CHECK(Count(crash_db, "SELECT sum(attempts) FROM stages") == attempts);
  CHECK(Rows(crash_db, kAllMetrics) == clean_all);
}

TEST_CASE("a diverging training run fails with 'diverged' while the other variant finishes",
          "[train_study][integration]") {
  testing_support::TempDir dir;
  const std::string study = dir.File("diverge.yaml");
  std::ofstream(study) << SmallStudy("train_diverge", "{optimizer: sgd, lr: 1.0e6}");
  const std::string db = dir.File("results/results.db");

  CHECK(Cli({"run", study, "--db", db, "--plain", "--cores", "1"}) == 1);
  CHECK(Rows(db, "SELECT number, variant, status FROM runs ORDER BY number") ==
        std::vector<std::string>{"1|adam|done|", "2|sgd|failed|"});
  CHECK(Scalar(db, "SELECT error FROM runs WHERE number = 1") == "");
  const std::string run_error = Scalar(db, "SELECT error FROM runs WHERE number = 2");
  CHECK_THAT(run_error, Catch::Matchers::Contains("diverged") && Catch::Matchers::Contains("model"));
  // The training stage failed with the trainer's message; the evaluation after it was skipped.
  const std::string stage_error = Scalar(
      db, "SELECT s.error FROM stages s JOIN run_stages rs ON rs.stage_key = s.key "
          "JOIN runs r ON r.id = rs.run_id WHERE r.number = 2 AND rs.stage = 'model' "
          "AND s.status = 'failed'");
  CHECK_THAT(stage_error, Catch::Matchers::Contains("training diverged in epoch") &&
                              Catch::Matchers::Contains("learning rate"));
  CHECK(Scalar(db, "SELECT s.status FROM stages s JOIN run_stages rs ON rs.stage_key = s.key "
                   "JOIN runs r ON r.id = rs.run_id WHERE r.number = 2 AND rs.stage = 'test'") ==
        "skipped");
  // The healthy variant trained every epoch and was evaluated.
  CHECK(Steps(db, 1, "val_loss") == OneTo(kEpochs));
  CHECK(Count(db, "SELECT count(*) FROM run_metrics WHERE run_number = 1 AND stage = 'test' AND "
                  "name = 'accuracy'") == 1);
  CHECK(Count(db, "SELECT failed FROM study_progress WHERE study = 'train_diverge'") == 1);
}

TEST_CASE("init_from run:<id>/<stage> starts from another study's checkpoint",
          "[train_study][integration]") {
  testing_support::TempDir dir;
  const std::string db = dir.File("results/results.db");
  const std::string first = dir.File("first.yaml");
  std::ofstream(first) << SmallStudy("pretrain", "{optimizer: sgd, lr: 0.1}");
  REQUIRE(Cli({"run", first, "--db", db, "--plain", "--cores", "1"}) == 0);

  // Fine-tune run 1's model with everything but the last layer frozen.
  auto tune_study = [&](const std::string& reference) {
    const std::string path = dir.File("tune.yaml");
    std::ofstream(path) << "study: tune\nseed: 5\nstages:\n"
                           "  data: {type: blobs, n: 200, dims: 8, centers: 4, spread: 3.0}\n"
                           "  model:\n"
                           "    type: train\n"
                           "    input: data\n"
                           "    epochs: 2\n"
                           "    init_from: " + reference + "\n"
                           "    freeze: ['*']\n"
                           "    trainable: [linear2]\n"
                           "    layers:\n"
                           "      - {type: linear, out: 16}\n"
                           "      - {type: relu}\n"
                           "      - {type: linear, out: 4}\n";
    return path;
  };
  REQUIRE(Cli({"run", tune_study("run:1/model"), "--db", db, "--plain", "--cores", "1"}) == 0);
  CHECK(Scalar(db, "SELECT value FROM run_metrics WHERE study = 'tune' AND "
                   "name = 'init_tensors_loaded'") == "4.0");
  // The frozen first layer is exactly the pretrained one: compare the two checkpoints' tensors.
  const std::string pretrained_key =
      Scalar(db, "SELECT stage_key FROM run_stages WHERE run_id = 1 AND stage = 'model'");
  const std::string tuned_key = Scalar(
      db, "SELECT rs.stage_key FROM run_stages rs JOIN runs r ON r.id = rs.run_id JOIN studies s "
          "ON s.id = r.study_id WHERE s.name = 'tune' AND rs.stage = 'model'");
  const std::string cache = dir.File("results/cache");
  const pipeline::Artifact before = pipeline::ReadArtifactFile(
      cache + "/" + pretrained_key.substr(0, 2) + "/" + pretrained_key + "/output.art");
  const pipeline::Artifact after = pipeline::ReadArtifactFile(
      cache + "/" + tuned_key.substr(0, 2) + "/" + tuned_key + "/output.art");
  const pipeline::Tensor& w0 = before.Get("model/linear1.weight");
  const pipeline::Tensor& w1 = after.Get("model/linear1.weight");
  REQUIRE(w0.size() == w1.size());
  CHECK(std::equal(w0.f32(), w0.f32() + w0.size(), w1.f32()));
  const pipeline::Tensor& h0 = before.Get("model/linear2.weight");
  const pipeline::Tensor& h1 = after.Get("model/linear2.weight");
  CHECK_FALSE(std::equal(h0.f32(), h0.f32() + h0.size(), h1.f32()));

  // The reference became the referenced stage's key, not a path into this cache: planning
  // the study against a copy of the cache in another folder gives the same stage keys.
  CHECK(Scalar(db, "SELECT json_extract(params_json, '$.init_from') FROM stages WHERE key = '" +
                       tuned_key + "'") == "stage:" + pretrained_key);
  const std::string other_cache = dir.File("elsewhere/cache");
  std::filesystem::create_directories(dir.File("elsewhere"));
  std::filesystem::copy(cache, other_cache, std::filesystem::copy_options::recursive);
  const pipeline::StageRegistry registry(stages::BuiltinStages());
  const pipeline::StudyPlan here =
      pipeline::PlanStudy(tune_study("run:1/model"), {}, registry, db, cache);
  const pipeline::StudyPlan there =
      pipeline::PlanStudy(tune_study("run:1/model"), {}, registry, db, other_cache);
  REQUIRE(here.dag.nodes().size() == there.dag.nodes().size());
  for (size_t n = 0; n < here.dag.nodes().size(); ++n) {
    CHECK(here.dag.nodes()[n].key == there.dag.nodes()[n].key);
  }
  CHECK(here.dag.nodes().back().key == tuned_key);
  // `reproduce` re-executes the tuned run from the database, reading the referenced
  // checkpoint from the results cache (run 2 is the tune run).
  CHECK(Cli({"reproduce", "2", "--db", db}) == 0);
  // Without the referenced output in the cache the plan is refused (exit 2).
  CHECK(Cli({"run", tune_study("run:1/model"), "--db", db, "--cache", dir.File("empty"),
             "--plain"}) == 2);

  // A run or stage that does not exist is a configuration error (exit 2), nothing runs.
  CHECK(Cli({"run", tune_study("run:99/model"), "--db", db, "--plain"}) == 2);
  CHECK(Cli({"run", tune_study("run:1/nothing"), "--db", db, "--plain"}) == 2);
  CHECK(Cli({"run", tune_study("run:x/model"), "--db", db, "--plain"}) == 2);
}
