#include "stages/train/nn/layer_spec.h"

#include <catch2/catch.hpp>

#include "pipeline/errors.h"

using nlohmann::json;
using stages::nn::ParseLayerSpecs;

TEST_CASE("layer specs get default names per type and keep given names", "[layer_spec]") {
  const auto specs = ParseLayerSpecs(json::parse(R"([{"type": "conv", "out": 4, "kernel": 3},
      {"type": "relu"}, {"type": "conv", "out": 4, "kernel": 3, "init": "xavier"},
      {"type": "linear", "out": 2, "name": "head"}])"));
  REQUIRE(specs.size() == 4);
  CHECK(specs[0].layer->name() == "conv1");
  CHECK(specs[1].layer->name() == "relu1");
  CHECK(specs[2].layer->name() == "conv2");
  CHECK(specs[2].init == stages::nn::InitChoice::kXavier);
  CHECK(!specs[0].init.has_value());
  CHECK(specs[3].layer->name() == "head");
}

TEST_CASE("bad layer specs are config errors that say what is allowed", "[layer_spec]") {
  CHECK_THROWS_WITH(ParseLayerSpecs(json::parse(R"([{"type": "convolution", "out": 3}])")),
                    Catch::Contains("unknown type 'convolution'") &&
                        Catch::Contains("conv_transpose") && Catch::Contains("leaky_relu"));
  CHECK_THROWS_WITH(ParseLayerSpecs(json::parse(R"([{"type": "relu"}, {"type": "conv", "kernel": 3}])")),
                    Catch::Contains("layers[1].out") && Catch::Contains("missing 'out'"));
  CHECK_THROWS_WITH(ParseLayerSpecs(json::parse(R"([{"type": "maxpool", "kernal": 2}])")),
                    Catch::Contains("unknown key 'kernal'") && Catch::Contains("kernel"));
  CHECK_THROWS_WITH(ParseLayerSpecs(json::parse(R"([{"type": "dropout", "p": 1.0}])")),
                    Catch::Contains("above the maximum") && Catch::Contains("[0, 1)"));
  CHECK_THROWS_WITH(ParseLayerSpecs(json::parse(R"([{"type": "linear", "out": 2.5}])")),
                    Catch::Contains("integer"));
  CHECK_THROWS_WITH(ParseLayerSpecs(json::parse(R"([{"type": "relu", "name": "a"}, {"type": "tanh", "name": "a"}])")),
                    Catch::Contains("used twice"));
  CHECK_THROWS_WITH(ParseLayerSpecs(json::parse(R"([{"type": "conv", "out": 2, "kernel": 2, "init": "glorot"}])")),
                    Catch::Contains("one of auto he xavier torch"));
  CHECK_THROWS_AS(ParseLayerSpecs(json::parse("[]")), pipeline::ConfigError);
}

TEST_CASE("absurd layer sizes are configuration errors before any memory is asked for",
          "[layer_spec][hostile]") {
  CHECK_THROWS_WITH(ParseLayerSpecs(json::parse(R"([{"type": "linear", "out": 100000000}])")),
                    Catch::Contains("layers[0].out") && Catch::Contains("too large (at most 1048576)"));
  CHECK_THROWS_WITH(ParseLayerSpecs(json::parse(R"([{"type": "conv", "out": 4, "kernel": 5000}])")),
                    Catch::Contains("layers[0].kernel"));
}
