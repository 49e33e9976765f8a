// Implementation notes: the file is read with yaml-cpp, which records a Mark (0-based line and
// column) on every node; we keep them 1-based in SourceMark so every later error — an unknown
// parameter found during expansion, a zip of unequal lengths — can point at the exact key.

#include "pipeline/study.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "pipeline/errors.h"
#include "pipeline/yaml_guard.h"

namespace pipeline {
namespace {

SourceMark ToMark(const YAML::Mark& mark) {
  if (mark.is_null()) return {};
  return {mark.line + 1, mark.column + 1};
}

[[noreturn]] void Fail(const Study& study, const std::string& message, SourceMark mark,
                       const std::string& key_path) {
  throw ConfigError(message, study.file, mark.line, mark.column, key_path);
}

std::string ScalarOrFail(const Study& study, const YAML::Node& node, const std::string& key_path) {
  if (!node.IsScalar()) {
    Fail(study, "expected a single value", ToMark(node.Mark()), key_path);
  }
  return node.Scalar();
}

// Study, stage and variant names become database rows, folder names and labels: they must say
// something (not empty or blank) and hold no control characters (a newline or NUL written as a
// YAML escape). Invalid UTF-8 is refused for the whole file before parsing (CheckUtf8).
void CheckName(const Study& study, const std::string& name, const std::string& what,
               SourceMark mark, const std::string& key_path) {
  if (name.find_first_not_of(" \t") == std::string::npos) {
    Fail(study, what + " is empty; give it a name", mark, key_path);
  }
  for (const char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      Fail(study, what + " '" + name + "' contains a control character", mark, key_path);
    }
  }
}

const std::vector<std::string> kTopLevelKeys = {"study", "description", "seed", "stages", "zip",
                                                "variants", "search", "objective", "launcher"};

// `objective: stage.metric` or `objective: {metric: stage.metric, direction: ...}`; the stage is
// checked once all stages are known.
void ParseObjective(Study& study, const YAML::Node& node, SourceMark mark) {
  const char* kShape =
      "`objective` is stage.metric or {metric: stage.metric, direction: maximize | minimize}";
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.as<std::string>();
      if (key != "metric" && key != "direction") {
        Fail(study, std::string(kShape) + "; unknown key '" + key + "'",
             ToMark(it->first.Mark()), "objective." + key);
      }
    }
    if (const YAML::Node direction = node["direction"]) {
      study.objective_direction = direction.IsScalar() ? direction.Scalar() : "";
      if (study.objective_direction != "maximize" && study.objective_direction != "minimize") {
        Fail(study, "direction is maximize or minimize", ToMark(direction.Mark()),
             "objective.direction");
      }
    }
  }
  // (Assigning one YAML::Node to another would write into the first: pick, do not reassign.)
  const YAML::Node metric = node.IsMap() ? node["metric"] : node;
  const std::string text = metric && metric.IsScalar() ? metric.Scalar() : "";
  const size_t dot = text.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == text.size()) {
    Fail(study, std::string(kShape) + ", e.g. gmm.bic", mark, "objective");
  }
  study.objective = text;
}

// The entries of a stage's map with YAML merge keys expanded (`<<: *anchor` or a list of
// anchors): the map's own keys win over merged ones, and earlier merged maps over later ones,
// as YAML's merge type says. Merged entries keep their own positions (the anchor's lines).
std::vector<std::pair<YAML::Node, YAML::Node>> MapEntries(const Study& study,
                                                          const YAML::Node& body,
                                                          const std::string& path) {
  std::vector<std::pair<YAML::Node, YAML::Node>> entries;
  std::vector<YAML::Node> merged;
  std::set<std::string> own;
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == "<<") {
      const YAML::Node& value = it->second;
      if (value.IsMap()) {
        merged.push_back(value);
      } else if (value.IsSequence() &&
                 std::all_of(value.begin(), value.end(),
                             [](const YAML::Node& item) { return item.IsMap(); })) {
        for (const YAML::Node& item : value) merged.push_back(item);
      } else {
        Fail(study, "`<<` (a YAML merge key) takes a map or a list of maps, e.g. <<: *defaults",
             ToMark(it->first.Mark()), path + ".<<");
      }
      continue;
    }
    own.insert(it->first.as<std::string>());
    entries.emplace_back(it->first, it->second);
  }
  std::set<std::string> taken = own;
  for (const YAML::Node& map : merged) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string key = it->first.as<std::string>();
      if (key == "<<" || !taken.insert(key).second) continue;
      entries.emplace_back(it->first, it->second);
    }
  }
  return entries;
}

