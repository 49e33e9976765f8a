#pragma once
// Declared parameters of a stage type (name, type, default, help, range) and the resolved
// values a stage instance receives. A declaration may nest: a map parameter declares its
// fields (an optimiser's lr, momentum, ...), optionally as tagged variants (the field
// `optimizer` picks sgd's or adam's fields), and a list parameter declares the schema of its
// items (a network's layers, one variant per layer `type`). param_schema.h resolves study
// values against the declarations: unknown keys are rejected with the nearest valid name,
// values are converted to the declared type, checked against the range and merged with the
// declared default field by field.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pipeline {

using Json = nlohmann::json;

enum class ParamType {
  kInt,
  kFloat,
  kBool,
  kString,
  kList,      // a YAML sequence (of `items` when declared); a sweep over it uses `sweep:`
  kObject,    // a YAML mapping (with declared `fields`/`variants`, or passed as-is)
  kRange,     // a [low, high] pair of numbers, low <= high
  kStageRef,  // another stage's output, written run:<id>/<stage>; resolved to that stage's key
};

// What a single number means where a kRange is expected.
enum class RangeScalar {
  kRejected,   // only [low, high]
  kSymmetric,  // r means [-r, r]
  kRepeated,   // f means [f, f] (and the pair need not be ordered: [fx, fy])
};

const char* ParamTypeName(ParamType type);

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kFloat;
  Json default_value;  // null: the parameter is required
  std::string help;
  std::optional<double> min;
  std::optional<double> max;
  bool min_exclusive = false;        // min is a strict bound ("> 0")
  bool max_exclusive = false;        // max is a strict bound ("< 1")
  std::vector<std::string> choices;  // allowed values of a string parameter (empty: any)
  bool optional = false;             // may be absent: no default, yet not required
  RangeScalar range_scalar = RangeScalar::kRejected;
  // kObject: the declared fields (empty, with no variants: any map, passed as-is).
  std::vector<ParamSpec> fields;
  // kObject: `tag` names the field whose value picks one of `variants`; each variant is a
  // kObject spec whose name is that value and whose fields are added to the common `fields`.
  std::string tag;
  std::vector<ParamSpec> variants;
  // kList: the schema every item follows (zero or one element; none: any list).
  std::vector<ParamSpec> items;

  // Builders, so declarations read as one line each:
  //   ParamSpec::Int("k", 8, "number of clusters").Min(1)
  static ParamSpec Int(std::string name, Json default_value, std::string help);
  static ParamSpec Float(std::string name, Json default_value, std::string help);
  static ParamSpec Bool(std::string name, bool default_value, std::string help);
  static ParamSpec String(std::string name, Json default_value, std::string help);
  static ParamSpec List(std::string name, Json default_value, std::string help);
  static ParamSpec Object(std::string name, Json default_value, std::string help);
  static ParamSpec Range(std::string name, Json default_value, std::string help);
  // Defaults to "" (no reference).
  static ParamSpec StageRef(std::string name, std::string help);
  // One variant of a tagged map: `value` is the tag's value, e.g. Variant("sgd", ...).
  static ParamSpec Variant(std::string value, std::string help, std::vector<ParamSpec> fields);
  ParamSpec& Min(double value) { min = value; return *this; }
  ParamSpec& Above(double value) { min = value; min_exclusive = true; return *this; }
  ParamSpec& Below(double value) { max = value; max_exclusive = true; return *this; }
  ParamSpec& Max(double value) { max = value; return *this; }
  ParamSpec& Choices(std::vector<std::string> values) { choices = std::move(values); return *this; }
  ParamSpec& Optional() { optional = true; return *this; }
  ParamSpec& ScalarMeans(RangeScalar meaning) { range_scalar = meaning; return *this; }
  ParamSpec& Fields(std::vector<ParamSpec> values) { fields = std::move(values); return *this; }
  ParamSpec& Tagged(std::string tag_field, std::vector<ParamSpec> tag_variants) {
    tag = std::move(tag_field);
    variants = std::move(tag_variants);
    return *this;
  }
  ParamSpec& Items(ParamSpec item) { items = {std::move(item)}; return *this; }

  bool required() const { return default_value.is_null() && !optional; }
  // A map with declared fields or variants (as opposed to a free-form map).
  bool structured() const { return !fields.empty() || !variants.empty(); }
  const ParamSpec* FindVariant(const std::string& value) const;
  // The field `key` of the common fields or of `variant` (may be null).
  const ParamSpec* FindField(const std::string& key, const ParamSpec* variant) const;
};

// The resolved parameter values of one stage instance (every declared parameter present).
// Thread-safe for concurrent reads.
class Params {
 public:
  Params() = default;
  explicit Params(Json values) : values_(std::move(values)) {}

  int64_t GetInt(const std::string& name) const;
  double GetFloat(const std::string& name) const;
  bool GetBool(const std::string& name) const;
  std::string GetString(const std::string& name) const;
  std::vector<double> GetFloatList(const std::string& name) const;
  std::vector<int64_t> GetIntList(const std::string& name) const;
  const Json& Get(const std::string& name) const;
  const Json& json() const { return values_; }

 private:
  Json values_ = Json::object();
};

}  // namespace pipeline
