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