void ParseStage(Study& study, const std::string& name, const YAML::Node& key_node,
                const YAML::Node& body) {
  StageDecl stage;
  stage.name = name;
  stage.mark = ToMark(key_node.Mark());
  CheckName(study, name, "a stage name", stage.mark, "stages." + name);
  if (name.find('.') != std::string::npos || name == "seed" || name == "variant") {
    Fail(study, "stage names may not contain '.' nor be 'seed' or 'variant'", stage.mark,
         "stages." + name);
  }
  if (!body.IsMap()) {
    Fail(study, "a stage is a map with at least `type:`, e.g. {type: pca, input: data}",
         stage.mark, "stages." + name);
  }
  std::set<std::string> seen;
  const std::vector<std::pair<YAML::Node, YAML::Node>> entries =
      MapEntries(study, body, "stages." + name);
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    const std::string path = "stages." + name + "." + key;
    const SourceMark mark = ToMark(it->first.Mark());
    if (!seen.insert(key).second) Fail(study, "duplicate key", mark, path);
    if (key == "type") {
      stage.type = ScalarOrFail(study, it->second, path);
      stage.type_mark = ToMark(it->second.Mark());
    } else if (key == "input" || key == "inputs") {
      if (it->second.IsScalar()) {
        stage.inputs.push_back(it->second.Scalar());
      } else if (it->second.IsSequence()) {
        for (const YAML::Node& input : it->second) {
          stage.inputs.push_back(ScalarOrFail(study, input, path));
        }
      } else {
        Fail(study, "`inputs` is a stage name or a list of stage names", mark, path);
      }
    } else {
      stage.params.push_back({key, it->second, mark});
    }
  }
  if (stage.type.empty()) {
    Fail(study, "stage has no `type:` (see `pipeline stages` for the list)", stage.mark,
         "stages." + name);
  }
  for (const std::string& input : stage.inputs) {
    if (!study.FindStage(input)) {
      std::vector<std::string> known;
      for (const StageDecl& s : study.stages) known.push_back(s.name);
      std::string hint = NearestName(input, known);
      Fail(study,
           "input '" + input + "' is not a stage declared above this one" +
               (hint.empty() ? "" : " (did you mean '" + hint + "'?)"),
           stage.mark, "stages." + name + ".inputs");
    }
  }
  study.stages.push_back(std::move(stage));
}

void ParseZip(Study& study, const YAML::Node& node) {
  if (!node.IsSequence()) {
    Fail(study, "`zip` is a list of groups, e.g. [[train.lr, train.epochs]]", ToMark(node.Mark()),
         "zip");
  }
  for (const YAML::Node& group : node) {
    ZipDecl zip;
    zip.mark = ToMark(group.Mark());
    if (!group.IsSequence() || group.size() < 2) {
      Fail(study, "each zip group lists two or more parameter paths", zip.mark, "zip");
    }
    for (const YAML::Node& path : group) zip.paths.push_back(ScalarOrFail(study, path, "zip"));
    study.zips.push_back(std::move(zip));
  }
}

void ParseVariants(Study& study, const YAML::Node& node) {
  if (!node.IsSequence()) {
    Fail(study, "`variants` is a list of maps, e.g. [{name: adam, train.optimizer: adam}]",
         ToMark(node.Mark()), "variants");
  }
  if (node.size() == 0) {
    Fail(study, "`variants` is an empty list: add a variant, e.g. [{name: adam}], or remove it",
         ToMark(node.Mark()), "variants");
  }
  std::set<std::string> names;
  for (const YAML::Node& item : node) {
    VariantDecl variant;
    variant.mark = ToMark(item.Mark());
    if (!item.IsMap()) Fail(study, "each variant is a map", variant.mark, "variants");
    for (auto it = item.begin(); it != item.end(); ++it) {
      const std::string key = it->first.as<std::string>();
      if (key == "name") {
        variant.name = ScalarOrFail(study, it->second, "variants.name");
        CheckName(study, variant.name, "a variant name", ToMark(it->second.Mark()),
                  "variants.name");
      } else {
        variant.overrides.push_back({key, ParamDecl{key, it->second, ToMark(it->first.Mark())}});
      }
    }
    if (variant.name.empty()) {
      Fail(study, "variant " + std::to_string(study.variants.size() + 1) +
                      " has no `name:` (its runs are stored under it), e.g. {name: small, ...}",
           variant.mark, "variants");
    }
    if (!names.insert(variant.name).second) {
      Fail(study, "two variants are named '" + variant.name + "'", variant.mark, "variants");
    }
    study.variants.push_back(std::move(variant));
  }
}

}  // namespace

