// Implementation notes: expansion works per variant on a copy of the study with the variant's
// overrides applied. Each stage parameter becomes either a fixed value or an Axis (a list of
// converted values); zip groups merge their axes into one whose values are tuples. A mixed-radix
// counter then walks the product. Values are converted once per axis, not once per run.

#include "pipeline/grid.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "pipeline/errors.h"
#include "pipeline/param_schema.h"
#include "pipeline/stage_registry.h"

namespace pipeline {
namespace {

struct Axis {
  std::vector<std::string> paths;       // one path, or several for a zip group
  std::vector<std::vector<Json>> values;  // values[i][p]: i-th point, p-th path
};

struct Fixed {
  std::string path;
  Json value;
};

// a * b, or `limit` + 1 if that is more than `limit` (no overflow).
size_t CappedProduct(size_t a, size_t b, size_t limit) {
  if (a == 0 || b == 0) return 0;
  return a > limit / b ? limit + 1 : a * b;
}

std::string TooManyRunsHint(size_t max_runs) {
  return "more than the limit of " + std::to_string(max_runs) +
         " runs; narrow the sweeps, or allow more with `pipeline run --max-runs N`";
}

bool IsSingleKeyMap(const YAML::Node& node, const char* key) {
  return node.IsMap() && node.size() == 1 && node[key];
}

// Whether a list written for `key` of a map parameter is the field's value rather than a sweep
// over it (a field declared as a list or a range).
bool ListIsValue(const ParamSpec& spec, const YAML::Node& object, const std::string& key) {
  const ParamSpec* variant = nullptr;
  if (!spec.tag.empty() && object[spec.tag] && object[spec.tag].IsScalar()) {
    variant = spec.FindVariant(object[spec.tag].Scalar());
  }
  const ParamSpec* field = spec.FindField(key, variant);
  return field != nullptr &&
         (field->type == ParamType::kList || field->type == ParamType::kRange);
}

// An object parameter (e.g. an optimiser {optimizer: sgd, lr: [0.05, 0.1], l2: [0, 0.001]})
// whose keys hold lists (or `sweep:` lists) is a grid of its own: one object per combination,
// the last key varying fastest. Objects without lists give themselves. Throws ConfigError at
// `decl` if the combinations would be more than `max_runs` (before making any).
std::vector<YAML::Node> ExpandObject(const ParamSpec& spec, const ParamDecl& decl,
                                     const std::string& file, const std::string& path,
                                     size_t max_runs) {
  const YAML::Node& node = decl.value;
  auto swept_items = [&](const std::string& key, const YAML::Node& value) -> YAML::Node {
    if (value.IsSequence() && !ListIsValue(spec, node, key)) return value;
    if (IsSingleKeyMap(value, "sweep") && value["sweep"].IsSequence()) return value["sweep"];
    return YAML::Node(YAML::NodeType::Undefined);
  };
  size_t combinations = 1;
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    const YAML::Node items = swept_items(key, entry.second);
    if (!items.IsDefined()) continue;
    if (items.size() == 0) {
      const YAML::Mark mark = entry.first.Mark();
      throw ConfigError("an empty list sweeps over nothing", file,
                        mark.is_null() ? decl.mark.line : mark.line + 1,
                        mark.is_null() ? decl.mark.column : mark.column + 1, path + "." + key);
    }
    combinations = CappedProduct(combinations, items.size(), max_runs);
  }
  if (combinations > max_runs) {
    throw ConfigError("the lists in this map make " + TooManyRunsHint(max_runs), file,
                      decl.mark.line, decl.mark.column, path);
  }
  std::vector<YAML::Node> objects = {node};  // the node itself keeps its positions
  for (const auto& entry : node) {
    const std::string key = entry.first.as<std::string>();
    const YAML::Node items = swept_items(key, entry.second);
    if (!items.IsDefined()) continue;
    std::vector<YAML::Node> expanded;
    for (const YAML::Node& object : objects) {
      for (const YAML::Node& item : items) {
        YAML::Node copy = YAML::Clone(object);
        copy[key] = YAML::Clone(item);
        expanded.push_back(copy);
      }
    }
    objects = std::move(expanded);
  }
  return objects;
}

// The candidate values of one declared parameter: one element for a fixed value.
std::vector<Json> ExpandValue(const ParamSpec& spec, const ParamDecl& decl,
                              const std::string& file, const std::string& path,
                              size_t max_runs) {
  const YAML::Node& node = decl.value;
  std::vector<Json> values;
  auto convert = [&](const YAML::Node& item) {
    SourceMark mark = decl.mark;
    if (!item.Mark().is_null()) mark = {item.Mark().line + 1, item.Mark().column + 1};
    values.push_back(ResolveParam(spec, item, {file, mark, path}));
  };
  if (IsSingleKeyMap(node, "sweep")) {
    const YAML::Node items = node["sweep"];
    if (!items.IsSequence() || items.size() == 0) {
      throw ConfigError("`sweep:` takes a non-empty list of values", file, decl.mark.line,
                        decl.mark.column, path);
    }
    for (const YAML::Node& item : items) convert(item);
  } else if (IsSingleKeyMap(node, "range")) {
    const Json bounds = YamlToJson(node["range"]);
    if (!bounds.is_array() || bounds.size() < 2 || bounds.size() > 3 ||
        !std::all_of(bounds.begin(), bounds.end(), [](const Json& b) { return b.is_number(); })) {
      throw ConfigError("`range:` takes [first, last] or [first, last, step] (inclusive)", file,
                        decl.mark.line, decl.mark.column, path);
    }
    const double first = bounds[0].get<double>();
    const double last = bounds[1].get<double>();
    const double step = bounds.size() == 3 ? bounds[2].get<double>() : 1.0;
    if (step <= 0 || last < first || (last - first) / step > 100000) {
      throw ConfigError("`range:` needs first <= last and a positive step", file, decl.mark.line,
                        decl.mark.column, path);
    }
    if (spec.type == ParamType::kInt &&
        (std::floor(first) != first || std::floor(step) != step)) {
      throw ConfigError("`range:` of an integer parameter needs integer first and step, got [" +
                            bounds[0].dump() + ", " + bounds[1].dump() +
                            (bounds.size() == 3 ? ", " + bounds[2].dump() : std::string()) + "]",
                        file, decl.mark.line, decl.mark.column, path);
    }
    for (int64_t i = 0; first + i * step <= last + 1e-9 * std::abs(step); ++i) {
      YAML::Node item(first + i * step);
      if (spec.type == ParamType::kInt) item = YAML::Node(static_cast<int64_t>(first + i * step));
      convert(item);
    }
  } else if (node.IsSequence() && spec.type != ParamType::kList &&
             spec.type != ParamType::kRange) {
    if (node.size() == 0) {
      throw ConfigError("an empty list sweeps over nothing", file, decl.mark.line,
                        decl.mark.column, path);
    }
    for (const YAML::Node& item : node) convert(item);
  } else if (spec.type == ParamType::kObject && node.IsMap()) {
    for (const YAML::Node& object : ExpandObject(spec, decl, file, path, max_runs)) {
      values.push_back(ResolveParam(spec, object, {file, decl.mark, path}));
    }
  } else {
    values.push_back(ResolveParam(spec, node, {file, decl.mark, path}));
  }
  return values;
}

void CheckParamNames(const Study& study, const StageDecl& stage, const StageType& type) {
  for (const ParamDecl& decl : stage.params) {
    if (type.FindParam(decl.name)) continue;
    std::vector<std::string> names;
    for (const ParamSpec& spec : type.params) names.push_back(spec.name);
    const std::string hint = NearestName(decl.name, names);
    std::string valid;
    for (const std::string& n : names) valid += (valid.empty() ? "" : ", ") + n;
    throw ConfigError("unknown parameter '" + decl.name + "' for stage type '" + type.name + "'" +
                          (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                          "; valid: " + (valid.empty() ? "none" : valid) + ", type, inputs",
                      study.file, decl.mark.line, decl.mark.column,
                      "stages." + stage.name + "." + decl.name);
  }
}

// Copies of a YAML::Node share their data, and assigning to a node writes through to every
// copy; so the variant's study gets nodes of its own before any override touches them.
Study DetachedCopy(const Study& base) {
  Study study = base;
  study.seed.value.reset(YAML::Clone(base.seed.value));
  for (StageDecl& stage : study.stages) {
    for (ParamDecl& param : stage.params) param.value.reset(YAML::Clone(param.value));
  }
  return study;
}

void SetParam(ParamDecl& target, const ParamDecl& source) {
  target.value.reset(YAML::Clone(source.value));
  target.mark = source.mark;
}

Study ApplyVariant(const Study& base, const VariantDecl& variant) {
  Study study = DetachedCopy(base);
  for (const auto& [path, decl] : variant.overrides) {
    if (path == "seed") {
      SetParam(study.seed, decl);
      continue;
    }
    const size_t dot = path.find('.');
    StageDecl* stage = dot == std::string::npos ? nullptr : study.FindStage(path.substr(0, dot));
    if (!stage) {
      throw ConfigError("variant '" + variant.name + "' overrides '" + path +
                            "', which is not stage.param (or seed)",
                        base.file, decl.mark.line, decl.mark.column, "variants." + path);
    }
    const std::string param = path.substr(dot + 1);
    if (ParamDecl* existing = stage->FindParam(param)) {
      SetParam(*existing, decl);
    } else {
      stage->params.push_back({param, YAML::Clone(decl.value), decl.mark});
    }
  }
  return study;
}

// Runs the stage type's own check on one instance's parameters; its ConfigError gets the file,
// the parameter's position and the full key path.
void CheckStageParams(const Study& study, const StageDecl& stage, const StageType& type,
                      const Json& params, const std::map<std::string, SourceMark>& marks) {
  if (!type.check) return;
  try {
    type.check(Params(params));
  } catch (const ConfigError& e) {
    const std::string param = e.key_path();
    std::string message = e.what();
    const std::string prefix = "'" + param + "': ";
    if (!param.empty() && message.compare(0, prefix.size(), prefix) == 0) {
      message = message.substr(prefix.size());
    }
    const std::string root = param.substr(0, param.find_first_of(".["));
    auto mark = marks.find(stage.name + "." + root);
    const SourceMark where = mark != marks.end() ? mark->second : stage.mark;
    throw ConfigError(message, study.file, where.line, where.column,
                      "stages." + stage.name + (param.empty() ? "" : "." + param));
  }
}

// Throws ConfigError, before any run is built, if the product of the axis sizes (plus the runs
// of the variants before this one) is more than `max_runs`; it points at the longest axis.
void CheckRunCount(const Study& study, const std::string& variant, const std::vector<Axis>& axes,
                   const std::map<std::string, SourceMark>& marks, size_t runs_before,
                   size_t max_runs) {
  size_t runs = 1;
  for (const Axis& axis : axes) runs = CappedProduct(runs, axis.values.size(), max_runs);
  if (runs <= max_runs - std::min(runs_before, max_runs)) return;
  std::string sizes;
  const Axis* longest = &axes.front();  // runs > 1, so there is an axis
  for (const Axis& axis : axes) {
    sizes += (sizes.empty() ? "" : " x ") + std::to_string(axis.values.size()) + " (" +
             axis.paths.front() + ")";
    if (axis.values.size() > longest->values.size()) longest = &axis;
  }
  std::string message = "the grid" + (variant.empty() ? "" : " of variant '" + variant + "'") +
                        " is " + sizes;
  if (runs <= max_runs) message += " = " + std::to_string(runs) + " runs";
  if (runs_before > 0) message += " after " + std::to_string(runs_before) + " of earlier variants";
  const std::string& path = longest->paths.front();
  const auto mark = marks.find(path);
  const SourceMark where = mark != marks.end() ? mark->second : SourceMark{};
  throw ConfigError(message + ", " + TooManyRunsHint(max_runs), study.file, where.line,
                    where.column, path == "seed" ? path : "stages." + path);
}

void ExpandOne(const Study& study, const std::vector<const StageType*>& types,
               const std::string& variant, size_t max_runs, Grid& grid,
               std::set<std::string>& swept) {
  std::vector<Fixed> fixed;
  std::vector<Axis> axes;
  std::map<std::string, SourceMark> marks;

  auto add = [&](const std::string& path, std::vector<Json> values, SourceMark mark) {
    marks[path] = mark;
    if (values.size() == 1) {
      fixed.push_back({path, std::move(values[0])});
      return;
    }
    Axis axis;
    axis.paths = {path};
    for (Json& v : values) axis.values.push_back({std::move(v)});
    axes.push_back(std::move(axis));
  };

  const ParamSpec seed_spec =
      ParamSpec::Int("seed", 1, "the study seed").Min(0).Max(9223372036854775807.0);
  add("seed", ExpandValue(seed_spec, study.seed, study.file, "seed", max_runs), study.seed.mark);
  for (size_t s = 0; s < study.stages.size(); ++s) {
    const StageDecl& stage = study.stages[s];
    const StageType& type = *types[s];
    CheckParamNames(study, stage, type);
    for (const ParamSpec& spec : type.params) {
      const std::string path = stage.name + "." + spec.name;
      if (const ParamDecl* decl = stage.FindParam(spec.name)) {
        add(path, ExpandValue(spec, *decl, study.file, "stages." + path, max_runs), decl->mark);
      } else if (spec.required()) {
        throw ConfigError("stage type '" + type.name + "' needs parameter '" + spec.name +
                              "' (" + spec.help + ")",
                          study.file, stage.mark.line, stage.mark.column, "stages." + stage.name);
      } else {
        fixed.push_back({path, ResolveDefault(spec, "stages." + path)});
      }
    }
  }

  // Merge the axes of each zip group into one axis of tuples.
  for (const ZipDecl& zip : study.zips) {
    Axis merged;
    for (const std::string& path : zip.paths) {
      auto it = std::find_if(axes.begin(), axes.end(),
                             [&](const Axis& a) { return a.paths.size() == 1 && a.paths[0] == path; });
      if (it == axes.end()) {
        if (!marks.count(path)) {
          throw ConfigError("zip names '" + path + "', which is not a parameter of this study",
                            study.file, zip.mark.line, zip.mark.column, "zip");
        }
        continue;  // a fixed value in this variant: nothing to zip
      }
      if (!merged.paths.empty() && it->values.size() != merged.values.size()) {
        throw ConfigError("zip group lists sweeps of different lengths ('" + merged.paths[0] +
                              "' has " + std::to_string(merged.values.size()) + ", '" + path +
                              "' has " + std::to_string(it->values.size()) + ")",
                          study.file, zip.mark.line, zip.mark.column, "zip");
      }
      if (merged.paths.empty()) merged.values.resize(it->values.size());
      merged.paths.push_back(path);
      for (size_t i = 0; i < it->values.size(); ++i) merged.values[i].push_back(it->values[i][0]);
      axes.erase(it);
    }
    if (!merged.paths.empty()) axes.push_back(std::move(merged));
  }
  for (const Axis& axis : axes) swept.insert(axis.paths.begin(), axis.paths.end());
  CheckRunCount(study, variant, axes, marks, grid.runs.size(), max_runs);

  std::vector<std::set<std::string>> checked(study.stages.size());
  // Mixed-radix walk; the last axis varies fastest.
  std::vector<size_t> counter(axes.size(), 0);
  while (true) {
    Json flat = Json::object();
    for (const Fixed& f : fixed) flat[f.path] = f.value;
    for (size_t a = 0; a < axes.size(); ++a) {
      for (size_t p = 0; p < axes[a].paths.size(); ++p) {
        flat[axes[a].paths[p]] = axes[a].values[counter[a]][p];
      }
    }
    RunSpec run;
    run.variant = variant;
    run.seed = flat["seed"].get<uint64_t>();
    for (size_t s = 0; s < study.stages.size(); ++s) {
      const StageDecl& stage = study.stages[s];
      Json params = Json::object();
      const std::string prefix = stage.name + ".";
      for (auto it = flat.begin(); it != flat.end(); ++it) {
        if (it.key().compare(0, prefix.size(), prefix) == 0) {
          params[it.key().substr(prefix.size())] = it.value();
        }
      }
      // Many runs share a stage's parameters (a sweep over another stage): check each
      // distinct set once, the check may build whole networks.
      if (types[s]->check && checked[s].insert(params.dump()).second) {
        CheckStageParams(study, stage, *types[s], params, marks);
      }
      run.stage_params.push_back(std::move(params));
    }
    if (!variant.empty()) flat["variant"] = variant;
    run.flat_params = std::move(flat);
    grid.runs.push_back(std::move(run));

    size_t a = axes.size();
    while (a > 0 && ++counter[a - 1] == axes[a - 1].values.size()) counter[--a] = 0;
    if (a == 0) break;
  }
}

}  // namespace

Grid ExpandGrid(const Study& study, const StageRegistry& registry, size_t max_runs) {
  Grid grid;
  for (const StageDecl& stage : study.stages) {
    const StageType& type = registry.Get(stage.type, study.file, stage.type_mark);
    const int n = static_cast<int>(stage.inputs.size());
    if (n < type.min_inputs || n > type.max_inputs) {
      const std::string wanted =
          type.min_inputs == type.max_inputs
              ? std::to_string(type.min_inputs)
              : std::to_string(type.min_inputs) + " to " + std::to_string(type.max_inputs);
      throw ConfigError("stage type '" + type.name + "' takes " + wanted + " input(s), got " +
                            std::to_string(n),
                        study.file, stage.mark.line, stage.mark.column,
                        "stages." + stage.name + ".inputs");
    }
    grid.types.push_back(&type);
  }
  std::set<std::string> swept;
  if (study.variants.empty()) {
    ExpandOne(study, grid.types, "", max_runs, grid, swept);
  } else {
    for (const VariantDecl& variant : study.variants) {
      ExpandOne(ApplyVariant(study, variant), grid.types, variant.name, max_runs, grid, swept);
    }
    swept.insert("variant");
  }
  grid.swept.assign(swept.begin(), swept.end());
  return grid;
}

}  // namespace pipeline
