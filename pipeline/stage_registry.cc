#include "pipeline/stage_registry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "pipeline/errors.h"

namespace pipeline {
namespace {

// Parses a YAML scalar as the strictest JSON scalar it can be: int, float, bool, null, string.
Json ScalarToJson(const YAML::Node& node) {
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") return s;  // quoted: always a string
  try {
    size_t used = 0;
    const long long i = std::stoll(s, &used);
    if (used == s.size()) return static_cast<int64_t>(i);
  } catch (const std::exception&) {
  }
  try {
    size_t used = 0;
    const double d = std::stod(s, &used);
    if (used == s.size()) return d;
  } catch (const std::exception&) {
  }
  if (s == "true" || s == "True" || s == "yes") return true;
  if (s == "false" || s == "False" || s == "no") return false;
  if (s == "null" || s == "~" || s.empty()) return nullptr;
  return s;
}

std::string DescribeSpec(const ParamSpec& spec) {
  std::ostringstream out;
  out << ParamTypeName(spec.type);
  if (spec.min && spec.max) {
    out << " in [" << *spec.min << ", " << *spec.max << "]";
  } else if (spec.min) {
    out << " >= " << *spec.min;
  } else if (spec.max) {
    out << " <= " << *spec.max;
  }
  if (!spec.choices.empty()) {
    out << " (one of";
    for (const std::string& c : spec.choices) out << " " << c;
    out << ")";
  }
  return out.str();
}

}  // namespace

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
  for (const StageType* type : All()) {
    char line[64];
    std::snprintf(line, sizeof line, "  %-9s %-16s ", StageKindName(type->kind), type->name.c_str());
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
  for (const ParamSpec& spec : type.params) {
    out << "  " << spec.name << " (" << DescribeSpec(spec) << ", "
        << (spec.required() ? std::string("required") : "default " + spec.default_value.dump())
        << ")\n      " << spec.help << "\n";
  }
  return out.str();
}

Json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: return ScalarToJson(node);
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (const YAML::Node& item : node) out.push_back(YamlToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (auto it = node.begin(); it != node.end(); ++it) {
        out[it->first.as<std::string>()] = YamlToJson(it->second);
      }
      return out;
    }
    default: return nullptr;
  }
}

Json ConvertParamValue(const ParamSpec& spec, const YAML::Node& node, const std::string& file,
                       SourceMark mark, const std::string& key_path) {
  auto fail = [&](const std::string& why) -> Json {
    throw ConfigError(why + "; expected " + DescribeSpec(spec) + " — " + spec.help, file,
                      mark.line, mark.column, key_path);
  };
  Json value = YamlToJson(node);
  switch (spec.type) {
    case ParamType::kInt:
      if (value.is_number_float() && std::floor(value.get<double>()) == value.get<double>()) {
        value = static_cast<int64_t>(value.get<double>());
      }
      if (!value.is_number_integer()) fail("'" + YAML::Dump(node) + "' is not an integer");
      break;
    case ParamType::kFloat:
      if (!value.is_number()) fail("'" + YAML::Dump(node) + "' is not a number");
      value = value.get<double>();
      break;
    case ParamType::kBool:
      if (!value.is_boolean()) fail("'" + YAML::Dump(node) + "' is not true/false");
      break;
    case ParamType::kString:
      if (!node.IsScalar()) fail("expected a single value");
      value = node.Scalar();
      if (!spec.choices.empty() &&
          std::find(spec.choices.begin(), spec.choices.end(), value.get<std::string>()) ==
              spec.choices.end()) {
        const std::string hint = NearestName(value.get<std::string>(), spec.choices);
        fail("'" + value.get<std::string>() + "' is not allowed" +
             (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
      }
      break;
    case ParamType::kList:
      if (!value.is_array()) fail("expected a list");
      break;
    case ParamType::kObject:
      if (!value.is_object()) fail("expected a map");
      break;
  }
  if (value.is_number()) {
    const double v = value.get<double>();
    if (spec.min && v < *spec.min) fail(value.dump() + " is below the minimum");
    if (spec.max && v > *spec.max) fail(value.dump() + " is above the maximum");
  }
  return value;
}

}  // namespace pipeline
