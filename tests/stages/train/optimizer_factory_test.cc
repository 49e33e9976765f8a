#include "stages/train/optimizer_factory.h"

#include <catch2/catch.hpp>
#include <string>

#include "pipeline/errors.h"

using pipeline::Json;

namespace {

std::string ConfigErrorMessage(const Json& config) {
  try {
    stages::MakeOptimizer(config, "train.optimizer");
  } catch (const pipeline::ConfigError& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("the factory builds each optimiser with PyTorch's defaults", "[optimizer_factory]") {
  // The declared default is {optimizer: adam, lr: 0.001}; a map that names no optimiser is
  // merged with it (this was SGD before the schemas were declared).
  CHECK(stages::MakeOptimizer(Json::object())->name() == "adam");
  CHECK(stages::MakeOptimizer(Json::object())->lr() == 0.001);
  CHECK(stages::MakeOptimizer({{"lr", 0.01}})->name() == "adam");
  CHECK(stages::MakeOptimizer({{"lr", 0.01}})->lr() == 0.01);
  // Another optimiser starts from its own defaults.
  CHECK(stages::MakeOptimizer({{"optimizer", "sgd"}})->lr() == 0.01);
  const auto adam = stages::MakeOptimizer({{"optimizer", "adam"}});
  CHECK(adam->lr() == 0.001);
  CHECK(adam->slot_names() == std::vector<std::string>{"exp_avg", "exp_avg_sq"});
  CHECK(stages::MakeOptimizer({{"optimizer", "adagrad"}})->slot_names() ==
        std::vector<std::string>{"sum"});
  CHECK(stages::MakeOptimizer({{"optimizer", "rmsprop"}})->slot_names() ==
        std::vector<std::string>{"square_avg"});
  CHECK(stages::MakeOptimizer({{"optimizer", "sgd"}, {"momentum", 0.1}})->slot_names() ==
        std::vector<std::string>{"momentum_buffer"});
  CHECK(stages::MakeOptimizer({{"optimizer", "sgd"}, {"momentum", 0}})->slot_names().empty());
  const auto penalised =
      stages::MakeOptimizer({{"optimizer", "adam"}, {"l1", 0.001}, {"weight_decay", 0.1}});
  CHECK(penalised->penalties().l1 == 0.001);
  CHECK(penalised->penalties().weight_decay == 0.1);
  CHECK(penalised->penalties().l2 == 0.0);
}

TEST_CASE("the factory rejects unknown names and misplaced settings", "[optimizer_factory]") {
  const std::string unknown = ConfigErrorMessage({{"optimizer", "adamm"}});
  CHECK_THAT(unknown, Catch::Contains("train.optimizer.optimizer"));
  CHECK_THAT(unknown, Catch::Contains("did you mean 'adam'"));
  CHECK_THAT(unknown, Catch::Contains("sgd, adagrad, rmsprop, adam"));
  CHECK_THAT(ConfigErrorMessage({{"optimizer", "adam"}, {"betta1", 0.8}}),
             Catch::Contains("did you mean 'beta1'"));
  // A setting of another optimiser is an error, also with that optimiser's default value.
  CHECK_THAT(ConfigErrorMessage({{"optimizer", "adam"}, {"momentum", 0.9}}),
             Catch::Contains("does not apply to optimizer adam"));
  CHECK_THAT(ConfigErrorMessage({{"optimizer", "adam"}, {"momentum", 0}}),
             Catch::Contains("it is a setting of sgd"));
  CHECK_THAT(ConfigErrorMessage({{"optimizer", "sgd"}, {"eps", 1e-8}}),
             Catch::Contains("does not apply to optimizer sgd"));
  CHECK_THAT(ConfigErrorMessage({{"optimizer", "sgd"}, {"nesterov", true}}),
             Catch::Contains("needs momentum"));
  CHECK_THAT(ConfigErrorMessage({{"lr", -1}}), Catch::Contains("lr"));
  CHECK_THAT(ConfigErrorMessage({{"optimizer", "adam"}, {"beta2", 1.0}}),
             Catch::Contains("beta2"));
  CHECK_THAT(ConfigErrorMessage({{"l2", -0.1}}), Catch::Contains("l2"));
  CHECK_THAT(ConfigErrorMessage({{"lr", "fast"}}), Catch::Contains("is not a number"));
  CHECK_THAT(ConfigErrorMessage(Json::array()), Catch::Contains("expected a map"));
}
