#include <catch2/catch.hpp>

#include <fstream>
#include <set>

#include "pipeline/dag.h"
#include "pipeline/errors.h"
#include "pipeline/grid.h"
#include "pipeline/stage_registry.h"
#include "stages/builtin_stages.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_stages.h"

using pipeline::ConfigError;
using pipeline::ExpandGrid;
using pipeline::ParseStudy;

namespace {

const pipeline::StageRegistry& Registry() {
  static const pipeline::StageRegistry registry(testing_support::TestStages());
  return registry;
}

pipeline::Grid Expand(const std::string& text) {
  return ExpandGrid(ParseStudy(text, "grid.yaml"), Registry());
}

// The ConfigError expanding `text` against the built-in stage types gives (file `file`).
ConfigError BuiltinExpandError(const std::string& text, const std::string& file) {
  static const pipeline::StageRegistry builtin(stages::BuiltinStages());
  try {
    ExpandGrid(ParseStudy(text, file), builtin);
  } catch (const ConfigError& e) {
    return e;
  }
  FAIL("expected a ConfigError for " << text);
  throw;
}

ConfigError ExpandError(const std::string& text) {
  try {
    Expand(text);
  } catch (const ConfigError& e) {
    return e;
  }
  FAIL("expected a ConfigError");
  throw;
}

}  // namespace

TEST_CASE("lists expand to the cartesian product, last axis fastest", "[grid]") {
  const auto grid = Expand(
      "stages:\n"
      "  data: {type: constant, value: [1, 2, 3]}\n"
      "  plus: {type: add, input: data, delta: [10, 20]}\n");
  REQUIRE(grid.runs.size() == 6);
  CHECK(grid.runs[0].flat_params["data.value"] == 1.0);
  CHECK(grid.runs[0].flat_params["plus.delta"] == 10.0);
  CHECK(grid.runs[1].flat_params["plus.delta"] == 20.0);
  CHECK(grid.runs[2].flat_params["data.value"] == 2.0);
  CHECK(grid.swept == std::vector<std::string>{"data.value", "plus.delta"});
  // Defaults are resolved too.
  CHECK(grid.runs[0].flat_params["data.n"] == 4);
}

TEST_CASE("zip lists vary together", "[grid]") {
  const auto grid = Expand(
      "stages:\n"
      "  data: {type: constant, value: [1, 2, 3], n: [5, 6, 7]}\n"
      "  plus: {type: add, input: data, delta: [0, 1]}\n"
      "zip:\n  - [data.value, data.n]\n");
  REQUIRE(grid.runs.size() == 6);
  std::set<std::pair<double, int>> pairs;
  for (const auto& run : grid.runs) {
    pairs.insert({run.flat_params["data.value"].get<double>(), run.flat_params["data.n"].get<int>()});
  }
  CHECK(pairs == std::set<std::pair<double, int>>{{1, 5}, {2, 6}, {3, 7}});
}

TEST_CASE("zip groups of unequal length are rejected at the zip", "[grid]") {
  const auto e = ExpandError(
      "stages:\n  data: {type: constant, value: [1, 2, 3], n: [5, 6]}\n"
      "zip:\n  - [data.value, data.n]\n");
  CHECK(e.line() == 4);
  CHECK(std::string(e.what()).find("different lengths") != std::string::npos);
}

TEST_CASE("variants expand one after another with their own overrides", "[grid]") {
  const auto grid = Expand(
      "stages:\n  data: {type: constant, value: 1}\n  plus: {type: add, input: data}\n"
      "variants:\n"
      "  - {name: small, data.n: 2}\n"
      "  - {name: big, data.n: 100, plus.delta: [1, 2]}\n");
  REQUIRE(grid.runs.size() == 3);
  CHECK(grid.runs[0].variant == "small");
  CHECK(grid.runs[0].flat_params["data.n"] == 2);
  CHECK(grid.runs[1].variant == "big");
  CHECK(grid.runs[2].flat_params["plus.delta"] == 2.0);
  CHECK(grid.runs[2].flat_params["variant"] == "big");
}

TEST_CASE("range and sweep forms expand inclusively", "[grid]") {
  const auto grid = Expand(
      "seed: {range: [1, 3]}\n"
      "stages:\n  data: {type: constant, n: {range: [2, 10, 4]}, value: {sweep: [0.5]}}\n");
  REQUIRE(grid.runs.size() == 9);
  CHECK(grid.runs[0].seed == 1);
  CHECK(grid.runs[8].seed == 3);
  CHECK(grid.runs[2].flat_params["data.n"] == 10);
}

