// Implementation notes: distributions are found by one walk over the stages' values in file
// order (maps in their written order, lists by index); WithValues walks the same way and takes
// the values in that order, so the k-th distribution found always gets values[k]. Substituted
// values are written as YAML scalars with 17 significant digits, which read back as the same
// double, so a trial's run (and its stage keys) follow from the values the database records.

#include "pipeline/search/search_config.h"

#include <cmath>
#include <cstdio>
#include <set>

#include "pipeline/errors.h"
#include "pipeline/param_schema.h"

namespace pipeline {
namespace {

const std::vector<std::string> kForms = {"uniform", "loguniform", "int", "logint", "choice"};
const std::vector<std::string> kSearchKeys = {"strategy", "trials", "objective", "direction",
                                              "startup_trials", "pruner"};
const std::vector<std::string> kPrunerKeys = {"type", "metric", "min_epochs", "reduction_factor",
                                              "startup_trials"};

SourceMark MarkOf(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

[[noreturn]] void Fail(const Study& study, const std::string& message, SourceMark mark,
                       const std::string& key) {
  throw ConfigError(message, study.file, mark.line, mark.column, key);
}

bool IsDistribution(const YAML::Node& node) {
  if (!node.IsMap() || node.size() != 1) return false;
  const std::string key = node.begin()->first.as<std::string>();
  for (const std::string& form : kForms) {
    if (key == form) return true;
  }
  return false;
}

// Calls visit(node, path) for every distribution below `node`, in file order.
template <typename Visit>
void Walk(const YAML::Node& node, const std::string& path, Visit&& visit) {
  if (IsDistribution(node)) {
    visit(node, path);
  } else if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      Walk(it->second, path + "." + it->first.as<std::string>(), visit);
    }
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      Walk(node[i], path + "[" + std::to_string(i) + "]", visit);
    }
  }
}

double Number(const Study& study, const YAML::Node& node, const std::string& key) {
  try {
    return node.as<double>();
  } catch (const YAML::Exception&) {
    Fail(study, "expected a number, got '" + (node.IsScalar() ? node.Scalar() : "a list or map") +
                    "'", MarkOf(node), key);
  }
}

Distribution ParseDistribution(const Study& study, const YAML::Node& node,
                               const std::string& path) {
  const std::string form = node.begin()->first.as<std::string>();
  const YAML::Node args = node.begin()->second;
  const SourceMark mark = MarkOf(node);
  Distribution d;
  if (form == "choice") {
    if (!args.IsSequence() || args.size() < 1) {
      Fail(study, "{choice: [...]} lists one or more values", mark, path);
    }
    d.kind = DistributionKind::kChoice;
    for (const YAML::Node& choice : args) d.choices.push_back(YamlToJson(choice));
    return d;
  }
  if (!args.IsSequence() || args.size() != 2) {
    Fail(study, "{" + form + ": [low, high]} takes two bounds", mark, path);
  }
  d.kind = form == "uniform"      ? DistributionKind::kUniform
           : form == "loguniform" ? DistributionKind::kLogUniform
           : form == "int"        ? DistributionKind::kInt
                                  : DistributionKind::kLogInt;
  d.low = Number(study, args[0], path);
  d.high = Number(study, args[1], path);
  if (!std::isfinite(d.low) || !std::isfinite(d.high) || d.low > d.high) {
    Fail(study, "{" + form + ": [low, high]} needs finite bounds with low <= high", mark, path);
  }
  if (d.integer() && (d.low != std::floor(d.low) || d.high != std::floor(d.high))) {
    Fail(study, "{" + form + ": [low, high]} takes whole-number bounds", mark, path);
  }
  if (d.log() && d.low <= 0) {
    Fail(study, "{" + form + ": [low, high]} needs low > 0 (it is drawn in log space)", mark,
         path);
  }
  return d;
}

// The stage and metric of "stage.metric", checked against the study's stages.
std::pair<std::string, std::string> StageMetric(const Study& study, const YAML::Node& node,
                                                const std::string& key) {
  const std::string text = node.IsScalar() ? node.Scalar() : "";
  const size_t dot = text.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == text.size()) {
    Fail(study, "expected stage.metric, e.g. model.val_accuracy", MarkOf(node), key);
  }
  const std::string stage = text.substr(0, dot);
  if (study.FindStage(stage) == nullptr) {
    std::vector<std::string> names;
    for (const StageDecl& s : study.stages) names.push_back(s.name);
    const std::string hint = NearestName(stage, names);
    Fail(study, "no stage named '" + stage + "'" +
                    (hint.empty() ? "" : " (did you mean '" + hint + "'?)"),
         MarkOf(node), key);
  }
  return {stage, text.substr(dot + 1)};
}

