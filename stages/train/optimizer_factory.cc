#include "stages/train/optimizer_factory.h"

#include <algorithm>

#include "pipeline/errors.h"
#include "stages/train/adaptive_optimizers.h"
#include "stages/train/config_reader.h"
#include "stages/train/sgd.h"

namespace stages {
namespace {

using pipeline::ConfigError;
using pipeline::Json;

// The optimisers each key applies to; empty means all.
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

// Rejects unknown keys, and keys of other optimisers unless they hold their default (a train
// stage may pass every key with its default). eps has no common default, so it is rejected
// whenever it is set for sgd.
void CheckKeys(const std::string& optimizer, const ConfigReader& reader) {
  std::vector<std::string> known;
  for (const KeyRule& rule : KeyRules()) known.emplace_back(rule.key);
  reader.RejectUnknownKeys(known, "optimizer");
  const Json defaults = {{"momentum", 0}, {"nesterov", false}, {"initial_accumulator", 0},
                         {"alpha", 0.99}, {"beta1", 0.9},      {"beta2", 0.999}};
  for (const KeyRule& rule : KeyRules()) {
    if (rule.optimizers.empty() || !reader.Has(rule.key)) continue;
    if (std::find(rule.optimizers.begin(), rule.optimizers.end(), optimizer) !=
        rule.optimizers.end()) {
      continue;
    }
    const Json& value = reader.config().at(rule.key);
    if (!defaults.contains(rule.key) || defaults.at(rule.key) != value) {
      reader.Fail(rule.key, "does not apply to " + optimizer + " (it is a setting of " +
                                JoinNames(rule.optimizers) + ")");
    }
  }
}

}  // namespace

const std::vector<std::string>& OptimizerNames() {
  static const std::vector<std::string> names = {"sgd", "adagrad", "rmsprop", "adam"};
  return names;
}

std::unique_ptr<Optimizer> MakeOptimizer(const Json& config, const std::string& key_path) {
  const ConfigReader reader(config, key_path, "{optimizer: adam, lr: 0.001}");
  const std::string name = reader.Choice("optimizer", "sgd", OptimizerNames());
  CheckKeys(name, reader);

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
