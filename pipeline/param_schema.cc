// Implementation notes: one recursive Resolver walks a YAML node and its declaration together.
// JSON values are resolved by turning them into YAML first (JSON is YAML), with positions
// switched off, so there is exactly one set of rules. A YAML null reads as "absent".

#include "pipeline/param_schema.h"

#include <algorithm>
#include <cmath>
#include <map>
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

constexpr double kIntMax = 2147483647.0;            // int parameters without a declared range
constexpr double kInt64Max = 9223372036854775807.0;

// An integer bound as text (the int64 limits are not exactly representable as doubles).
std::string IntText(double bound) {
  if (bound >= kInt64Max) return "9223372036854775807";
  if (bound <= -kInt64Max) return "-9223372036854775808";
  return std::to_string(static_cast<int64_t>(bound));
}

std::string Join(const std::vector<std::string>& names, const char* separator = ", ") {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : separator) + name;
  return text;
}

std::vector<std::string> VariantNames(const ParamSpec& spec) {
  std::vector<std::string> names;
  for (const ParamSpec& variant : spec.variants) names.push_back(variant.name);
  return names;
}

std::vector<std::string> FieldNames(const ParamSpec& spec, const ParamSpec* variant) {
  std::vector<std::string> names;
  if (!spec.tag.empty()) names.push_back(spec.tag);
  for (const ParamSpec& field : spec.fields) names.push_back(field.name);
  if (variant != nullptr) {
    for (const ParamSpec& field : variant->fields) names.push_back(field.name);
  }
  return names;
}

std::string Hint(const std::string& word, const std::vector<std::string>& candidates) {
  const std::string nearest = NearestName(word, candidates);
  return nearest.empty() ? "" : " (did you mean '" + nearest + "'?)";
}

std::string Shown(const YAML::Node& node) {
  return node.IsScalar() ? node.Scalar() : YamlToJson(node).dump();
}

YAML::Node JsonToYaml(const Json& value) { return YAML::Load(value.dump()); }

class Resolver {
 public:
  Resolver(std::string file, bool use_marks) : file_(std::move(file)), use_marks_(use_marks) {}

  Json Resolve(const ParamSpec& spec, const YAML::Node& node, SourceMark mark,
               const std::string& path) const {
    switch (spec.type) {
      case ParamType::kList: return List(spec, node, mark, path);
      case ParamType::kObject: return Map(spec, node, mark, path);
      case ParamType::kRange: return Range(spec, node, mark, path);
      default: return Scalar(spec, node, mark, path);
    }
  }

 private:
  SourceMark MarkOf(const YAML::Node& node, SourceMark fallback) const {
    // YAML::Clone (a swept map's copies) drops positions, leaving 0:0, where no nested value
    // of a study can be.
    if (!use_marks_ || !node.IsDefined() || node.Mark().is_null() ||
        (node.Mark().line == 0 && node.Mark().column == 0)) {
      return fallback;
    }
    return {node.Mark().line + 1, node.Mark().column + 1};
  }

  [[noreturn]] void Fail(const std::string& why, SourceMark mark, const std::string& path) const {
    throw ConfigError(why, file_, use_marks_ ? mark.line : 0, use_marks_ ? mark.column : 0, path);
  }

  [[noreturn]] void FailValue(const ParamSpec& spec, const std::string& why, SourceMark mark,
                              const std::string& path) const {
    Fail(why + "; expected " + DescribeParam(spec) + " — " + spec.help, mark, path);
  }

  void CheckBounds(const ParamSpec& spec, const Json& number, SourceMark mark,
                   const std::string& path) const {
    const double value = number.get<double>();
    if (!std::isfinite(value)) {
      FailValue(spec, std::string(std::isnan(value) ? "nan" : "an infinite value") +
                          " is not allowed (a finite number is needed)",
                mark, path);
    }
    if (spec.min && (value < *spec.min || (spec.min_exclusive && value == *spec.min))) {
      FailValue(spec, number.dump() + " is below the minimum", mark, path);
    }
    if (spec.max && (value > *spec.max || (spec.max_exclusive && value == *spec.max))) {
      FailValue(spec, number.dump() + " is above the maximum", mark, path);
    }
  }