int64_t PositiveInt(const Study& study, const YAML::Node& node, const std::string& key,
                    int64_t min) {
  const double value = Number(study, node, key);
  if (value != std::floor(value) || value < static_cast<double>(min) || value > 1e9) {
    Fail(study, "expected a whole number >= " + std::to_string(min), MarkOf(node), key);
  }
  return static_cast<int64_t>(value);
}

void CheckKeys(const Study& study, const YAML::Node& map, const std::vector<std::string>& valid,
               const std::string& prefix) {
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    if (std::find(valid.begin(), valid.end(), key) != valid.end()) continue;
    const std::string hint = NearestName(key, valid);
    std::string list;
    for (const std::string& v : valid) list += (list.empty() ? "" : ", ") + v;
    Fail(study, "unknown key" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                    "; valid keys: " + list,
         MarkOf(it->first), prefix + key);
  }
}

// minimize for losses and distances, maximize for accuracies and scores; else the user says.
PrunerConfig ParsePruner(const Study& study, const YAML::Node& node, const SearchConfig& config) {
  PrunerConfig pruner;
  if (node.IsScalar() && (node.Scalar() == "none" || node.Scalar() == "null")) return pruner;
  if (node.IsNull()) return pruner;
  if (node.IsScalar() && (node.Scalar() == "asha" || node.Scalar() == "median")) {
    // Shorthand (search.pruner=asha on the command line): the type with its defaults.
    pruner.type = node.Scalar();
    pruner.stage = config.objective_stage;
    pruner.metric = config.objective_metric;
    return pruner;
  }
  if (!node.IsMap()) {
    Fail(study, "`pruner` is none, asha, median or {type: asha | median, metric: stage.metric, "
                "min_epochs, reduction_factor}", MarkOf(node), "search.pruner");
  }
  CheckKeys(study, node, kPrunerKeys, "search.pruner.");
  const YAML::Node type = node["type"];
  if (!type || !type.IsScalar()) {
    Fail(study, "the pruner needs a type: asha, median or none", MarkOf(node),
         "search.pruner.type");
  }
  pruner.type = type.Scalar();
  if (pruner.type == "none") return PrunerConfig{};
  if (pruner.type != "asha" && pruner.type != "median") {
    Fail(study, "unknown pruner '" + pruner.type + "'; valid: asha, median, none", MarkOf(type),
         "search.pruner.type");
  }
  if (const YAML::Node metric = node["metric"]) {
    std::tie(pruner.stage, pruner.metric) = StageMetric(study, metric, "search.pruner.metric");
  } else {
    pruner.stage = config.objective_stage;
    pruner.metric = config.objective_metric;
  }
  if (const YAML::Node n = node["min_epochs"]) {
    pruner.min_epochs = PositiveInt(study, n, "search.pruner.min_epochs", 1);
  }
  if (const YAML::Node n = node["reduction_factor"]) {
    pruner.reduction_factor = PositiveInt(study, n, "search.pruner.reduction_factor", 2);
  }
  if (const YAML::Node n = node["startup_trials"]) {
    pruner.startup_trials = PositiveInt(study, n, "search.pruner.startup_trials", 0);
  }
  return pruner;
}

std::string FormatNumber(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

YAML::Node JsonToYaml(const Json& value) {
  if (value.is_null()) return YAML::Node(YAML::NodeType::Null);
  if (value.is_boolean()) return YAML::Node(value.get<bool>() ? "true" : "false");
  if (value.is_number_integer()) return YAML::Node(std::to_string(value.get<int64_t>()));
  if (value.is_number()) return YAML::Node(FormatNumber(value.get<double>()));
  if (value.is_string()) return YAML::Node(value.get<std::string>());
  YAML::Node node(value.is_array() ? YAML::NodeType::Sequence : YAML::NodeType::Map);
  if (value.is_array()) {
    for (const Json& item : value) node.push_back(JsonToYaml(item));
  } else {
    for (auto it = value.begin(); it != value.end(); ++it) node[it.key()] = JsonToYaml(it.value());
  }
  return node;
}

// A copy of `node` with the distributions replaced by values[*next], values[*next + 1], ...
YAML::Node Substitute(const YAML::Node& node, const std::vector<Json>& values, size_t* next) {
  if (IsDistribution(node)) return JsonToYaml(values.at((*next)++));
  if (node.IsMap()) {
    YAML::Node copy(YAML::NodeType::Map);
    for (auto it = node.begin(); it != node.end(); ++it) {
      copy[YAML::Clone(it->first)] = Substitute(it->second, values, next);
    }
    return copy;
  }
  if (node.IsSequence()) {
    YAML::Node copy(YAML::NodeType::Sequence);
    for (const YAML::Node& item : node) copy.push_back(Substitute(item, values, next));
    return copy;
  }
  return YAML::Clone(node);
}

}  // namespace

std::optional<Direction> DirectionFromName(const std::string& metric) {
  for (const char* word : {"loss", "error", "nll", "distance", "fid", "kl", "bic", "aic"}) {
    if (metric.find(word) != std::string::npos) return Direction::kMinimize;
  }
  for (const char* word : {"accuracy", "score", "f1", "ari", "nmi", "auc", "likelihood"}) {
    if (metric.find(word) != std::string::npos) return Direction::kMaximize;
  }
  return std::nullopt;
}

