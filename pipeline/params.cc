#include "pipeline/params.h"

#include "pipeline/errors.h"

namespace pipeline {

const char* ParamTypeName(ParamType type) {
  switch (type) {
    case ParamType::kInt: return "int";
    case ParamType::kFloat: return "float";
    case ParamType::kBool: return "bool";
    case ParamType::kString: return "string";
    case ParamType::kList: return "list";
    case ParamType::kObject: return "map";
    case ParamType::kRange: return "range";
    case ParamType::kStageRef: return "stage reference";
  }
  return "?";
}

namespace {
ParamSpec Make(std::string name, ParamType type, Json default_value, std::string help) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.default_value = std::move(default_value);
  spec.help = std::move(help);
  return spec;
}
}  // namespace

ParamSpec ParamSpec::Int(std::string name, Json d, std::string help) {
  return Make(std::move(name), ParamType::kInt, std::move(d), std::move(help));
}
ParamSpec ParamSpec::Float(std::string name, Json d, std::string help) {
  return Make(std::move(name), ParamType::kFloat, std::move(d), std::move(help));
}
ParamSpec ParamSpec::Bool(std::string name, bool d, std::string help) {
  return Make(std::move(name), ParamType::kBool, d, std::move(help));
}
ParamSpec ParamSpec::String(std::string name, Json d, std::string help) {
  return Make(std::move(name), ParamType::kString, std::move(d), std::move(help));
}
ParamSpec ParamSpec::List(std::string name, Json d, std::string help) {
  return Make(std::move(name), ParamType::kList, std::move(d), std::move(help));
}
ParamSpec ParamSpec::Object(std::string name, Json d, std::string help) {
  return Make(std::move(name), ParamType::kObject, std::move(d), std::move(help));
}

ParamSpec ParamSpec::Range(std::string name, Json d, std::string help) {
  return Make(std::move(name), ParamType::kRange, std::move(d), std::move(help));
}
ParamSpec ParamSpec::StageRef(std::string name, std::string help) {
  return Make(std::move(name), ParamType::kStageRef, "", std::move(help));
}
ParamSpec ParamSpec::Variant(std::string value, std::string help, std::vector<ParamSpec> fields) {
  ParamSpec spec = Make(std::move(value), ParamType::kObject, nullptr, std::move(help));
  spec.fields = std::move(fields);
  spec.optional = true;
  return spec;
}

const ParamSpec* ParamSpec::FindVariant(const std::string& value) const {
  for (const ParamSpec& variant : variants) {
    if (variant.name == value) return &variant;
  }
  return nullptr;
}

const ParamSpec* ParamSpec::FindField(const std::string& key, const ParamSpec* variant) const {
  for (const ParamSpec& field : fields) {
    if (field.name == key) return &field;
  }
  if (variant != nullptr) {
    for (const ParamSpec& field : variant->fields) {
      if (field.name == key) return &field;
    }
  }
  return nullptr;
}

const Json& Params::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) {
    throw StageError("stage read undeclared parameter '" + name + "' (a bug in the stage)");
  }
  return *it;
}

int64_t Params::GetInt(const std::string& name) const { return Get(name).get<int64_t>(); }
double Params::GetFloat(const std::string& name) const { return Get(name).get<double>(); }
bool Params::GetBool(const std::string& name) const { return Get(name).get<bool>(); }
std::string Params::GetString(const std::string& name) const {
  return Get(name).get<std::string>();
}

std::vector<double> Params::GetFloatList(const std::string& name) const {
  std::vector<double> out;
  for (const Json& v : Get(name)) out.push_back(v.get<double>());
  return out;
}

std::vector<int64_t> Params::GetIntList(const std::string& name) const {
  std::vector<int64_t> out;
  for (const Json& v : Get(name)) out.push_back(v.get<int64_t>());
  return out;
}

}  // namespace pipeline
