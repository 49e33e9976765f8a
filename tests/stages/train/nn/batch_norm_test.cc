#include "stages/train/nn/batch_norm.h"

#include <catch2/catch.hpp>

#include <cmath>

#include "tests/stages/train/nn/gradient_check.h"

using nlohmann::json;
using nn_testing::CheckOptions;
using nn_testing::GradientChecker;
using stages::nn::Network;

TEST_CASE("batch norm normalises with batch statistics and tracks running ones", "[batch_norm]") {
  Network net(json::parse(R"([{"type": "batchnorm", "momentum": 0.1}])"), CheckOptions({2}, 4));
  // Feature 0: 1, 2, 3, 4 (mean 2.5, biased variance 1.25); feature 1 constant 7.
  const std::vector<float> input = {1, 7, 2, 7, 3, 7, 4, 7};
  const float* out = net.Forward(input.data(), 4, true);
  const double sd = std::sqrt(1.25 + 1e-5);
  CHECK(out[0] == Approx((1 - 2.5) / sd));
  CHECK(out[6] == Approx((4 - 2.5) / sd));
  CHECK(out[1] == Approx(0).margin(1e-6));
  auto state = net.StateDict();
  CHECK(state.at("batchnorm1.running_mean").f32()[0] == Approx(0.9 * 0 + 0.1 * 2.5));
  // Unbiased variance 5/3 enters the running average.
  CHECK(state.at("batchnorm1.running_var").f32()[0] == Approx(0.9 * 1 + 0.1 * (5.0 / 3)));
  CHECK(state.at("batchnorm1.running_var").f32()[1] == Approx(0.9));
  // Inference uses the running statistics.
  const float* inferred = net.Forward(input.data(), 4, false);
  CHECK(inferred[0] == Approx((1 - 0.25) / std::sqrt(0.9 + 0.1 * 5.0 / 3 + 1e-5)));
}

TEST_CASE("batch norm backward in training mode matches finite differences", "[batch_norm]") {
  SECTION("over image channels in a blocked layout") {
    Network net(json::parse(R"([{"type": "conv", "out": 16, "kernel": 1, "bias": false},
                                {"type": "batchnorm"}])"),
                CheckOptions({2, 3, 3}, 3));
    GradientChecker checker(net, nn_testing::RandomVector(3 * 2 * 3 * 3, 10), 3);
    checker.RandomizeParameters(0.5);
    checker.Check(1e-3, 2e-2);
  }
  SECTION("over features") {
    Network net(json::parse(R"([{"type": "batchnorm"}])"), CheckOptions({5}, 6));
    GradientChecker checker(net, nn_testing::RandomVector(6 * 5, 11, -2, 2), 6);
    checker.RandomizeParameters();
    checker.Check(1e-3, 2e-2);
  }
}
