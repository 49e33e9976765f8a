#include "stages/train/nn/eltwise.h"

#include <catch2/catch.hpp>

#include <cmath>

#include "tests/stages/train/nn/gradient_check.h"

using nlohmann::json;
using nn_testing::CheckOptions;
using nn_testing::GradientChecker;
using stages::nn::Network;

TEST_CASE("activations compute their functions", "[eltwise]") {
  const std::vector<float> input = {-2, -0.5f, 0.5f, 3};
  auto run = [&](const std::string& spec) {
    Network net(json::parse(spec), CheckOptions({4}, 1));
    const float* out = net.Forward(input.data(), 1, false);
    return std::vector<float>(out, out + 4);
  };
  CHECK(run(R"([{"type": "relu"}])") == std::vector<float>{0, 0, 0.5f, 3});
  const auto leaky = run(R"([{"type": "leaky_relu", "alpha": 0.1}])");
  CHECK(leaky[0] == Approx(-0.2));
  CHECK(leaky[3] == Approx(3));
  const auto sigmoid = run(R"([{"type": "sigmoid"}])");
  CHECK(sigmoid[1] == Approx(1 / (1 + std::exp(0.5))));
  const auto tanh = run(R"([{"type": "tanh"}])");
  CHECK(tanh[3] == Approx(std::tanh(3.0)));
}

TEST_CASE("activation backward matches finite differences", "[eltwise]") {
  const std::string type = GENERATE(std::string("relu"), std::string("leaky_relu"),
                                    std::string("sigmoid"), std::string("tanh"));
  INFO(type);
  SECTION("on vectors") {
    Network net(json::parse(R"([{"type": ")" + type + R"("}])"), CheckOptions({6}, 3));
    GradientChecker checker(net, nn_testing::AwayFromZero(3 * 6, 12), 3);
    checker.Check();
  }
  SECTION("on a blocked image tensor after a convolution") {
    Network net(json::parse(R"([{"type": "conv", "out": 16, "kernel": 1, "bias": false}, {"type": ")" + type +
                            R"("}])"),
                CheckOptions({2, 2, 2}, 2));
    // Output channel o scales input channel o % 2 by 1 + o / 10 (no bias), so with inputs away
    // from zero the activation's inputs stay away from ReLU's kink under every perturbation.
    auto state = net.StateDict();
    float* w = state.at("conv1.weight").f32();
    for (int o = 0; o < 16; ++o) {
      for (int i = 0; i < 2; ++i) w[o * 2 + i] = (o % 2 == i) ? 1.f + 0.1f * static_cast<float>(o) : 0.f;
    }
    net.LoadStateDict(state);
    GradientChecker checker(net, nn_testing::AwayFromZero(2 * 2 * 2 * 2, 13), 2);
    checker.Check();
  }
}