  Json Scalar(const ParamSpec& spec, const YAML::Node& node, SourceMark mark,
              const std::string& path) const {
    if (!node.IsScalar()) FailValue(spec, "expected a single value, got " + Shown(node), mark, path);
    Json value = ScalarToJson(node);
    switch (spec.type) {
      case ParamType::kInt: {
        const bool integral = value.is_number_integer() ||
                              (value.is_number_float() && std::isfinite(value.get<double>()) &&
                               std::floor(value.get<double>()) == value.get<double>());
        if (!integral) FailValue(spec, "'" + Shown(node) + "' is not an integer", mark, path);
        // Integer parameters are counts, sizes and seeds: without a declared range they hold
        // 32 bits, so 1e12 epochs or rows is a mistake reported here, not hours later.
        const double high = std::min(spec.max ? *spec.max : kIntMax, kInt64Max);
        const double low = std::max(spec.min ? *spec.min : -kIntMax, -kInt64Max);
        const double v = value.get<double>();
        if (v > high || (value.is_number_float() && v >= kInt64Max)) {
          FailValue(spec, "'" + Shown(node) + "' is too large (at most " + IntText(high) + ")",
                    mark, path);
        }
        if (v < low) {
          FailValue(spec, "'" + Shown(node) + "' is below the minimum " + IntText(low), mark,
                    path);
        }
        if (value.is_number_float()) value = static_cast<int64_t>(v);
        break;
      }
      case ParamType::kFloat:
        if (!value.is_number()) FailValue(spec, "'" + Shown(node) + "' is not a number", mark, path);
        value = value.get<double>();
        break;
      case ParamType::kBool:
        if (!value.is_boolean()) FailValue(spec, "'" + Shown(node) + "' is not true/false", mark, path);
        break;
      case ParamType::kString:
      case ParamType::kStageRef:
        value = node.Scalar();
        if (!spec.choices.empty() &&
            std::find(spec.choices.begin(), spec.choices.end(), node.Scalar()) ==
                spec.choices.end()) {
          FailValue(spec, "'" + node.Scalar() + "' is not allowed" + Hint(node.Scalar(), spec.choices),
                    mark, path);
        }
        break;
      default:
        throw std::logic_error("Resolver::Scalar on a " + std::string(ParamTypeName(spec.type)));
    }
    if (value.is_number()) CheckBounds(spec, value, mark, path);
    return value;
  }

  Json Range(const ParamSpec& spec, const YAML::Node& node, SourceMark mark,
             const std::string& path) const {
    auto number = [&](const YAML::Node& item) -> double {
      const Json value = item.IsScalar() ? ScalarToJson(item) : Json();
      if (!value.is_number()) {
        FailValue(spec, "'" + Shown(item) + "' is not a number", MarkOf(item, mark), path);
      }
      return value.get<double>();
    };
    double low = 0, high = 0;
    if (node.IsScalar() && spec.range_scalar != RangeScalar::kRejected) {
      const double r = number(node);
      low = spec.range_scalar == RangeScalar::kSymmetric ? -std::abs(r) : r;
      high = spec.range_scalar == RangeScalar::kSymmetric ? std::abs(r) : r;
    } else if (node.IsSequence() && node.size() == 2) {
      low = number(node[0]);
      high = number(node[1]);
    } else {
      FailValue(spec, "expected a list [low, high], got " + Shown(node), mark, path);
    }
    CheckBounds(spec, low, mark, path);
    CheckBounds(spec, high, mark, path);
    if (spec.range_scalar != RangeScalar::kRepeated && low > high) {
      FailValue(spec, "low " + Json(low).dump() + " exceeds high " + Json(high).dump(), mark, path);
    }
    return Json::array({low, high});
  }

  Json List(const ParamSpec& spec, const YAML::Node& node, SourceMark mark,
            const std::string& path) const {
    if (!node.IsSequence()) FailValue(spec, "expected a list, got " + Shown(node), mark, path);
    if (spec.min && static_cast<double>(node.size()) < *spec.min) {
      FailValue(spec, "the list has " + std::to_string(node.size()) + " item(s)", mark, path);
    }
    if (spec.items.empty()) return YamlToJson(node);
    Json out = Json::array();
    for (size_t i = 0; i < node.size(); ++i) {
      const YAML::Node item = node[i];
      out.push_back(Resolve(spec.items[0], item, MarkOf(item, mark),
                            path + "[" + std::to_string(i) + "]"));
    }
    return out;
  }

