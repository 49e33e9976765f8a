#include "stages/train/nn/conv_transpose2d.h"

#include <catch2/catch.hpp>

#include "tests/stages/train/nn/gradient_check.h"

using nlohmann::json;
using nn_testing::CheckOptions;
using nn_testing::GradientChecker;
using stages::nn::Network;

TEST_CASE("transposed convolution upsamples with the transposed shape rule", "[conv_transpose2d]") {
  stages::nn::ConvOptions options;
  options.out_channels = 4;
  options.kernel = 2;
  options.stride = 2;
  stages::nn::ConvTranspose2d up("up", options);
  CHECK(up.OutputShape({8, 7, 7}) == stages::nn::Dims{4, 14, 14});
  options.kernel = 3;
  options.pad = 1;
  options.output_padding = 1;
  stages::nn::ConvTranspose2d up2("up2", options);
  CHECK(up2.OutputShape({8, 7, 7}) == stages::nn::Dims{4, 14, 14});
}

TEST_CASE("transposed convolution scatters each input pixel over its kernel", "[conv_transpose2d]") {
  Network net(json::parse(R"([{"type": "conv_transpose", "out": 1, "kernel": 2, "stride": 2}])"),
              CheckOptions({1, 1, 2}, 1));
  auto state = net.StateDict();
  std::copy_n(std::vector<float>{1, 2, 3, 4}.begin(), 4, state.at("conv_transpose1.weight").f32());
  net.LoadStateDict(state);
  const std::vector<float> input = {1, 10};
  const float* out = net.Forward(input.data(), 1, false);
  // Output [2, 4]: each input value times the kernel, side by side.
  const std::vector<float> expected = {1, 2, 10, 20, 3, 4, 30, 40};
  for (size_t k = 0; k < expected.size(); ++k) CHECK(out[k] == Approx(expected[k]));
}

TEST_CASE("transposed convolution backward matches finite differences", "[conv_transpose2d]") {
  Network net(json::parse(R"([{"type": "conv_transpose", "out": 3, "kernel": 3, "stride": 2,
                               "pad": 1, "output_padding": 1}])"),
              CheckOptions({4, 3, 3}, 2));
  GradientChecker checker(net, nn_testing::RandomVector(2 * 4 * 3 * 3, 4), 2);
  checker.RandomizeParameters(0.4);
  checker.Check();
}