const ParamDecl* StageDecl::FindParam(const std::string& param) const {
  for (const ParamDecl& p : params) {
    if (p.name == param) return &p;
  }
  return nullptr;
}

ParamDecl* StageDecl::FindParam(const std::string& param) {
  for (ParamDecl& p : params) {
    if (p.name == param) return &p;
  }
  return nullptr;
}

const StageDecl* Study::FindStage(const std::string& stage) const {
  for (const StageDecl& s : stages) {
    if (s.name == stage) return &s;
  }
  return nullptr;
}

StageDecl* Study::FindStage(const std::string& stage) {
  for (StageDecl& s : stages) {
    if (s.name == stage) return &s;
  }
  return nullptr;
}

Study ParseStudy(const std::string& text, const std::string& file_name) {
  Study study;
  study.file = file_name;
  study.text = text;
  study.name = std::filesystem::path(file_name).stem().string();
  study.seed = {"seed", YAML::Node(1), {}};

  CheckUtf8(text, file_name, "the study file");
  // Before any node exists: cycles, aliases that expand to billions of nodes and a second
  // document are rejected here, not found by a crash or a silent omission later.
  CheckYamlText(text, file_name);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw ConfigError("malformed YAML: " + e.msg, file_name, e.mark.line + 1, e.mark.column + 1);
  }
  if (!root.IsMap()) {
    throw ConfigError("a study file is a map with `stages:` (and optionally study, seed, zip, "
                      "variants)",
                      file_name, 1, 1);
  }
  std::set<std::string> seen;
  SourceMark objective_mark;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    const SourceMark mark = ToMark(it->first.Mark());
    if (!seen.insert(key).second) Fail(study, "duplicate key", mark, key);
    if (key == "study") {
      study.name = ScalarOrFail(study, it->second, key);
      CheckName(study, study.name, "the study name", ToMark(it->second.Mark()), key);
    } else if (key == "description") {
      study.description = ScalarOrFail(study, it->second, key);
    } else if (key == "seed") {
      study.seed = {"seed", it->second, mark};
    } else if (key == "stages") {
      if (!it->second.IsMap() || it->second.size() == 0) {
        Fail(study, "`stages` is a map from stage name to {type: ..., ...}", mark, key);
      }
      for (auto s = it->second.begin(); s != it->second.end(); ++s) {
        if (s->first.IsNull()) {  // `~:` or `null:` would become a stage named "null"
          Fail(study, "a stage name may not be null (~ or null); give it a name",
               ToMark(s->first.Mark()), "stages");
        }
        const std::string name = s->first.as<std::string>();
        if (study.FindStage(name)) {
          Fail(study, "duplicate stage name", ToMark(s->first.Mark()), "stages." + name);
        }
        ParseStage(study, name, s->first, s->second);
      }
    } else if (key == "zip") {
      ParseZip(study, it->second);
    } else if (key == "variants") {
      ParseVariants(study, it->second);
    } else if (key == "objective") {
      ParseObjective(study, it->second, mark);
      objective_mark = mark;
    } else if (key == "search") {
      if (!it->second.IsMap()) {
        Fail(study, "`search` is a map: {strategy: random | tpe, trials: N, objective: "
                    "stage.metric, ...}", mark, key);
      }
      study.search = it->second;
      study.search_mark = mark;
    } else if (key == "launcher") {
      if (!it->second.IsMap()) {
        Fail(study, "`launcher` is a map: {slurm: {partition: ..., time: ..., cpus_per_task: ...}}",
             mark, key);
      }
      study.launcher = it->second;
    } else {
      const std::string hint = NearestName(key, kTopLevelKeys);
      Fail(study,
           "unknown top-level key" + (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
               "; valid keys: study, description, seed, stages, zip, variants, search, "
               "objective, launcher",
           mark, key);
    }
  }
  if (study.stages.empty()) {
    throw ConfigError("the study has no `stages:`", file_name, 1, 1, "stages");
  }
  if (!study.objective.empty()) {
    const std::string stage = study.objective.substr(0, study.objective.find('.'));
    if (!study.FindStage(stage)) {
      std::vector<std::string> names;
      for (const StageDecl& s : study.stages) names.push_back(s.name);
      const std::string hint = NearestName(stage, names);
      Fail(study, "the objective names no stage '" + stage + "'" +
                      (hint.empty() ? "" : " (did you mean '" + hint + "'?)"),
           objective_mark, "objective");
    }
  }
  return study;
}