  Json Map(const ParamSpec& spec, const YAML::Node& node, SourceMark mark,
           const std::string& path) const {
    if (!node.IsMap()) FailValue(spec, "expected a map, got " + Shown(node), mark, path);
    if (!spec.structured()) return YamlToJson(node);

    std::map<std::string, std::pair<YAML::Node, SourceMark>> given;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it->second.IsNull()) continue;
      given[it->first.Scalar()] = {it->second, MarkOf(it->first, mark)};
    }
    Json base = spec.default_value.is_object() ? spec.default_value : Json::object();
    Json result = Json::object();

    const ParamSpec* variant = nullptr;
    if (!spec.tag.empty()) {
      const std::string tag_path = path + "." + spec.tag;
      std::string chosen;
      auto tag = given.find(spec.tag);
      if (tag != given.end()) {
        const SourceMark at = MarkOf(tag->second.first, mark);
        if (!tag->second.first.IsScalar()) {
          Fail("expected one of " + Join(VariantNames(spec)), at, tag_path);
        }
        chosen = tag->second.first.Scalar();
        variant = spec.FindVariant(chosen);
        if (variant == nullptr) {
          Fail("unknown " + spec.tag + " '" + chosen + "'" + Hint(chosen, VariantNames(spec)) +
                   "; valid: " + Join(VariantNames(spec)),
               at, tag_path);
        }
      } else if (base.contains(spec.tag) && base[spec.tag].is_string()) {
        chosen = base[spec.tag].get<std::string>();
        variant = spec.FindVariant(chosen);
        if (variant == nullptr) throw std::logic_error("default names no variant: " + path);
      } else {
        Fail("needs '" + spec.tag + "' (one of " + Join(VariantNames(spec)) + ")", mark, path);
      }
      // The default's other fields belong to the default's variant.
      if (!base.contains(spec.tag) || base[spec.tag] != chosen) base = Json::object();
      result[spec.tag] = chosen;
    }

    for (const auto& [key, value] : given) {
      if (key == spec.tag || spec.FindField(key, variant) != nullptr) continue;
      const std::string key_path = path + "." + key;
      std::vector<std::string> owners;
      for (const ParamSpec& other : spec.variants) {
        if (spec.FindField(key, &other) != nullptr) owners.push_back(other.name);
      }
      if (!owners.empty()) {
        Fail("'" + key + "' does not apply to " + spec.tag + " " + variant->name +
                 " (it is a setting of " + Join(owners) + ")",
             value.second, key_path);
      }
      const std::vector<std::string> names = FieldNames(spec, variant);
      Fail("unknown key '" + key + "'" + Hint(key, names) + "; valid: " + Join(names),
           value.second, key_path);
    }

    auto fill = [&](const ParamSpec& field) {
      const std::string field_path = path + "." + field.name;
      auto it = given.find(field.name);
      if (it != given.end()) {
        const YAML::Node& value = it->second.first;
        result[field.name] = Resolve(field, value, MarkOf(value, it->second.second), field_path);
        return;
      }
      const Json fallback = base.contains(field.name) && !base[field.name].is_null()
                                ? base[field.name]
                                : field.default_value;
      if (!fallback.is_null()) {
        result[field.name] = Resolver(file_, false).Resolve(field, JsonToYaml(fallback), {},
                                                            field_path);
      } else if (!field.optional) {
        Fail("missing '" + field.name + "' (" + field.help + ")", mark, field_path);
      }
    };
    for (const ParamSpec& field : spec.fields) fill(field);
    if (variant != nullptr) {
      for (const ParamSpec& field : variant->fields) fill(field);
    }
    return result;
  }

  std::string file_;
  bool use_marks_;
};

std::string Pad(int indent) { return std::string(static_cast<size_t>(indent), ' '); }

