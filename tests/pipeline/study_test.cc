#include <catch2/catch.hpp>

#include "pipeline/errors.h"
#include "pipeline/study.h"

using pipeline::ConfigError;
using pipeline::ParseStudy;

namespace {

ConfigError ParseError(const std::string& text) {
  try {
    ParseStudy(text, "study.yaml");
  } catch (const ConfigError& e) {
    return e;
  }
  FAIL("expected a ConfigError");
  throw;
}

}  // namespace

TEST_CASE("a study file keeps its stages in file order with their inputs", "[study]") {
  const auto study = ParseStudy(
      "study: demo\nseed: 7\nstages:\n"
      "  data: {type: constant, value: 2}\n"
      "  plus: {type: add, input: data, delta: [1, 2]}\n"
      "  both: {type: fail_if, inputs: [plus]}\n",
      "demo.yaml");
  REQUIRE(study.name == "demo");
  REQUIRE(study.stages.size() == 3);
  CHECK(study.stages[0].name == "data");
  CHECK(study.stages[1].inputs == std::vector<std::string>{"data"});
  CHECK(study.stages[2].inputs == std::vector<std::string>{"plus"});
  CHECK(study.stages[1].FindParam("delta")->value.IsSequence());
  CHECK(study.stages[1].mark.line == 5);
}

TEST_CASE("the study name defaults to the file stem", "[study]") {
  const auto study = ParseStudy("stages:\n  a: {type: constant}\n", "dir/my_study.yaml");
  CHECK(study.name == "my_study");
}

TEST_CASE("malformed YAML is reported with file, line and column", "[study]") {
  const ConfigError e = ParseError("stages:\n  a: {type: constant\n  b: [\n");
  CHECK(e.file() == "study.yaml");
  CHECK(e.line() >= 2);
  CHECK(std::string(e.what()).find("study.yaml:") == 0);
}

TEST_CASE("an unknown top-level key suggests the nearest valid one", "[study]") {
  const ConfigError e = ParseError("stages:\n  a: {type: constant}\nvariant:\n  - {name: x}\n");
  CHECK(e.line() == 3);
  CHECK(e.column() == 1);
  CHECK(std::string(e.what()).find("did you mean 'variants'") != std::string::npos);
}

TEST_CASE("a study names its objective as stage.metric, with or without a direction", "[study]") {
  const auto plain = ParseStudy("objective: gmm.bic\nstages:\n  gmm: {type: constant}\n", "s.yaml");
  CHECK(plain.objective == "gmm.bic");
  CHECK(plain.objective_direction.empty());
  const auto full = ParseStudy(
      "stages:\n  gmm: {type: constant}\nobjective: {metric: gmm.aic, direction: minimize}\n",
      "s.yaml");
  CHECK(full.objective == "gmm.aic");
  CHECK(full.objective_direction == "minimize");
  CHECK(ParseStudy("stages:\n  a: {type: constant}\n", "s.yaml").objective.empty());

  const ConfigError unknown = ParseError("objective: gnm.bic\nstages:\n  gmm: {type: constant}\n");
  CHECK(unknown.line() == 1);
  CHECK(std::string(unknown.what()).find("did you mean 'gmm'") != std::string::npos);
  CHECK(std::string(ParseError("objective: bic\nstages:\n  gmm: {type: constant}\n").what())
            .find("stage.metric") != std::string::npos);
  CHECK(ParseError("objective: {metric: gmm.bic, direction: lower}\nstages:\n  gmm: {type: "
                   "constant}\n").key_path() == "objective.direction");
}

TEST_CASE("an input naming a later or unknown stage is an error at that stage", "[study]") {
  const ConfigError e = ParseError(
      "stages:\n  data: {type: constant}\n  plus: {type: add, input: dat}\n");
  CHECK(e.line() == 3);
  CHECK(e.key_path() == "stages.plus.inputs");
  CHECK(std::string(e.what()).find("did you mean 'data'") != std::string::npos);
}

TEST_CASE("a stage without a type is rejected with its key path", "[study]") {
  const ConfigError e = ParseError("stages:\n  data: {value: 3}\n");
  CHECK(e.key_path() == "stages.data");
  CHECK(e.line() == 2);
}

TEST_CASE("duplicate keys are rejected, not silently merged", "[study]") {
  const ConfigError e = ParseError("stages:\n  a: {type: constant, value: 1, value: 2}\n");
  CHECK(e.key_path() == "stages.a.value");
}

TEST_CASE("command-line overrides replace values and turn comma lists into sweeps", "[study]") {
  auto study = ParseStudy("stages:\n  a: {type: constant, value: 1}\n", "s.yaml");
  pipeline::ApplyOverride(study, "a.value=3,4,5");
  pipeline::ApplyOverride(study, "a.n=10");
  pipeline::ApplyOverride(study, "seed=9");
  const auto* value = study.stages[0].FindParam("value");
  REQUIRE(value->value.IsSequence());
  CHECK(value->value.size() == 3);
  CHECK(study.stages[0].FindParam("n")->value.as<int>() == 10);
  CHECK(study.seed.value.as<int>() == 9);
  CHECK_THROWS_AS(pipeline::ApplyOverride(study, "b.value=1"), ConfigError);
  CHECK_THROWS_AS(pipeline::ApplyOverride(study, "novalue"), ConfigError);
}

TEST_CASE("nearest-name suggestions need a close match", "[study]") {
  CHECK(pipeline::NearestName("kmean", {"kmeans", "pca"}) == "kmeans");
  CHECK(pipeline::NearestName("zzzzzz", {"kmeans", "pca"}).empty());
}

TEST_CASE("stage maps take YAML merge keys: own keys win, then earlier merged maps", "[study]") {
  const auto study = ParseStudy(
      "stages:\n"
      "  data: {type: constant, value: 2}\n"
      "  first: &base\n"
      "    type: add\n"
      "    input: data\n"
      "    delta: 1\n"
      "  second:\n"
      "    <<: *base\n"
      "    delta: 5\n"
      "  third:\n"
      "    <<: [{delta: 7, scale: 2}, *base]\n",
      "merge.yaml");
  const auto* second = study.FindStage("second");
  REQUIRE(second != nullptr);
  CHECK(second->type == "add");
  CHECK(second->inputs == std::vector<std::string>{"data"});
  CHECK(second->FindParam("delta")->value.as<int>() == 5);
  CHECK(second->FindParam("delta")->mark.line == 9);  // its own line, not the anchor's
  const auto* third = study.FindStage("third");
  CHECK(third->type == "add");
  CHECK(third->FindParam("delta")->value.as<int>() == 7);
  CHECK(third->FindParam("scale")->value.as<int>() == 2);

  const ConfigError e = ParseError(
      "stages:\n"
      "  data: {type: constant, value: 2}\n"
      "  other:\n"
      "    <<: 3\n"
      "    type: add\n");
  CHECK(e.line() == 4);
  CHECK(e.key_path() == "stages.other.<<");
  CHECK_THAT(e.what(), Catch::Contains("merge key"));
}
