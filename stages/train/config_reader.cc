#include "stages/train/config_reader.h"

#include <algorithm>
#include <cmath>

#include "pipeline/errors.h"
#include "pipeline/study.h"

namespace stages {

using pipeline::Json;

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

ConfigReader::ConfigReader(const Json& config, std::string key_path, const std::string& example)
    : config_(config), key_path_(std::move(key_path)) {
  if (!config_.is_object()) Fail("", "expected a map such as " + example + ", got " + config_.dump());
}

void ConfigReader::Fail(const std::string& key, const std::string& why) const {
  const std::string path = key.empty() ? key_path_ : key_path_ + "." + key;
  throw pipeline::ConfigError(path + ": " + why, "", 0, 0, path);
}

bool ConfigReader::Has(const std::string& key) const {
  return config_.contains(key) && !config_.at(key).is_null();
}

double ConfigReader::Number(const std::string& key, double default_value) const {
  if (!Has(key)) return default_value;
  const Json& value = config_.at(key);
  if (!value.is_number() || !std::isfinite(value.get<double>())) {
    Fail(key, "expected a number, got " + value.dump());
  }
  return value.get<double>();
}

int64_t ConfigReader::Integer(const std::string& key, int64_t default_value) const {
  if (!Has(key)) return default_value;
  const double number = Number(key, 0);
  if (std::floor(number) != number || std::abs(number) > 9e15) {
    Fail(key, "expected an integer, got " + config_.at(key).dump());
  }
  return static_cast<int64_t>(number);
}

bool ConfigReader::Bool(const std::string& key, bool default_value) const {
  if (!Has(key)) return default_value;
  const Json& value = config_.at(key);
  if (!value.is_boolean()) Fail(key, "expected true or false, got " + value.dump());
  return value.get<bool>();
}

std::string ConfigReader::Choice(const std::string& key, const std::string& default_value,
                                 const std::vector<std::string>& choices) const {
  if (!Has(key)) return default_value;
  const Json& value = config_.at(key);
  if (!value.is_string()) Fail(key, "expected one of " + JoinNames(choices) + ", got " + value.dump());
  const std::string name = value.get<std::string>();
  if (std::find(choices.begin(), choices.end(), name) == choices.end()) {
    const std::string hint = pipeline::NearestName(name, choices);
    Fail(key, "unknown value '" + name + "'" +
                  (hint.empty() ? std::string() : " (did you mean " + hint + "?)") +
                  "; valid: " + JoinNames(choices));
  }
  return name;
}

void ConfigReader::RejectUnknownKeys(const std::vector<std::string>& known,
                                     const std::string& what) const {
  for (const auto& [key, value] : config_.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    const std::string hint = pipeline::NearestName(key, known);
    Fail(key, "unknown " + what + " setting" +
                  (hint.empty() ? std::string() : " (did you mean " + hint + "?)") +
                  "; valid: " + JoinNames(known));
  }
}

}  // namespace stages