TEST_CASE("an unknown parameter is reported at its line with the nearest name", "[grid]") {
  const auto e = ExpandError("stages:\n  data: {type: constant}\n  plus: {type: add, input: data,\n    delt: 3}\n");
  CHECK(e.line() == 4);
  CHECK(e.key_path() == "stages.plus.delt");
  CHECK(std::string(e.what()).find("did you mean 'delta'") != std::string::npos);
}

TEST_CASE("an unknown stage type lists the valid ones", "[grid]") {
  const auto e = ExpandError("stages:\n  data: {type: constnt}\n");
  CHECK(e.line() == 2);
  CHECK(std::string(e.what()).find("did you mean 'constant'") != std::string::npos);
  CHECK(std::string(e.what()).find("noisy") != std::string::npos);
}

TEST_CASE("a value of the wrong type or out of range points at the value", "[grid]") {
  auto e = ExpandError("stages:\n  data: {type: constant, n: [1, many]}\n");
  CHECK(e.line() == 2);
  CHECK(std::string(e.what()).find("not an integer") != std::string::npos);
  e = ExpandError("stages:\n  data: {type: constant, n: 0}\n");
  CHECK(std::string(e.what()).find("below the minimum") != std::string::npos);
}

TEST_CASE("a stage with the wrong number of inputs is rejected", "[grid]") {
  const auto e = ExpandError("stages:\n  plus: {type: add}\n");
  CHECK(e.key_path() == "stages.plus.inputs");
}

TEST_CASE("seeds and keys of existing runs do not change when the grid grows", "[grid][determinism]") {
  const std::string base = "seed: 5\nstages:\n  data: {type: constant, value: [1, 2]}\n"
                           "  noise: {type: noisy, input: data, scale: ";
  const auto study_small = ParseStudy(base + "[1.0]}\n", "g.yaml");
  const auto study_big = ParseStudy(base + "[0.5, 1.0, 2.0]}\n", "g.yaml");
  const auto dag_small = pipeline::Dag::Build(study_small, ExpandGrid(study_small, Registry()));
  const auto dag_big = pipeline::Dag::Build(study_big, ExpandGrid(study_big, Registry()));
  std::set<std::string> big_keys;
  std::set<uint64_t> big_seeds;
  for (const auto& node : dag_big.nodes()) {
    big_keys.insert(node.key);
    big_seeds.insert(node.seed);
  }
  for (const auto& node : dag_small.nodes()) {
    CHECK(big_keys.count(node.key) == 1);
    CHECK(big_seeds.count(node.seed) == 1);
  }
  std::set<std::string> big_runs;
  for (const auto& run : dag_big.runs()) big_runs.insert(run.identity);
  for (const auto& run : dag_small.runs()) CHECK(big_runs.count(run.identity) == 1);
}

TEST_CASE("a variant's overrides do not leak into the variants after it", "[grid]") {
  const auto grid = Expand(
      "seed: 3\nstages:\n  data: {type: constant, value: 1, n: 4}\n"
      "variants:\n"
      "  - {name: a, data.value: 5, seed: 9}\n"
      "  - {name: b, data.n: 7}\n"
      "  - {name: c}\n");
  REQUIRE(grid.runs.size() == 3);
  CHECK(grid.runs[0].flat_params["data.value"] == 5.0);
  CHECK(grid.runs[0].seed == 9);
  CHECK(grid.runs[1].flat_params["data.value"] == 1.0);
  CHECK(grid.runs[1].seed == 3);
  CHECK(grid.runs[1].flat_params["data.n"] == 7);
  CHECK(grid.runs[2].flat_params["data.n"] == 4);
  CHECK(grid.runs[2].flat_params["data.value"] == 1.0);
}

TEST_CASE("lists inside an object parameter expand into one object per combination", "[grid]") {
  static const pipeline::StageRegistry builtin(stages::BuiltinStages());
  const auto grid = ExpandGrid(
      ParseStudy("stages:\n"
                 "  data: {type: blobs}\n"
                 "  model:\n"
                 "    type: train\n"
                 "    input: data\n"
                 "    layers: [{type: linear, out: 3}]\n"
                 "    optimizer: {optimizer: sgd, lr: [0.1, 0.2], l2: {sweep: [0, 0.01]}}\n",
                 "grid.yaml"),
      builtin);
  REQUIRE(grid.runs.size() == 4);
  CHECK(grid.swept == std::vector<std::string>{"model.optimizer"});
  const pipeline::Json& last = grid.runs[3].flat_params["model.optimizer"];
  CHECK(last["optimizer"] == "sgd");
  CHECK(last["lr"] == 0.2);
  CHECK(last["l2"] == 0.01);
  CHECK(grid.runs[1].flat_params["model.optimizer"]["lr"] == 0.1);
  CHECK(grid.runs[1].flat_params["model.optimizer"]["l2"] == 0.01);
  // The layer list (a list parameter) is one value, not a sweep.
  CHECK(grid.runs[0].flat_params["model.layers"].size() == 1);
}

