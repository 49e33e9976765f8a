#include "pipeline/stage_registry.h"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "pipeline/errors.h"
#include "pipeline/param_schema.h"

namespace pipeline {

StageRegistry::StageRegistry(std::vector<StageType> types) {
  for (StageType& type : types) Add(std::move(type));
}

void StageRegistry::Add(StageType type) {
  const std::string name = type.name;
  if (!types_.emplace(name, std::move(type)).second) {
    throw std::logic_error("stage type '" + name + "' registered twice");
  }
}

const StageType* StageRegistry::Find(const std::string& name) const {
  auto it = types_.find(name);
  return it == types_.end() ? nullptr : &it->second;
}

const StageType& StageRegistry::Get(const std::string& name, const std::string& file,
                                    SourceMark mark) const {
  if (const StageType* type = Find(name)) return *type;
  std::vector<std::string> names;
  for (const auto& entry : types_) names.push_back(entry.first);
  const std::string hint = NearestName(name, names);
  std::string valid;
  for (const std::string& n : names) valid += (valid.empty() ? "" : ", ") + n;
  throw ConfigError("unknown stage type '" + name + "'" +
                        (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                        "; valid types: " + valid,
                    file, mark.line, mark.column, "type");
}

std::vector<const StageType*> StageRegistry::All() const {
  std::vector<const StageType*> all;
  for (const auto& entry : types_) all.push_back(&entry.second);
  std::stable_sort(all.begin(), all.end(), [](const StageType* a, const StageType* b) {
    return static_cast<int>(a->kind) < static_cast<int>(b->kind);
  });
  return all;
}

std::string StageRegistry::ListText() const {
  std::ostringstream out;
  size_t width = 0;
  for (const StageType* type : All()) width = std::max(width, type->name.size());
  for (const StageType* type : All()) {
    char line[96];
    std::snprintf(line, sizeof line, "  %-9s %-*s ", StageKindName(type->kind),
                  static_cast<int>(width), type->name.c_str());
    out << line << type->help << "\n";
  }
  return out.str();
}

std::string StageRegistry::HelpText(const StageType& type) const {
  std::ostringstream out;
  out << type.name << " (" << StageKindName(type.kind) << ", code version " << type.code_version
      << "): " << type.help << "\n";
  out << "inputs: " << type.min_inputs;
  if (type.max_inputs != type.min_inputs) out << ".." << type.max_inputs;
  out << (type.uses_rng ? "; seeded (one result per seed)" : "; deterministic (shared across seeds)")
      << "\nparameters:\n";
  for (const ParamSpec& spec : type.params) out << ParamHelp(spec, 2);
  return out.str();
}

}  // namespace pipeline