std::string DefaultText(const ParamSpec& spec) {
  if (spec.required()) return "required";
  if (spec.default_value.is_null()) return "optional";
  if (spec.default_value.is_string()) return "default '" + spec.default_value.get<std::string>() + "'";
  return "default " + spec.default_value.dump();
}

void MapHelp(const ParamSpec& spec, int indent, std::ostringstream& out) {
  if (!spec.tag.empty()) {
    out << Pad(indent) << spec.tag << ": " << Join(VariantNames(spec), " | ") << "\n";
  }
  for (const ParamSpec& field : spec.fields) out << ParamHelp(field, indent);
  for (const ParamSpec& variant : spec.variants) {
    out << Pad(indent) << "with " << spec.tag << ": " << variant.name;
    if (!variant.help.empty()) out << " — " << variant.help;
    out << (variant.fields.empty() ? " (no settings)\n" : "\n");
    for (const ParamSpec& field : variant.fields) out << ParamHelp(field, indent + 2);
  }
}

}  // namespace

Json ResolveParam(const ParamSpec& spec, const YAML::Node& node, const ValueSite& site) {
  return Resolver(site.file, true).Resolve(spec, node, site.mark, site.key_path);
}

Json ResolveParam(const ParamSpec& spec, const Json& value, const std::string& key_path) {
  return Resolver("", false).Resolve(spec, JsonToYaml(value), {}, key_path);
}

Json ResolveDefault(const ParamSpec& spec, const std::string& key_path) {
  if (spec.required()) throw ConfigError("needs a value (" + spec.help + ")", "", 0, 0, key_path);
  if (spec.default_value.is_null()) return nullptr;
  return ResolveParam(spec, spec.default_value, key_path);
}

std::string DescribeParam(const ParamSpec& spec) {
  std::ostringstream out;
  out << ParamTypeName(spec.type);
  if (spec.type == ParamType::kList && !spec.items.empty()) {
    const ParamSpec& item = spec.items[0];
    out << " of " << (item.tag.empty() ? DescribeParam(item) : "{" + item.tag + ": ...}");
  }
  const char* low = spec.min_exclusive ? " > " : " >= ";
  // Integer bounds as integers (9223372036854775807, not 9.22337e+18).
  auto bound = [&](double value) {
    std::ostringstream text;
    if (spec.type == ParamType::kInt) {
      text << IntText(value);
    } else {
      text << value;
    }
    return text.str();
  };
  if (spec.type == ParamType::kList && spec.min) {
    out << " (at least " << *spec.min << ")";
  } else if (spec.min && spec.max) {
    out << " in " << (spec.min_exclusive ? "(" : "[") << bound(*spec.min) << ", " << bound(*spec.max)
        << (spec.max_exclusive ? ")" : "]");
  } else if (spec.min) {
    out << low << bound(*spec.min);
  } else if (spec.max) {
    out << (spec.max_exclusive ? " < " : " <= ") << bound(*spec.max);
  }
  if (spec.type == ParamType::kRange && spec.range_scalar == RangeScalar::kSymmetric) {
    out << " (or r for [-r, r])";
  } else if (spec.type == ParamType::kRange && spec.range_scalar == RangeScalar::kRepeated) {
    out << " (or one number for both)";
  }
  if (!spec.choices.empty()) out << " (one of " << Join(spec.choices, " ") << ")";
  return out.str();
}

std::string ParamHelp(const ParamSpec& spec, int indent) {
  std::ostringstream out;
  out << Pad(indent) << spec.name << " (" << DescribeParam(spec) << ", " << DefaultText(spec)
      << ")";
  // Top-level parameters put their help on a line of its own; nested fields keep to one line.
  if (!spec.help.empty()) {
    out << (indent <= 2 ? "\n" + Pad(indent + 4) : ": ") << spec.help;
  }
  out << "\n";
  if (spec.type == ParamType::kObject && spec.structured()) MapHelp(spec, indent + 4, out);
  if (spec.type == ParamType::kList && !spec.items.empty() && spec.items[0].structured()) {
    out << Pad(indent + 4) << "each item:\n";
    MapHelp(spec.items[0], indent + 6, out);
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

}  // namespace pipeline