TEST_CASE("a stage type's own check reports mistakes inside structured parameters with the line",
          "[grid]") {
  auto expand_error = [](const std::string& text) { return BuiltinExpandError(text, "nets.yaml"); };
  const ConfigError layer = expand_error(
      "stages:\n"
      "  data: {type: blobs}\n"
      "  model:\n"
      "    type: train\n"
      "    input: data\n"
      "    layers: [{type: linear, out: 3}, {type: relux}]\n");
  CHECK(layer.file() == "nets.yaml");
  CHECK(layer.line() == 6);
  CHECK(layer.column() == 45);
  CHECK(layer.key_path() == "stages.model.layers[1].type");
  CHECK_THAT(std::string(layer.what()), Catch::Contains("did you mean 'relu'"));
  CHECK_THAT(std::string(layer.what()), Catch::Contains("relux"));

  const ConfigError optimizer = expand_error(
      "stages:\n"
      "  data: {type: blobs}\n"
      "  model:\n"
      "    type: train\n"
      "    input: data\n"
      "    layers: [{type: linear, out: 3}]\n"
      "    optimizer: {optimizer: adam, lr: 0.001, momentum: 0.9}\n");
  CHECK(optimizer.line() == 7);
  CHECK(optimizer.column() == 45);
  CHECK(optimizer.key_path() == "stages.model.optimizer.momentum");
  CHECK_THAT(std::string(optimizer.what()), Catch::Contains("setting of sgd"));
  CHECK_THAT(std::string(optimizer.what()), Catch::Contains("momentum"));

  // One bad value of a sweep is enough.
  const ConfigError sweep = expand_error(
      "stages:\n"
      "  data: {type: blobs}\n"
      "  model:\n"
      "    type: train\n"
      "    input: data\n"
      "    layers: [{type: linear, out: 3}]\n"
      "    early_stopping: {policy: [patience, counterr]}\n");
  CHECK(sweep.key_path() == "stages.model.early_stopping.policy");
  CHECK_THAT(std::string(sweep.what()), Catch::Contains("counterr"));
}

namespace {

pipeline::Dag BuiltinDag(const std::string& text) {
  static const pipeline::StageRegistry builtin(stages::BuiltinStages());
  const pipeline::Study study = ParseStudy(text, "nets.yaml");
  return pipeline::Dag::Build(study, ExpandGrid(study, builtin));
}

}  // namespace

TEST_CASE("a map parameter merges with its declared default: {lr: 0.01} is Adam, the same stage "
          "as {optimizer: adam, lr: 0.01}",
          "[grid]") {
  const pipeline::Dag dag = BuiltinDag(
      "stages:\n"
      "  data: {type: blobs}\n"
      "  model:\n"
      "    type: train\n"
      "    input: data\n"
      "    layers: [{type: linear, out: 3}]\n"
      "    optimizer: {sweep: [{lr: 0.01}, {optimizer: adam, lr: 0.01}, {optimizer: sgd, lr: 0.01}]}\n");
  // The first two grid points are one run; the dry run says so and runs it once.
  REQUIRE(dag.runs().size() == 2);
  CHECK(dag.duplicate_runs() == 1);
  CHECK(dag.run_of_spec() == std::vector<size_t>{0, 0, 1});
  std::set<std::string> model_keys;
  for (const pipeline::DagNode& node : dag.nodes()) {
    if (node.stage_name != "model") continue;
    model_keys.insert(node.key);
    if (node.params["optimizer"]["optimizer"] == "adam") {
      CHECK(node.params["optimizer"]["lr"] == 0.01);
      CHECK(node.params["optimizer"]["beta2"] == 0.999);  // the resolved value holds every field
    }
  }
  CHECK(model_keys.size() == 2);  // adam (written two ways) and sgd
  CHECK(dag.runs()[0].nodes[1] != dag.runs()[1].nodes[1]);
}

