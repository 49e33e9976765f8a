#pragma once
// Dag: the runs of a grid as a graph of stage instances, where runs that agree on a stage and
// everything upstream of it share one node. A node is identified by its stage key:
//
//   key = XXH3-128 of the canonical JSON {"type", "version", "params", "inputs", "seed"}
//
// where "inputs" are the input nodes' keys (so a key covers the whole upstream chain),
// "version" is the stage type's code_version, and "seed" (the run's study seed) is included
// only for stage types that draw random numbers — a deterministic load is shared across seeds.
// The key is also the cache key on disk and the row key in the `stages` table; the recipe is
// documented in docs/stage-key.md.

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "pipeline/grid.h"
#include "pipeline/params.h"

namespace pipeline {

struct StageType;

struct DagNode {
  std::string key;
  std::string stage_name;
  const StageType* type = nullptr;
  Json params;
  std::vector<size_t> inputs;      // node indices, in the stage's declared input order
  std::vector<size_t> dependents;  // node indices
  uint64_t study_seed = 0;
  uint64_t seed = 0;               // the stage's own seed: DeriveStageSeed(study seed, key)
  std::vector<size_t> runs;        // indices into Dag::runs of the runs that use this node
};

struct DagRun {
  RunSpec spec;
  std::string identity;        // hash of the variant and the run's (stage name, key) pairs
  std::vector<size_t> nodes;   // aligned with Study::stages
  Json config;                 // {"stage": {"type", "key", "inputs", "params"}}
};

// How many stage executions the sharing saves, per stage name, for the dry run.
struct SharingLine {
  std::string stage_name;
  std::string type;
  size_t uses = 0;   // runs that contain the stage
  size_t nodes = 0;  // distinct instances to compute
};

class Dag {
 public:
  static Dag Build(const Study& study, const Grid& grid);

  // Adds one run (a search's next trial while others run): its stages join the nodes of the
  // same key. Returns the index of the run that carries it — an earlier one when the run
  // resolves to the same stages. Nodes and runs live in deques, so references to existing ones
  // stay valid; a caller that shares the Dag between threads must still serialise Add with
  // reads of the mutable parts (a node's `runs` and `dependents`).
  size_t Add(const Study& study, const std::vector<const StageType*>& types,
             const RunSpec& spec);

  const std::deque<DagNode>& nodes() const { return nodes_; }
  const std::deque<DagRun>& runs() const { return runs_; }
  // For each run of the grid, the index of the DAG run that carries it. Grid points that
  // resolve to the same stages are one run (the first); duplicate_runs() counts the others.
  const std::vector<size_t>& run_of_spec() const { return run_of_spec_; }
  size_t duplicate_runs() const { return run_of_spec_.size() - runs_.size(); }
  std::vector<SharingLine> Sharing() const;
  // A topological order of all nodes (inputs before dependents), stable in run order.
  std::vector<size_t> TopologicalOrder() const;

 private:
  std::deque<DagNode> nodes_;
  std::deque<DagRun> runs_;
  std::vector<size_t> run_of_spec_;
  std::vector<std::string> stage_order_;
  std::unordered_map<std::string, size_t> by_key_;       // stage key → node
  std::unordered_map<std::string, size_t> by_identity_;  // run identity → run
  std::map<std::string, size_t> stage_index_;            // stage name → position in the study
};

// The canonical text hashed into a key (exposed for docs and tests).
std::string StageKeyText(const StageType& type, const Json& params,
                         const std::vector<std::string>& input_keys, uint64_t study_seed);
std::string StageKey(const StageType& type, const Json& params,
                     const std::vector<std::string>& input_keys, uint64_t study_seed);

}  // namespace pipeline
