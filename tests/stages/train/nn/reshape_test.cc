#include "stages/train/nn/reshape.h"

#include <catch2/catch.hpp>

#include "pipeline/errors.h"
#include "tests/stages/train/nn/gradient_check.h"

using nlohmann::json;
using nn_testing::CheckOptions;
using nn_testing::GradientChecker;
using stages::nn::Network;

TEST_CASE("reshape checks sizes and flatten multiplies them out", "[reshape]") {
  stages::nn::Reshape flatten("flatten1", {});
  CHECK(flatten.OutputShape({3, 4, 5}) == stages::nn::Dims{60});
  stages::nn::Reshape reshape("reshape1", {4, 3, 5});
  CHECK(reshape.OutputShape({60}) == stages::nn::Dims{4, 3, 5});
  CHECK_THROWS_WITH(reshape.OutputShape({59}), Catch::Contains("reshape1") && Catch::Contains("[59]"));
}

TEST_CASE("flatten of a blocked tensor yields NCHW order", "[reshape]") {
  // conv with identity-like weights: out channel c copies input channel c (c < 2).
  Network net(json::parse(R"([{"type": "conv", "out": 16, "kernel": 1, "bias": false},
                              {"type": "flatten"}, {"type": "tanh"}])"),
              CheckOptions({2, 1, 2}, 1));
  auto state = net.StateDict();
  float* w = state.at("conv1.weight").f32();
  std::fill(w, w + 32, 0.f);
  w[0 * 2 + 0] = 1.f;
  w[1 * 2 + 1] = 1.f;
  net.LoadStateDict(state);
  const std::vector<float> input = {0.1f, 0.2f, 0.3f, 0.4f};
  const float* out = net.Forward(input.data(), 1, false);
  REQUIRE(net.output_shape() == stages::nn::Dims{32});
  for (int k = 0; k < 4; ++k) CHECK(out[k] == Approx(std::tanh(input[static_cast<size_t>(k)])));
  CHECK(out[4] == 0.f);
}

TEST_CASE("reshape and flatten pass gradients through", "[reshape]") {
  Network net(json::parse(R"([{"type": "linear", "out": 32}, {"type": "reshape", "shape": [2, 4, 4]},
                              {"type": "conv", "out": 16, "kernel": 3, "pad": 1},
                              {"type": "flatten"}, {"type": "tanh"}])"),
              CheckOptions({5}, 2));
  GradientChecker checker(net, nn_testing::RandomVector(2 * 5, 16), 2);
  checker.RandomizeParameters(0.3);
  checker.Check();
}
