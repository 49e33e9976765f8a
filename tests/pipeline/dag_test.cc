#include <catch2/catch.hpp>

#include "pipeline/dag.h"
#include "pipeline/stage_registry.h"
#include "tests/support/test_stages.h"

namespace {

pipeline::Dag Build(const std::string& text) {
  static const pipeline::StageRegistry registry(testing_support::TestStages());
  const auto study = pipeline::ParseStudy(text, "dag.yaml");
  return pipeline::Dag::Build(study, pipeline::ExpandGrid(study, registry));
}

size_t Count(const pipeline::Dag& dag, const std::string& stage) {
  size_t n = 0;
  for (const auto& node : dag.nodes()) n += node.stage_name == stage;
  return n;
}

}  // namespace

TEST_CASE("runs that share a prefix share its nodes", "[dag]") {
  const auto dag = Build(
      "stages:\n  data: {type: constant}\n"
      "  reduce: {type: add, input: data, delta: [8, 16, 64]}\n"
      "  cluster: {type: add, input: reduce, delta: {range: [5, 10]}}\n");
  REQUIRE(dag.runs().size() == 18);
  CHECK(Count(dag, "data") == 1);
  CHECK(Count(dag, "reduce") == 3);
  CHECK(Count(dag, "cluster") == 18);
  const auto sharing = dag.Sharing();
  REQUIRE(sharing.size() == 3);
  CHECK(sharing[0].uses == 18);
  CHECK(sharing[0].nodes == 1);
  CHECK(sharing[1].nodes == 3);
  // The data node feeds all three reduce nodes.
  CHECK(dag.nodes()[0].dependents.size() == 3);
  CHECK(dag.nodes()[0].runs.size() == 18);
}

TEST_CASE("deterministic stages are shared across seeds, seeded ones are not", "[dag]") {
  const auto dag = Build(
      "seed: [1, 2, 3]\nstages:\n  data: {type: constant}\n"
      "  noise: {type: noisy, input: data}\n  plus: {type: add, input: noise}\n");
  REQUIRE(dag.runs().size() == 3);
  CHECK(Count(dag, "data") == 1);
  CHECK(Count(dag, "noise") == 3);
  CHECK(Count(dag, "plus") == 3);  // downstream of a seeded stage, so keys differ
}

TEST_CASE("a stage key covers type, parameters, inputs and code version", "[dag]") {
  pipeline::StageType type;
  type.name = "t";
  type.code_version = 1;
  const pipeline::Json params = {{"a", 1}};
  const std::string key = pipeline::StageKey(type, params, {"x"}, 1);
  CHECK(key.size() == 32);
  CHECK(pipeline::StageKey(type, {{"a", 2}}, {"x"}, 1) != key);
  CHECK(pipeline::StageKey(type, params, {"y"}, 1) != key);
  CHECK(pipeline::StageKey(type, params, {"x"}, 2) == key);  // not seeded: seed ignored
  type.code_version = 2;
  CHECK(pipeline::StageKey(type, params, {"x"}, 1) != key);
  type.code_version = 1;
  type.uses_rng = true;
  CHECK(pipeline::StageKey(type, params, {"x"}, 2) != pipeline::StageKey(type, params, {"x"}, 1));
}