Study LoadStudyFile(const std::string& path) {
  // Only a regular file: /dev/zero would be read until memory ran out, a FIFO would block.
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (error || !std::filesystem::exists(status)) {
    throw ConfigError("cannot open the study file (does it exist? try experiments/*.yaml)", path);
  }
  if (std::filesystem::is_directory(status)) {
    throw ConfigError("is a directory, not a study file (name one of its .yaml files)", path);
  }
  if (!std::filesystem::is_regular_file(status)) {
    throw ConfigError("not a regular file (a device, pipe or socket); a study is a .yaml file",
                      path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError("cannot open the study file (is it readable?)", path);
  }
  // Read in chunks and stop past the limit (a size checked first could change meanwhile).
  std::string text;
  char chunk[1 << 16];
  while (text.size() <= kMaxStudyFileBytes && in.read(chunk, sizeof chunk).gcount() > 0) {
    text.append(chunk, static_cast<size_t>(in.gcount()));
  }
  if (text.size() > kMaxStudyFileBytes) {
    throw ConfigError("the study file is larger than " +
                          std::to_string(kMaxStudyFileBytes >> 20) +
                          " MiB; a study describes runs, it does not hold data (point a loader "
                          "stage at the data instead)",
                      path);
  }
  return ParseStudy(text, path);
}

void ApplyOverride(Study& study, const std::string& assignment) {
  CheckUtf8(assignment, "", "override '" + assignment + "'");
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError("override '" + assignment + "' is not of the form stage.param=value");
  }
  const std::string path = assignment.substr(0, eq);
  std::string value = assignment.substr(eq + 1);
  // "1,2,3" is a sweep; "[1,2]" or "{...}" is YAML as written.
  if (!value.empty() && value.front() != '[' && value.front() != '{' &&
      value.find(',') != std::string::npos) {
    value = "[" + value + "]";
  }
  CheckYamlText(value, "override '" + assignment + "'");
  YAML::Node node;
  try {
    node = YAML::Load(value);
  } catch (const YAML::ParserException& e) {
    throw ConfigError("cannot parse the value of override '" + assignment + "': " + e.msg);
  }
  if (path == "seed") {
    study.seed.value.reset(node);  // rebind: assignment would write through shared nodes
    study.seed.mark = {};
    return;
  }
  if (path == "study") {
    if (!node.IsScalar() || node.Scalar().empty()) {
      throw ConfigError("override '" + assignment + "' needs a study name");
    }
    study.name = node.Scalar();
    return;
  }
  if (path.compare(0, 7, "search.") == 0 && path.size() > 7) {
    // A copy, so the parsed file's nodes stay as they were.
    YAML::Node search = study.search.IsMap() ? YAML::Clone(study.search) : YAML::Node();
    search[path.substr(7)] = node;
    study.search.reset(search);
    return;
  }
  const size_t dot = path.find('.');
  if (dot == std::string::npos) {
    throw ConfigError("override '" + assignment + "' must name stage.param (or seed)");
  }
  const std::string stage_name = path.substr(0, dot);
  const std::string param = path.substr(dot + 1);
  StageDecl* stage = study.FindStage(stage_name);
  if (!stage) {
    std::vector<std::string> known;
    for (const StageDecl& s : study.stages) known.push_back(s.name);
    const std::string hint = NearestName(stage_name, known);
    throw ConfigError("override names unknown stage '" + stage_name + "'" +
                      (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  }
  if (ParamDecl* existing = stage->FindParam(param)) {
    existing->value.reset(node);
    existing->mark = {};
  } else {
    stage->params.push_back({param, node, {}});
  }
}

std::string NearestName(const std::string& word, const std::vector<std::string>& candidates) {
  // Levenshtein distance; accept a suggestion within a third of the word's length (at least 2).
  auto distance = [](const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= b.size(); ++j) {
        const size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                           diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
        diagonal = up;
      }
    }
    return row[b.size()];
  };
  std::string best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string& candidate : candidates) {
    const size_t d = distance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

}  // namespace pipeline