TEST_CASE("a misspelt augment transform is a configuration error at expansion, with its line",
          "[grid]") {
  static const pipeline::StageRegistry builtin(stages::BuiltinStages());
  try {
    ExpandGrid(ParseStudy("stages:\n"
                          "  data: {type: blobs}\n"
                          "  aug:\n"
                          "    type: augment\n"
                          "    input: data\n"
                          "    transforms:\n"
                          "      - {type: hflip}\n"
                          "      - {type: rotat, degrees: 10}\n",
                          "aug.yaml"),
               builtin);
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK(e.file() == "aug.yaml");
    CHECK(e.line() == 8);
    CHECK(e.key_path() == "stages.aug.transforms[1].type");
    CHECK_THAT(std::string(e.what()), Catch::Contains("did you mean 'rotate'"));
  }
}

TEST_CASE("numbers that would be accepted wrongly are configuration errors", "[grid][hostile]") {
  // nan for a float, a non-integer range for an int, an int beyond 32 bits, a seed beyond 64.
  const ConfigError nan = ExpandError("stages:\n  data: {type: constant, value: nan}\n");
  CHECK(nan.key_path() == "stages.data.value");
  CHECK_THAT(std::string(nan.what()), Catch::Contains("nan is not allowed"));
  const ConfigError range = ExpandError("stages:\n  data: {type: constant, n: {range: [1.5, 3.5]}}\n");
  CHECK_THAT(std::string(range.what()), Catch::Contains("integer first and step"));
  const ConfigError huge = ExpandError("stages:\n  data: {type: constant, n: 1e12}\n");
  CHECK_THAT(std::string(huge.what()), Catch::Contains("too large (at most 2147483647)"));
  const ConfigError seed = ExpandError("seed: 18446744073709551616\nstages:\n  data: {type: constant}\n");
  CHECK(seed.key_path() == "seed");
  CHECK_THAT(std::string(seed.what()), Catch::Contains("too large (at most 9223372036854775807)"));
  // Still fine: integral floats within range, and the largest seed.
  CHECK(Expand("stages:\n  data: {type: constant, n: 1e3}\n").runs[0].flat_params["data.n"] == 1000);
  CHECK(Expand("seed: 9223372036854775807\nstages:\n  data: {type: constant}\n").runs[0].seed ==
        9223372036854775807ULL);
}

TEST_CASE("constraints between parameters are checked at expansion, not when each run runs",
          "[grid][hostile]") {
  static const pipeline::StageRegistry builtin(stages::BuiltinStages());
  auto expand_error = [](const std::string& text) { return BuiltinExpandError(text, "checks.yaml"); };
  const ConfigError sum = expand_error(
      "stages:\n  g: {type: gmm_generator, components: 2,\n      weights: [0.5, 0.4]}\n");
  CHECK(sum.key_path() == "stages.g.weights");
  CHECK(sum.line() == 3);
  CHECK_THAT(std::string(sum.what()), Catch::Contains("sum to"));
  CHECK_THAT(std::string(expand_error("stages:\n  g: {type: gmm_generator, components: 3, "
                                      "weights: [0.5, 0.5]}\n").what()),
             Catch::Contains("weights has 2"));
  CHECK(expand_error("stages:\n  g: {type: gmm_generator, min_variance: 4, max_variance: 2}\n")
            .key_path() == "stages.g.max_variance");

  testing_support::TempDir dir;
  const std::string csv = dir.File("table.csv");
  std::ofstream(csv) << "a,b,label\n1,2,x\n3,4,y\n";
  const ConfigError label = expand_error("stages:\n  t: {type: csv_loader, path: " + csv +
                                         ", label_column: lable}\n");
  CHECK(label.key_path() == "stages.t.label_column");
  CHECK_THAT(std::string(label.what()), Catch::Contains("a, b, label"));
  CHECK(expand_error("stages:\n  t: {type: csv_loader, path: " + csv + ", delimiter: ab}\n")
            .key_path() == "stages.t.delimiter");
  // A label column that is there passes.
  CHECK_NOTHROW(ExpandGrid(ParseStudy("stages:\n  t: {type: csv_loader, path: " + csv +
                                          ", label_column: label}\n",
                                      "checks.yaml"),
                           builtin));
}

