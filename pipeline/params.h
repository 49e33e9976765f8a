#pragma once
// Declared parameters of a stage type (name, type, default, help, range) and the resolved
// values a stage instance receives. The registry validates study files against the
// declarations: unknown keys are rejected with the nearest valid name, values are converted to
// the declared type and checked against the range.

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
  kList,    // a YAML sequence passed as-is (e.g. a list of layers); a sweep over it uses `sweep:`
  kObject,  // a YAML mapping passed as-is
};

const char* ParamTypeName(ParamType type);

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kFloat;
  Json default_value;  // null: the parameter is required
  std::string help;
  std::optional<double> min;
  std::optional<double> max;
  std::vector<std::string> choices;  // allowed values of a string parameter (empty: any)

  // Builders, so declarations read as one line each:
  //   ParamSpec::Int("k", 8, "number of clusters").Min(1)
  static ParamSpec Int(std::string name, Json default_value, std::string help);
  static ParamSpec Float(std::string name, Json default_value, std::string help);
  static ParamSpec Bool(std::string name, bool default_value, std::string help);
  static ParamSpec String(std::string name, Json default_value, std::string help);
  static ParamSpec List(std::string name, Json default_value, std::string help);
  static ParamSpec Object(std::string name, Json default_value, std::string help);
  ParamSpec& Min(double value) { min = value; return *this; }
  ParamSpec& Max(double value) { max = value; return *this; }
  ParamSpec& Choices(std::vector<std::string> values) { choices = std::move(values); return *this; }
  bool required() const { return default_value.is_null(); }
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
