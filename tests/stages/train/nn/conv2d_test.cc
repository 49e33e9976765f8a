#include "stages/train/nn/conv2d.h"

#include <catch2/catch.hpp>

#include <cmath>

#include "pipeline/errors.h"
#include "stages/train/nn/single_channel_conv_grad.h"
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
  SECTION("one input channel (our own weight gradient under ONEDNN_MAX_CPU_ISA=AVX2)") {
    Network net(json::parse(R"([{"type": "conv", "out": 12, "kernel": 3, "pad": 1}])"),
                CheckOptions({1, 5, 7}, 3));
    GradientChecker checker(net, nn_testing::RandomVector(3 * 5 * 7, 3), 3);
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

TEST_CASE("the single-input-channel weight gradient matches a direct double sum", "[conv2d]") {
  namespace nn = stages::nn;
  using dnnl::memory;
  nn::Device device;
  for (const int64_t pad : {int64_t{1}, int64_t{0}}) {
    nn::SingleChannelConvShape shape;
    shape.batch = 3;
    shape.height = 7;
    shape.width = 9;
    shape.pad = pad;
    shape.out_height = shape.height + 2 * pad - 2;
    shape.out_width = shape.width + 2 * pad - 2;
    shape.channels = 20;  // not a multiple of the block of 8
    const nn::Dims in_dims = {shape.batch, 1, shape.height, shape.width};
    const nn::Dims out_dims = {shape.batch, shape.channels, shape.out_height, shape.out_width};
    const memory::desc blocked(out_dims, memory::data_type::f32, memory::format_tag::nChw8c);
    REQUIRE(nn::SingleChannelConvGradApplies(nn::PlainDesc(in_dims), blocked, 3, 1));
    CHECK(!nn::SingleChannelConvGradApplies(nn::PlainDesc(in_dims), nn::PlainDesc(out_dims), 3,
                                            1));
    CHECK(!nn::SingleChannelConvGradApplies(nn::PlainDesc(in_dims), blocked, 5, 1));

    const auto in_size = static_cast<size_t>(nn::Product(in_dims));
    const auto out_size = static_cast<size_t>(nn::Product(out_dims));
    std::vector<float> input = nn_testing::RandomVector(in_size, 31);
    std::vector<float> grad = nn_testing::RandomVector(out_size, 32);
    // Plain indices of the input and the output gradient.
    auto at_in = [&](int64_t n, int64_t y, int64_t x) {
      return static_cast<size_t>((n * shape.height + y) * shape.width + x);
    };
    auto at_out = [&](int64_t n, int64_t o, int64_t y, int64_t x) {
      return static_cast<size_t>(((n * shape.channels + o) * shape.out_height + y) *
                                     shape.out_width +
                                 x);
    };
    memory plain(nn::PlainDesc(out_dims), device.engine, grad.data());
    memory grad_blocked = nn::ZeroedMemory(device, blocked);
    dnnl::reorder(plain, grad_blocked).execute(device.stream, plain, grad_blocked);
    device.stream.wait();

    std::vector<float> weights_grad(static_cast<size_t>(shape.channels * 9), -7.f);
    std::vector<float> bias_grad(static_cast<size_t>(shape.channels), -7.f);
    nn::SingleChannelConvGrad kernel(shape);
    kernel.Compute(input.data(), nn::Data(grad_blocked), weights_grad.data(), bias_grad.data());

    for (int64_t o = 0; o < shape.channels; ++o) {
      double bias = 0;
      for (int64_t n = 0; n < shape.batch; ++n) {
        for (int64_t y = 0; y < shape.out_height; ++y) {
          for (int64_t x = 0; x < shape.out_width; ++x) {
            bias += grad[at_out(n, o, y, x)];
          }
        }
      }
      CHECK(bias_grad[static_cast<size_t>(o)] == Approx(bias).epsilon(1e-5).margin(1e-5));
      for (int64_t kh = 0; kh < 3; ++kh) {
        for (int64_t kw = 0; kw < 3; ++kw) {
          double sum = 0;
          for (int64_t n = 0; n < shape.batch; ++n) {
            for (int64_t y = 0; y < shape.out_height; ++y) {
              for (int64_t x = 0; x < shape.out_width; ++x) {
                const int64_t iy = y + kh - pad;
                const int64_t ix = x + kw - pad;
                if (iy < 0 || ix < 0 || iy >= shape.height || ix >= shape.width) continue;
                sum += static_cast<double>(input[at_in(n, iy, ix)]) * grad[at_out(n, o, y, x)];
              }
            }
          }
          INFO("pad " << pad << " channel " << o << " tap " << kh << "," << kw);
          CHECK(weights_grad[static_cast<size_t>(o * 9 + kh * 3 + kw)] ==
                Approx(sum).epsilon(1e-5).margin(1e-5));
        }
      }
    }
  }
}
