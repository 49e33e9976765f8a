#pragma once
// Resolving values against parameter declarations (params.h): the one place where a study's
// YAML (or a JSON value from a test, a database row or a factory) becomes the value a stage
// receives. Scalars are converted to the declared type and checked against range and choices;
// maps with declared fields are merged with the declared default field by field (a tagged map
// keeps the default's fields only while it names the default's variant), and every field's
// own default fills what is left; lists resolve each item against the item schema. Unknown
// keys get "did you mean", keys of another variant say whose setting they are, and errors from
// YAML carry the file, line, column and full key path ("stages.net.optimizer.lr").
//
// Resolution is idempotent: resolving a resolved value gives it back unchanged, so a stage key
// computed from resolved values is the same however the study spelt them ({lr: 0.01} and
// {optimizer: adam, lr: 0.01} are one stage).

#include <string>

#include <yaml-cpp/yaml.h>

#include "pipeline/params.h"
#include "pipeline/study.h"

namespace pipeline {

// Where a value was written, for messages. `mark` is used where a YAML node has none.
struct ValueSite {
  std::string file;
  SourceMark mark;
  std::string key_path;
};

// Resolves a YAML value (positions come from its nodes). Throws ConfigError at the offending
// node, with `site.key_path` extended by the nested keys and list indices.
Json ResolveParam(const ParamSpec& spec, const YAML::Node& node, const ValueSite& site);

// Resolves a JSON value (no positions: errors name only the key path).
Json ResolveParam(const ParamSpec& spec, const Json& value, const std::string& key_path);

// The declared default, resolved (a structured map with every field filled in). Throws
// ConfigError if the parameter is required.
Json ResolveDefault(const ParamSpec& spec, const std::string& key_path);

// "float in [0, 1]", "string (one of a b)", "map", ... for messages and help.
std::string DescribeParam(const ParamSpec& spec);

// The help lines of one parameter and, indented below it, its fields and variants, e.g.
//   optimizer (map, default {"lr":0.001,"optimizer":"adam"})
//       the optimiser and its settings
//       optimizer: sgd | adagrad | rmsprop | adam
//       l2 (float >= 0, default 0)  ...
//       when optimizer: sgd — plain SGD
//         lr (float > 0, default 0.01)  ...
std::string ParamHelp(const ParamSpec& spec, int indent);

// Generic YAML → JSON (numbers, bools, null, strings, lists, maps) for free-form values.
Json YamlToJson(const YAML::Node& node);

}  // namespace pipeline
