#include "stages/train/nn/conv2d.h"

#include <catch2/catch.hpp>

#include "pipeline/errors.h"
#include "tests/stages/train/nn/gradient_check.h"

using nlohmann::json;
using nn_testing::CheckOptions;
using nn_testing::GradientChecker;
using stages::nn::Network;

TEST_CASE("convolution backward matches finite differences", "[conv2d]") {
  SECTION("stride 1, padding 1, from plain input") {
    Network net(json::parse(R"([{"type": "conv", "out": 5, "kernel": 3, "pad": 1}])"),
                CheckOptions({3, 6, 6}, 2));
    GradientChecker checker(net, nn_testing::RandomVector(2 * 3 * 6 * 6, 1), 2);
    checker.RandomizeParameters(0.5);
    checker.Check();
  }
  SECTION("stride 2, no padding, after another convolution (blocked input)") {
    Network net(json::parse(R"([{"type": "conv", "out": 16, "kernel": 1},
                                {"type": "conv", "out": 7, "kernel": 3, "stride": 2}])"),
                CheckOptions({2, 7, 7}, 2));
    GradientChecker checker(net, nn_testing::RandomVector(2 * 2 * 7 * 7, 2), 2);
    checker.RandomizeParameters(0.3);
    checker.Check();
  }
}

TEST_CASE("convolution computes a hand-checked sum", "[conv2d]") {
  Network net(json::parse(R"([{"type": "conv", "out": 1, "kernel": 2, "bias": true}])"),
              CheckOptions({1, 2, 3}, 1));
  // Weights [[1, 2], [3, 4]], bias 0.5; input [[1, 2, 3], [4, 5, 6]].
  auto state = net.StateDict();
  REQUIRE(state.at("conv1.weight").shape() == std::vector<int64_t>{1, 1, 2, 2});
  std::copy_n(std::vector<float>{1, 2, 3, 4}.begin(), 4, state.at("conv1.weight").f32());
  state.at("conv1.bias").f32()[0] = 0.5f;
  net.LoadStateDict(state);
  const std::vector<float> input = {1, 2, 3, 4, 5, 6};
  const float* out = net.Forward(input.data(), 1, false);
  REQUIRE(net.output_shape() == stages::nn::Dims{1, 1, 2});
  CHECK(out[0] == Approx(1 * 1 + 2 * 2 + 3 * 4 + 4 * 5 + 0.5));
  CHECK(out[1] == Approx(1 * 2 + 2 * 3 + 3 * 5 + 4 * 6 + 0.5));
}

TEST_CASE("convolution shapes follow the floor rule and misfits are config errors", "[conv2d]") {
  stages::nn::ConvOptions options;
  options.out_channels = 8;
  options.kernel = 3;
  options.stride = 2;
  options.pad = 1;
  stages::nn::Conv2d conv("conv1", options);
  CHECK(conv.OutputShape({3, 28, 28}) == stages::nn::Dims{8, 14, 14});
  CHECK(conv.OutputShape({3, 7, 7}) == stages::nn::Dims{8, 4, 4});
  options.pad = 0;
  options.kernel = 5;
  stages::nn::Conv2d big("conv2", options);
  CHECK_THROWS_AS(big.OutputShape({3, 4, 4}), pipeline::ConfigError);
  CHECK_THROWS_WITH(big.OutputShape({12}), Catch::Contains("conv2"));
}
