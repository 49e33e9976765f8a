#include "stages/train/optimizer_factory.h"

#include <algorithm>
#include <cmath>

#include "pipeline/errors.h"
#include "pipeline/study.h"
#include "stages/train/adaptive_optimizers.h"
#include "stages/train/sgd.h"

namespace stages {
namespace {

using pipeline::ConfigError;
using pipeline::Json;

// Which optimisers a key applies to; "" means all.
struct KeyRule {
  const char* key;
  std::vector<std::string> optimizers;
};

const std::vector<KeyRule>& KeyRules() {
  static const std::vector<KeyRule> rules = {
      {"optimizer", {}},          {"lr", {}},
      {"momentum", {"sgd"}},      {"nesterov", {"sgd"}},
      {"initial_accumulator", {"adagrad"}},
      {"alpha", {"rmsprop"}},     {"beta1", {"adam"}},
      {"beta2", {"adam"}},        {"eps", {"adagrad", "rmsprop", "adam"}},
      {"weight_decay", {}},       {"l2", {}},
      {"l1", {}},
  };
  return rules;
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

class ConfigReader {
 public:
  ConfigReader(const Json& config, std::string key_path)
      : config_(config), key_path_(std::move(key_path)) {}

  [[noreturn]] void Fail(const std::string& key, const std::string& why) const {
    const std::string path = key.empty() ? key_path_ : key_path_ + "." + key;
    throw ConfigError(path + ": " + why, "", 0, 0, path);
  }

  bool Has(const std::string& key) const {
    return config_.contains(key) && !config_.at(key).is_null();
  }

  double Number(const std::string& key, double default_value) const {
    if (!Has(key)) return default_value;
    const Json& value = config_.at(key);
    if (!value.is_number() || !std::isfinite(value.get<double>())) {
      Fail(key, "expected a number, got " + value.dump());
    }
    return value.get<double>();
  }

  bool Bool(const std::string& key, bool default_value) const {
    if (!Has(key)) return default_value;
    const Json& value = config_.at(key);
    if (!value.is_boolean()) Fail(key, "expected true or false, got " + value.dump());
    return value.get<bool>();
  }

  std::string String(const std::string& key, const std::string& default_value) const {
    if (!Has(key)) return default_value;
    const Json& value = config_.at(key);
    if (!value.is_string()) Fail(key, "expected a name, got " + value.dump());
    return value.get<std::string>();
  }

 private:
  const Json& config_;
  std::string key_path_;
};

// Rejects unknown keys, and keys of other optimisers unless they hold their default (a train
// stage may pass every key with its default).
void CheckKeys(const Json& config, const std::string& optimizer, const ConfigReader& reader) {
  std::vector<std::string> known;
  for (const KeyRule& rule : KeyRules()) known.emplace_back(rule.key);
  const Json defaults = {{"momentum", 0}, {"nesterov", false}, {"initial_accumulator", 0},
                         {"alpha", 0.99}, {"beta1", 0.9},      {"beta2", 0.999}};
  for (const auto& [key, value] : config.items()) {
    const auto rule = std::find_if(KeyRules().begin(), KeyRules().end(),
                                   [&](const KeyRule& r) { return key == r.key; });
    if (rule == KeyRules().end()) {
      const std::string hint = pipeline::NearestName(key, known);
      reader.Fail(key, "unknown optimizer setting" +
                           (hint.empty() ? std::string() : " (did you mean " + hint + "?)") +
                           "; valid: " + Join(known));
    }
    if (rule->optimizers.empty() || value.is_null()) continue;
    if (std::find(rule->optimizers.begin(), rule->optimizers.end(), optimizer) !=
        rule->optimizers.end()) {
      continue;
    }
    if (key == "eps" || !defaults.contains(key) || defaults.at(key) != value) {
      reader.Fail(key, "does not apply to " + optimizer + " (it is a setting of " +
                           Join(rule->optimizers) + ")");
    }
  }
}

}  // namespace

const std::vector<std::string>& OptimizerNames() {
  static const std::vector<std::string> names = {"sgd", "adagrad", "rmsprop", "adam"};
  return names;
}

std::unique_ptr<Optimizer> MakeOptimizer(const Json& config, const std::string& key_path) {
  const ConfigReader reader(config, key_path);
  if (!config.is_object()) {
    reader.Fail("", "expected a map such as {optimizer: adam, lr: 0.001}, got " + config.dump());
  }
  const std::string name = reader.String("optimizer", "sgd");
  if (std::find(OptimizerNames().begin(), OptimizerNames().end(), name) ==
      OptimizerNames().end()) {
    const std::string hint = pipeline::NearestName(name, OptimizerNames());
    reader.Fail("optimizer", "unknown optimizer '" + name + "'" +
                                 (hint.empty() ? std::string() : " (did you mean " + hint + "?)") +
                                 "; valid: " + Join(OptimizerNames()));
  }
  CheckKeys(config, name, reader);

  PenaltyOptions penalties;
  penalties.weight_decay = reader.Number("weight_decay", 0);
  penalties.l2 = reader.Number("l2", 0);
  penalties.l1 = reader.Number("l1", 0);
  for (const auto& [key, value] : {std::pair<const char*, double>{"weight_decay",
                                                                   penalties.weight_decay},
                                   {"l2", penalties.l2},
                                   {"l1", penalties.l1}}) {
    if (value < 0) reader.Fail(key, "must be >= 0, got " + Json(value).dump());
  }

  // The constructors check ranges; their ConfigError gains the key path here.
  try {
    if (name == "sgd") {
      SgdOptions options;
      options.lr = reader.Number("lr", 0.01);
      options.momentum = reader.Number("momentum", 0);
      options.nesterov = reader.Bool("nesterov", false);
      options.penalties = penalties;
      return std::make_unique<Sgd>(options);
    }
    if (name == "adagrad") {
      AdagradOptions options;
      options.lr = reader.Number("lr", 0.01);
      options.eps = reader.Number("eps", 1e-10);
      options.initial_accumulator = reader.Number("initial_accumulator", 0);
      options.penalties = penalties;
      return std::make_unique<Adagrad>(options);
    }
    if (name == "rmsprop") {
      RmspropOptions options;
      options.lr = reader.Number("lr", 0.01);
      options.alpha = reader.Number("alpha", 0.99);
      options.eps = reader.Number("eps", 1e-8);
      options.penalties = penalties;
      return std::make_unique<Rmsprop>(options);
    }
    AdamOptions options;
    options.lr = reader.Number("lr", 0.001);
    options.beta1 = reader.Number("beta1", 0.9);
    options.beta2 = reader.Number("beta2", 0.999);
    options.eps = reader.Number("eps", 1e-8);
    options.penalties = penalties;
    return std::make_unique<Adam>(options);
  } catch (const ConfigError& error) {
    reader.Fail("", error.what());
  }
}

}  // namespace stages
