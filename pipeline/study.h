#pragma once
// Study: a study file parsed, with the position of every key kept for error messages.
//
// A study file (see README.md, "Writing a study"):
//
//   study: quickstart            # name; the study's identity in the database (default: file stem)
//   seed: 42                     # or a list: one run per seed
//   stages:                      # in order; a stage may only read stages declared above it
//     data:  {type: idx_loader, split: train, limit: 5000}
//     pca:   {type: pca, input: data, components: [8, 16, 64]}   # a list is a sweep
//     km:    {type: kmeans, input: pca, k: {range: [5, 10]}}
//   zip:                          # axes that vary together instead of as a product
//     - [pca.components, km.k]
//   variants:                     # named sets of overrides; each expands on its own
//     - {name: small, data.limit: 1000}
//
// Parsing checks only the shape of the file; parameter names and types are checked against the
// stage registry when the grid is expanded (grid.h).

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace pipeline {

// A position in the study file (1-based; 0 when unknown, e.g. a command-line override).
struct SourceMark {
  int line = 0;
  int column = 0;
};

// One parameter as written: its YAML value (scalar, list, map, or a `sweep:`/`range:` form).
struct ParamDecl {
  std::string name;
  YAML::Node value;
  SourceMark mark;
};

struct StageDecl {
  std::string name;
  std::string type;
  std::vector<std::string> inputs;
  std::vector<ParamDecl> params;  // in file order
  SourceMark mark;
  SourceMark type_mark;

  const ParamDecl* FindParam(const std::string& param) const;
  ParamDecl* FindParam(const std::string& param);
};

// A `zip:` group: parameter paths ("stage.param" or "seed") whose sweeps advance together.
struct ZipDecl {
  std::vector<std::string> paths;
  SourceMark mark;
};

// A named set of overrides ("stage.param" or "seed" → value).
struct VariantDecl {
  std::string name;
  std::vector<std::pair<std::string, ParamDecl>> overrides;
  SourceMark mark;
};

struct Study {
  std::string name;
  std::string description;
  std::string file;  // path as given, for messages
  std::string text;  // the file's text
  ParamDecl seed;    // scalar or sweep
  std::vector<StageDecl> stages;
  std::vector<ZipDecl> zips;
  std::vector<VariantDecl> variants;
  // The `search:` block as written (a map), or null; search_config.h reads it.
  YAML::Node search;
  SourceMark search_mark;
  // The `launcher:` block (a map), or null: defaults for `pipeline submit` (launcher_config.h).
  YAML::Node launcher;
  // The metric the study is judged by when it has no search, `objective: stage.metric` or
  // `objective: {metric: stage.metric, direction: maximize | minimize}`: the report's headline
  // is the best run by it. Empty when not given; the stage is checked to exist. The direction
  // is "" when not given (the metric's name then says it, as for a search).
  std::string objective;
  std::string objective_direction;

  const StageDecl* FindStage(const std::string& stage) const;
  StageDecl* FindStage(const std::string& stage);
};

// The largest study file LoadStudyFile reads (16 MiB); larger files are a ConfigError.
inline constexpr size_t kMaxStudyFileBytes = size_t{16} << 20;

// Parses a study file. Throws ConfigError with file:line:column and the key path for malformed
// YAML, unknown top-level keys (with the nearest valid one) and structural mistakes, and for
// hostile input (yaml_guard.h). LoadStudyFile reads only a regular file of at most
// kMaxStudyFileBytes: a directory, a device (/dev/zero) or a pipe is a ConfigError.
Study LoadStudyFile(const std::string& path);
Study ParseStudy(const std::string& text, const std::string& file_name);

// Applies a command-line override "stage.param=value", "seed=1,2,3" or "stage.param=[1,2]".
// A value with commas becomes a sweep list; values are parsed as YAML scalars. "study=name"
// renames the study (its own rows in the database, e.g. the same search without pruning) and
// "search.key=value" sets a key of the `search:` block (search.pruner=none, search.trials=20).
void ApplyOverride(Study& study, const std::string& assignment);

// Edit distance based suggestion: the candidate nearest to `word`, or "" if none is close.
std::string NearestName(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace pipeline
