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
  CHECK(stages::MakeOptimizer(Json::object())->name() == "sgd");
  CHECK(stages::MakeOptimizer(Json::object())->lr() == 0.01);
  const auto adam = stages::MakeOptimizer({{"optimizer", "adam"}});
  CHECK(adam->lr() == 0.001);
  CHECK(adam->slot_names() == std::vector<std::string>{"exp_avg", "exp_avg_sq"});
  CHECK(stages::MakeOptimizer({{"optimizer", "adagrad"}})->slot_names() ==
        std::vector<std::string>{"sum"});
  CHECK(stages::MakeOptimizer({{"optimizer", "rmsprop"}})->slot_names() ==
        std::vector<std::string>{"square_avg"});
  CHECK(stages::MakeOptimizer({{"momentum", 0.1}})->slot_names() ==
        std::vector<std::string>{"momentum_buffer"});
  CHECK(stages::MakeOptimizer({{"momentum", 0}})->slot_names().empty());
  const auto penalised =
      stages::MakeOptimizer({{"optimizer", "adam"}, {"l1", 0.001}, {"weight_decay", 0.1}});
  CHECK(penalised->penalties().l1 == 0.001);
  CHECK(penalised->penalties().weight_decay == 0.1);
  CHECK(penalised->penalties().l2 == 0.0);
}

TEST_CASE("the factory rejects unknown names and misplaced settings", "[optimizer_factory]") {
  const std::string unknown = ConfigErrorMessage({{"optimizer", "adamm"}});
  CHECK_THAT(unknown, Catch::Contains("train.optimizer.optimizer"));
  CHECK_THAT(unknown, Catch::Contains("did you mean adam"));
  CHECK_THAT(unknown, Catch::Contains("sgd, adagrad, rmsprop, adam"));
  CHECK_THAT(ConfigErrorMessage({{"optimizer", "adam"}, {"betta1", 0.8}}),
             Catch::Contains("did you mean beta1"));
  // A setting of another optimiser is an error unless it holds its default.
  CHECK_THAT(ConfigErrorMessage({{"optimizer", "adam"}, {"momentum", 0.9}}),
             Catch::Contains("does not apply to adam"));
  CHECK_NOTHROW(stages::MakeOptimizer({{"optimizer", "adam"}, {"momentum", 0}, {"nesterov", false}}));
  CHECK_THAT(ConfigErrorMessage({{"optimizer", "sgd"}, {"eps", 1e-8}}),
             Catch::Contains("does not apply to sgd"));
  CHECK_THAT(ConfigErrorMessage({{"nesterov", true}}), Catch::Contains("needs momentum"));
  CHECK_THAT(ConfigErrorMessage({{"lr", -1}}), Catch::Contains("lr"));
  CHECK_THAT(ConfigErrorMessage({{"optimizer", "adam"}, {"beta2", 1.0}}),
             Catch::Contains("beta2"));
  CHECK_THAT(ConfigErrorMessage({{"l2", -0.1}}), Catch::Contains("l2"));
  CHECK_THAT(ConfigErrorMessage({{"lr", "fast"}}), Catch::Contains("expected a number"));
  CHECK_THAT(ConfigErrorMessage(Json::array()), Catch::Contains("expected a map"));
}
