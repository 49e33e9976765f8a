#include "stages/train/nn/dropout.h"

#include <catch2/catch.hpp>

#include "tests/stages/train/nn/gradient_check.h"

using nlohmann::json;
using nn_testing::CheckOptions;
using nn_testing::GradientChecker;
using stages::nn::Network;

TEST_CASE("dropout keeps about 1 - p of the values, scaled, and is the identity at inference",
          "[dropout]") {
  Network net(json::parse(R"([{"type": "dropout", "p": 0.4}])"), CheckOptions({1000}, 10));
  const std::vector<float> input(10000, 1.f);
  const float* out = net.Forward(input.data(), 10, true);
  int kept = 0;
  for (size_t k = 0; k < input.size(); ++k) {
    if (out[k] != 0.f) {
      ++kept;
      CHECK(out[k] == Approx(1 / 0.6));
    }
  }
  CHECK(kept > 5800);
  CHECK(kept < 6200);
  const float* inferred = net.Forward(input.data(), 10, false);
  CHECK(std::vector<float>(inferred, inferred + 10000) == input);
}

TEST_CASE("dropout masks depend only on the seed", "[dropout][determinism]") {
  const std::vector<float> input = nn_testing::RandomVector(2 * 300, 14);
  auto masked = [&](uint64_t seed) {
    Network net(json::parse(R"([{"type": "dropout", "p": 0.5}])"), CheckOptions({300}, 2));
    net.SeedDropout(pipeline::Rng(seed));
    const float* out = net.Forward(input.data(), 2, true);
    return std::vector<float>(out, out + 600);
  };
  CHECK(masked(1) == masked(1));
  CHECK(masked(1) != masked(2));
}

TEST_CASE("dropout backward matches finite differences with a fixed mask", "[dropout]") {
  Network net(json::parse(R"([{"type": "linear", "out": 6}, {"type": "dropout", "p": 0.3}])"),
              CheckOptions({4}, 3));
  GradientChecker checker(net, nn_testing::RandomVector(3 * 4, 15), 3);
  checker.RandomizeParameters(0.5);
  checker.Check();
}
