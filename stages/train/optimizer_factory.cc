#include "stages/train/optimizer_factory.h"

#include "pipeline/errors.h"
#include "pipeline/param_schema.h"
#include "stages/train/adaptive_optimizers.h"
#include "stages/train/sgd.h"

namespace stages {

using pipeline::Json;
using pipeline::ParamSpec;

ParamSpec OptimizerParam(const std::string& name) {
  auto lr = [](double value) {
    return ParamSpec::Float("lr", value, "learning rate").Above(0);
  };
  auto eps = [](double value) {
    return ParamSpec::Float("eps", value, "added to the denominator for stability").Min(0).Max(1);
  };
  return ParamSpec::Object(name, Json{{"optimizer", "adam"}, {"lr", 0.001}},
                           "the optimiser and its settings; fields not given keep the default's "
                           "(another optimiser starts from its own defaults)")
      .Tagged("optimizer",
              {ParamSpec::Variant(
                   "sgd", "stochastic gradient descent (sgd.h)",
                   {lr(0.01),
                    ParamSpec::Float("momentum", 0.0, "heavy-ball momentum").Min(0).Below(1),
                    ParamSpec::Bool("nesterov", false, "Nesterov momentum (needs momentum > 0)")}),
               ParamSpec::Variant(
                   "adagrad", "Adagrad (adaptive_optimizers.h)",
                   {lr(0.01), eps(1e-10),
                    ParamSpec::Float("initial_accumulator", 0.0, "initial sum of squares").Min(0)}),
               ParamSpec::Variant(
                   "rmsprop", "RMSprop (adaptive_optimizers.h)",
                   {lr(0.01),
                    ParamSpec::Float("alpha", 0.99, "smoothing constant").Min(0).Below(1),
                    eps(1e-8)}),
               ParamSpec::Variant(
                   "adam", "Adam (adaptive_optimizers.h)",
                   {lr(0.001),
                    ParamSpec::Float("beta1", 0.9, "first-moment decay").Min(0).Below(1),
                    ParamSpec::Float("beta2", 0.999, "second-moment decay").Min(0).Below(1),
                    eps(1e-8)})})
      .Fields({ParamSpec::Float("weight_decay", 0.0,
                                "adds weight_decay * w to the gradient (PyTorch's weight_decay)")
                   .Min(0),
               ParamSpec::Float("l2", 0.0, "adds l2 * sum(w^2) to the loss").Min(0),
               ParamSpec::Float("l1", 0.0, "adds l1 * sum(|w|) to the loss").Min(0)});
}

const std::vector<std::string>& OptimizerNames() {
  static const std::vector<std::string> names = {"sgd", "adagrad", "rmsprop", "adam"};
  return names;
}

std::unique_ptr<Optimizer> MakeOptimizer(const Json& config, const std::string& key_path) {
  const Json c = pipeline::ResolveParam(OptimizerParam(), config, key_path);
  const std::string name = c.at("optimizer").get<std::string>();
  PenaltyOptions penalties;
  penalties.weight_decay = c.at("weight_decay").get<double>();
  penalties.l2 = c.at("l2").get<double>();
  penalties.l1 = c.at("l1").get<double>();
  const double lr = c.at("lr").get<double>();
  // The constructors check what one field cannot (nesterov without momentum, open bounds).
  try {
    if (name == "sgd") {
      SgdOptions options;
      options.lr = lr;
      options.momentum = c.at("momentum").get<double>();
      options.nesterov = c.at("nesterov").get<bool>();
      options.penalties = penalties;
      return std::make_unique<Sgd>(options);
    }
    if (name == "adagrad") {
      AdagradOptions options;
      options.lr = lr;
      options.eps = c.at("eps").get<double>();
      options.initial_accumulator = c.at("initial_accumulator").get<double>();
      options.penalties = penalties;
      return std::make_unique<Adagrad>(options);
    }
    if (name == "rmsprop") {
      RmspropOptions options;
      options.lr = lr;
      options.alpha = c.at("alpha").get<double>();
      options.eps = c.at("eps").get<double>();
      options.penalties = penalties;
      return std::make_unique<Rmsprop>(options);
    }
    AdamOptions options;
    options.lr = lr;
    options.beta1 = c.at("beta1").get<double>();
    options.beta2 = c.at("beta2").get<double>();
    options.eps = c.at("eps").get<double>();
    options.penalties = penalties;
    return std::make_unique<Adam>(options);
  } catch (const pipeline::ConfigError& error) {
    throw pipeline::ConfigError(error.what(), "", 0, 0, key_path);
  }
}

}  // namespace stages