TEST_CASE("a grid of more runs than the limit is refused before any run is built", "[grid]") {
  SECTION("1000 x 1000 under the default limit of 100,000") {
    const ConfigError e = ExpandError(
        "stages:\n"
        "  data: {type: constant, value: {range: [1, 1000]}}\n"
        "  plus: {type: add, input: data, delta: {range: [1, 1000]}}\n");
    CHECK(std::string(e.what()).find("1000 (data.value) x 1000 (plus.delta), more than the "
                                     "limit of 100000 runs") != std::string::npos);
    CHECK(std::string(e.what()).find("--max-runs") != std::string::npos);
    CHECK(e.line() == 2);
    CHECK(e.key_path() == "stages.data.value");
  }
  const std::string text =
      "stages:\n"
      "  data: {type: constant, value: {range: [1, 20]}}\n"
      "  plus: {type: add, input: data, delta: {range: [1, 10]}}\n";
  SECTION("a limit given by the caller") {
    const auto study = ParseStudy(text, "grid.yaml");
    CHECK_THROWS_WITH(ExpandGrid(study, Registry(), 199),
                      Catch::Contains("20 (data.value) x 10 (plus.delta), more than the limit of "
                                      "199 runs"));
    CHECK(ExpandGrid(study, Registry(), 200).runs.size() == 200);
  }
  SECTION("the runs of all variants count together") {
    const auto study = ParseStudy(text + "variants:\n  - {name: a}\n  - {name: b}\n", "grid.yaml");
    CHECK_THROWS_WITH(ExpandGrid(study, Registry(), 399),
                      Catch::Contains("variant 'b' is 20 (data.value) x 10 (plus.delta) = 200 "
                                      "runs after 200 of earlier variants, more than the limit "
                                      "of 399 runs"));
    CHECK(ExpandGrid(study, Registry(), 400).runs.size() == 400);
  }
  SECTION("a zip group is one axis") {
    const auto study = ParseStudy(
        "stages:\n  data: {type: constant, value: {range: [1, 20]}, n: {range: [1, 20]}}\n"
        "zip:\n  - [data.value, data.n]\n",
        "grid.yaml");
    CHECK(ExpandGrid(study, Registry(), 20).runs.size() == 20);
  }
}

TEST_CASE("the lists inside one map parameter may not make more combinations than the run "
          "limit",
          "[grid]") {
  static const pipeline::StageRegistry builtin(stages::BuiltinStages());
  std::string lrs, l2s;
  for (int i = 1; i <= 20; ++i) {
    lrs += (i > 1 ? ", " : "") + std::to_string(i * 0.001);
    l2s += (i > 1 ? ", " : "") + std::to_string(i * 0.0001);
  }
  const auto study = ParseStudy(
      "stages:\n  data: {type: blobs}\n  model:\n    type: train\n    input: data\n"
      "    layers: [{type: linear, out: 3}]\n"
      "    optimizer: {optimizer: sgd, lr: [" + lrs + "], l2: [" + l2s + "]}\n",
      "grid.yaml");
  try {
    ExpandGrid(study, builtin, 399);
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("the lists in this map make more than the limit of 399 "
                                     "runs") != std::string::npos);
    CHECK(e.line() == 7);
    CHECK(e.key_path() == "stages.model.optimizer");
  }
  CHECK(ExpandGrid(study, builtin, 400).runs.size() == 400);
}

TEST_CASE("an empty list inside a map parameter is an error at its key, not a grid axis with no "
          "values",
          "[grid]") {
  static const pipeline::StageRegistry builtin(stages::BuiltinStages());
  try {
    ExpandGrid(ParseStudy("stages:\n  data: {type: blobs}\n  model:\n    type: train\n"
                          "    input: data\n    layers: [{type: linear, out: 3}]\n"
                          "    optimizer: {optimizer: sgd, lr: []}\n",
                          "grid.yaml"),
               builtin);
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("an empty list sweeps over nothing") != std::string::npos);
    CHECK(e.line() == 7);
    CHECK(e.key_path() == "stages.model.optimizer.lr");
  }
}

TEST_CASE("a GAN without its discriminator is an error at the train stage's `gan` key", "[grid][gan]") {
  const ConfigError e = BuiltinExpandError(
      "stages:\n"
      "  data: {type: idx_loader, split: train}\n"
      "  g:\n"
      "    type: train\n"
      "    input: data\n"
      "    task: gan\n"
      "    layers: [{type: linear, out: 784}, {type: tanh}]\n",
      "gan.yaml");
  CHECK_THAT(e.what(), Catch::Contains("gan.discriminator"));
  CHECK_THAT(e.key_path(), Catch::Contains("g.gan"));
  CHECK(e.line() >= 3);
}
