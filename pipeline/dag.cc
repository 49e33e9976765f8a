#include "pipeline/dag.h"

#include <map>
#include <unordered_map>

#include "pipeline/hash.h"
#include "pipeline/rng.h"
#include "pipeline/stage.h"

namespace pipeline {

std::string StageKeyText(const StageType& type, const Json& params,
                         const std::vector<std::string>& input_keys, uint64_t study_seed) {
  Json canonical = {{"type", type.name},
                    {"version", type.code_version},
                    {"params", params},
                    {"inputs", input_keys}};
  if (type.uses_rng) canonical["seed"] = study_seed;
  // nlohmann::json keeps object keys sorted, so dump() is canonical.
  return canonical.dump();
}

std::string StageKey(const StageType& type, const Json& params,
                     const std::vector<std::string>& input_keys, uint64_t study_seed) {
  return HashHex(StageKeyText(type, params, input_keys, study_seed));
}

Dag Dag::Build(const Study& study, const Grid& grid) {
  Dag dag;
  for (const RunSpec& spec : grid.runs) dag.run_of_spec_.push_back(dag.Add(study, grid.types, spec));
  if (dag.stage_order_.empty()) {
    for (const StageDecl& stage : study.stages) dag.stage_order_.push_back(stage.name);
  }
  return dag;
}

size_t Dag::Add(const Study& study, const std::vector<const StageType*>& types,
                const RunSpec& spec) {
  if (stage_order_.empty()) {
    for (size_t s = 0; s < study.stages.size(); ++s) {
      stage_order_.push_back(study.stages[s].name);
      stage_index_[study.stages[s].name] = s;
    }
  }
  // The run's stage keys and identity first: a grid point whose resolved parameters equal an
  // earlier one's (e.g. {lr: 0.01} and {optimizer: adam, lr: 0.01}) is that run again.
  std::vector<std::string> keys;
  Json identity = {{"variant", spec.variant}, {"stages", Json::object()}};
  for (size_t s = 0; s < study.stages.size(); ++s) {
    std::vector<std::string> input_keys;
    for (const std::string& input : study.stages[s].inputs) {
      input_keys.push_back(keys[stage_index_.at(input)]);
    }
    keys.push_back(StageKey(*types[s], spec.stage_params[s], input_keys, spec.seed));
    identity["stages"][study.stages[s].name] = keys.back();
  }
  const std::string identity_hash = HashHex(identity.dump());
  auto [same, fresh] = by_identity_.emplace(identity_hash, runs_.size());
  if (!fresh) return same->second;

  DagRun run;
  run.spec = spec;
  run.config = Json::object();
  run.identity = identity_hash;
  for (size_t s = 0; s < study.stages.size(); ++s) {
    const StageDecl& decl = study.stages[s];
    const StageType& type = *types[s];
    std::vector<size_t> input_nodes;
    for (const std::string& input : decl.inputs) {
      input_nodes.push_back(run.nodes[stage_index_.at(input)]);
    }
    const std::string& key = keys[s];
    auto [it, inserted] = by_key_.emplace(key, nodes_.size());
    if (inserted) {
      DagNode node;
      node.key = key;
      node.stage_name = decl.name;
      node.type = &type;
      node.params = spec.stage_params[s];
      node.inputs = input_nodes;
      node.study_seed = spec.seed;
      node.seed = DeriveStageSeed(spec.seed, key);
      for (size_t input : input_nodes) nodes_[input].dependents.push_back(it->second);
      nodes_.push_back(std::move(node));
    }
    DagNode& node = nodes_[it->second];
    node.runs.push_back(runs_.size());
    run.nodes.push_back(it->second);
    run.config[decl.name] = {{"type", type.name},
                             {"key", key},
                             {"inputs", decl.inputs},
                             {"params", spec.stage_params[s]}};
  }
  runs_.push_back(std::move(run));
  return runs_.size() - 1;
}

std::vector<SharingLine> Dag::Sharing() const {
  std::vector<SharingLine> lines;
  for (size_t s = 0; s < stage_order_.size(); ++s) {
    SharingLine line;
    line.stage_name = stage_order_[s];
    for (const DagNode& node : nodes_) {
      if (node.stage_name != line.stage_name) continue;
      line.type = node.type->name;
      ++line.nodes;
      line.uses += node.runs.size();
    }
    lines.push_back(line);
  }
  return lines;
}

std::vector<size_t> Dag::TopologicalOrder() const {
  // Nodes are created while walking runs in stage order, and a node's inputs always exist
  // before it, so creation order is already topological.
  std::vector<size_t> order(nodes_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  return order;
}

}  // namespace pipeline
