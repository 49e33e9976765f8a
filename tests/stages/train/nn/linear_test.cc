#include "stages/train/nn/linear.h"

#include <catch2/catch.hpp>

#include "pipeline/errors.h"
#include "tests/stages/train/nn/gradient_check.h"

using nlohmann::json;
using nn_testing::CheckOptions;
using nn_testing::GradientChecker;
using stages::nn::Network;

TEST_CASE("linear layer computes W x + b", "[linear]") {
  Network net(json::parse(R"([{"type": "linear", "out": 2}])"), CheckOptions({3}, 1));
  auto state = net.StateDict();
  REQUIRE(state.at("linear1.weight").shape() == std::vector<int64_t>{2, 3});
  std::copy_n(std::vector<float>{1, 2, 3, -1, 0, 1}.begin(), 6, state.at("linear1.weight").f32());
  state.at("linear1.bias").f32()[0] = 0.5f;
  state.at("linear1.bias").f32()[1] = -2.f;
  net.LoadStateDict(state);
  const std::vector<float> input = {1, 1, 2};
  const float* out = net.Forward(input.data(), 1, false);
  CHECK(out[0] == Approx(1 + 2 + 6 + 0.5));
  CHECK(out[1] == Approx(-1 + 0 + 2 - 2));
}

TEST_CASE("linear backward matches finite differences", "[linear]") {
  SECTION("on feature vectors") {
    Network net(json::parse(R"([{"type": "linear", "out": 4}])"), CheckOptions({7}, 3));
    GradientChecker checker(net, nn_testing::RandomVector(3 * 7, 8), 3);
    checker.RandomizeParameters(0.5);
    checker.Check();
  }
  SECTION("on a flattened blocked image tensor") {
    Network net(json::parse(R"([{"type": "conv", "out": 16, "kernel": 1}, {"type": "flatten"},
                                {"type": "linear", "out": 3}])"),
                CheckOptions({2, 3, 3}, 2));
    GradientChecker checker(net, nn_testing::RandomVector(2 * 2 * 3 * 3, 9), 2);
    checker.RandomizeParameters(0.3);
    checker.Check();
  }
}

TEST_CASE("linear weights flatten images in C, H, W order", "[linear]") {
  // Through a blocked 4-D layout the plain weight [out, C*H*W] must still pair with the NCHW
  // input element of the same index: with weight e_k the output is input element k.
  Network net(json::parse(R"([{"type": "conv", "out": 16, "kernel": 1, "bias": false},
                              {"type": "flatten"}, {"type": "linear", "out": 1, "bias": false}])"),
              CheckOptions({1, 2, 2}, 1));
  auto state = net.StateDict();
  float* conv = state.at("conv1.weight").f32();
  std::fill(conv, conv + 16, 0.f);
  conv[5] = 1.f;  // channel 5 copies the input
  float* weight = state.at("linear1.weight").f32();
  REQUIRE(state.at("linear1.weight").shape() == std::vector<int64_t>{1, 64});
  std::fill(weight, weight + 64, 0.f);
  weight[5 * 4 + 3] = 1.f;  // channel 5, row 1, column 1
  net.LoadStateDict(state);
  const std::vector<float> input = {10, 20, 30, 40};
  CHECK(net.Forward(input.data(), 1, false)[0] == Approx(40));
}

TEST_CASE("linear layer rejects an image input without flatten", "[linear]") {
  CHECK_THROWS_WITH(Network(json::parse(R"([{"type": "linear", "out": 2}])"), CheckOptions({1, 4, 4}, 1)),
                    Catch::Contains("linear1") && Catch::Contains("flatten"));
}