bool HasDistributions(const Study& study) {
  bool found = false;
  for (const StageDecl& stage : study.stages) {
    for (const ParamDecl& param : stage.params) {
      Walk(param.value, "", [&](const YAML::Node&, const std::string&) { found = true; });
    }
  }
  return found;
}

std::optional<SearchConfig> ParseSearchConfig(const Study& study) {
  SearchConfig config;
  for (const StageDecl& stage : study.stages) {
    for (const ParamDecl& param : stage.params) {
      Walk(param.value, stage.name + "." + param.name,
           [&](const YAML::Node& node, const std::string& path) {
             config.space.push_back({path, ParseDistribution(study, node, path), MarkOf(node)});
           });
    }
  }
  if (!study.search.IsMap()) {
    if (!config.space.empty()) {
      const SearchParam& first = config.space.front();
      Fail(study, "'" + first.path + "' is a distribution ({" + first.distribution.name() +
                      ": ...}); sampling needs a `search:` block with strategy random or tpe, "
                      "trials and objective",
           first.mark, first.path);
    }
    return std::nullopt;
  }
  const YAML::Node& search = study.search;
  CheckKeys(study, search, kSearchKeys, "search.");
  if (const YAML::Node n = search["strategy"]) {
    config.strategy = n.IsScalar() ? n.Scalar() : "";
    if (config.strategy != "grid" && config.strategy != "random" && config.strategy != "tpe") {
      Fail(study, "unknown strategy '" + config.strategy + "'; valid: grid, random, tpe",
           MarkOf(n), "search.strategy");
    }
  }
  const bool sampled = config.strategy != "grid";
  if (sampled && config.space.empty()) {
    Fail(study, "a " + config.strategy + " search needs distributions in the stages, e.g. "
                "lr: {loguniform: [1e-4, 1e-1]}", study.search_mark, "search.strategy");
  }
  if (!sampled && !config.space.empty()) {
    Fail(study, "'" + config.space.front().path + "' is a distribution; the grid strategy "
                "takes lists — use strategy random or tpe", config.space.front().mark,
         config.space.front().path);
  }
  if (const YAML::Node n = search["trials"]) {
    config.trials = PositiveInt(study, n, "search.trials", 1);
  } else if (sampled) {
    Fail(study, "a " + config.strategy + " search needs `trials:` (the total for the study)",
         study.search_mark, "search.trials");
  }
  const YAML::Node objective = search["objective"];
  if (!objective) {
    Fail(study, "the search needs `objective: stage.metric` (e.g. model.val_accuracy)",
         study.search_mark, "search.objective");
  }
  std::tie(config.objective_stage, config.objective_metric) =
      StageMetric(study, objective, "search.objective");
  if (const YAML::Node n = search["direction"]) {
    const std::string d = n.IsScalar() ? n.Scalar() : "";
    if (d != "maximize" && d != "minimize") {
      Fail(study, "direction is maximize or minimize", MarkOf(n), "search.direction");
    }
    config.direction = d == "maximize" ? Direction::kMaximize : Direction::kMinimize;
  } else if (auto guess = DirectionFromName(config.objective_metric)) {
    config.direction = *guess;
  } else {
    Fail(study, "say whether '" + config.objective() + "' is to be maximized or minimized "
                "(direction: maximize | minimize)", MarkOf(objective), "search.direction");
  }
  if (const YAML::Node n = search["startup_trials"]) {
    config.tpe.startup_trials = static_cast<int>(PositiveInt(study, n, "search.startup_trials", 0));
  }
  if (const YAML::Node n = search["pruner"]) config.pruner = ParsePruner(study, n, config);
  if (study.seed.value && study.seed.value.IsSequence()) {
    Fail(study, "a search runs with one seed (each trial draws from it); give seed a single "
                "value", study.seed.mark, "seed");
  }
  if (!study.variants.empty() && sampled) {
    Fail(study, "a " + config.strategy + " search has no variants; give each its own study "
                "(or `pipeline run FILE study=other-name ...`)", study.variants.front().mark,
         "variants");
  }
  return config;
}

Study WithValues(const Study& study, const SearchConfig& config, const std::vector<Json>& values) {
  Study copy = study;
  size_t next = 0;
  for (StageDecl& stage : copy.stages) {
    for (ParamDecl& param : stage.params) {
      YAML::Node substituted = Substitute(param.value, values, &next);
      param.value.reset(substituted);
    }
  }
  if (next != values.size() || values.size() != config.space.size()) {
    throw Error("internal: " + std::to_string(values.size()) + " trial values for " +
                std::to_string(config.space.size()) + " distributions");
  }
  return copy;
}

}  // namespace pipeline
