#include "stages/train/nn/pool2d.h"

#include <catch2/catch.hpp>

#include "tests/stages/train/nn/gradient_check.h"

using nlohmann::json;
using nn_testing::CheckOptions;
using nn_testing::GradientChecker;
using stages::nn::Network;

TEST_CASE("pooling takes the window maximum or mean", "[pool2d]") {
  const std::vector<float> input = {1, 5, 2, 0,   //
                                    3, 4, 8, 6,   //
                                    0, 0, 1, 1,   //
                                    9, 0, 1, 3};
  Network max_net(json::parse(R"([{"type": "maxpool", "kernel": 2}])"), CheckOptions({1, 4, 4}, 1));
  const float* max_out = max_net.Forward(input.data(), 1, false);
  CHECK(std::vector<float>(max_out, max_out + 4) == std::vector<float>{5, 8, 9, 3});
  Network avg_net(json::parse(R"([{"type": "avgpool", "kernel": 2}])"), CheckOptions({1, 4, 4}, 1));
  const float* avg_out = avg_net.Forward(input.data(), 1, false);
  CHECK(std::vector<float>(avg_out, avg_out + 4) == std::vector<float>{3.25f, 4, 2.25f, 1.5f});
}

TEST_CASE("pooling backward matches finite differences", "[pool2d]") {
  SECTION("max pooling, no ties") {
    Network net(json::parse(R"([{"type": "maxpool", "kernel": 2}])"), CheckOptions({3, 6, 6}, 2));
    GradientChecker checker(net, nn_testing::DistinctValues(2 * 3 * 6 * 6, 5), 2);
    checker.Check();
  }
  SECTION("overlapping max pooling with stride 1") {
    Network net(json::parse(R"([{"type": "maxpool", "kernel": 3, "stride": 1}])"),
                CheckOptions({2, 5, 5}, 2));
    GradientChecker checker(net, nn_testing::DistinctValues(2 * 2 * 5 * 5, 6), 2);
    checker.Check();
  }
  SECTION("average pooling with padding, after a convolution (blocked layout)") {
    Network net(json::parse(R"([{"type": "conv", "out": 16, "kernel": 1},
                                {"type": "avgpool", "kernel": 3, "stride": 2, "pad": 1}])"),
                CheckOptions({2, 6, 6}, 2));
    GradientChecker checker(net, nn_testing::RandomVector(2 * 2 * 6 * 6, 7), 2);
    checker.RandomizeParameters(0.5);
    checker.Check();
  }
}
