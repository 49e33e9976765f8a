#include "stages/train/nn/pool2d.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "stages/train/nn/max_pool_2x2.h"
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

TEST_CASE("2x2 max pooling of blocked activations matches oneDNN's primitive bit for bit",
          "[pool2d]") {
  namespace nn = stages::nn;
  using dnnl::memory;
  // 20 channels (padded to the block), odd height and width (a last row and column that no
  // window covers), values from a small set so that windows tie, negatives included.
  const nn::Dims src_dims = {3, 20, 7, 9};
  const nn::Dims dst_dims = {3, 20, 3, 4};
  nn::Device device;
  for (const auto tag : {memory::format_tag::nChw8c, memory::format_tag::nChw16c}) {
    const memory::desc src_md(src_dims, memory::data_type::f32, tag);
    const memory::desc dst_md(dst_dims, memory::data_type::f32, tag);
    const nn::MaxPool2x2Shape shape = nn::MaxPool2x2ShapeOf(src_md);
    REQUIRE(shape.planes == 3 * (tag == memory::format_tag::nChw8c ? 3 : 2));
    memory src = nn::ZeroedMemory(device, src_md);
    memory diff_dst = nn::ZeroedMemory(device, dst_md);
    // Logical values written through a plain view (padding channels stay zero).
    const std::vector<float> values = nn_testing::RandomVector(3 * 20 * 7 * 9, 21, -3, 3);
    std::vector<float> quantised(values.size());
    for (size_t i = 0; i < values.size(); ++i) quantised[i] = std::round(values[i]);
    memory plain(nn::PlainDesc(src_dims), device.engine, quantised.data());
    dnnl::reorder(plain, src).execute(device.stream, plain, src);
    std::vector<float> grads = nn_testing::RandomVector(3 * 20 * 3 * 4, 22, -1, 1);
    memory plain_grad(nn::PlainDesc(dst_dims), device.engine, grads.data());
    dnnl::reorder(plain_grad, diff_dst).execute(device.stream, plain_grad, diff_dst);

    const dnnl::pooling_forward::primitive_desc forward_pd(
        dnnl::pooling_forward::desc(dnnl::prop_kind::forward_training,
                                    dnnl::algorithm::pooling_max, src_md, dst_md, {2, 2},
                                    {2, 2}, {0, 0}, {-1, -1}),
        device.engine);
    const dnnl::pooling_backward::primitive_desc backward_pd(
        dnnl::pooling_backward::desc(dnnl::algorithm::pooling_max, src_md, dst_md, {2, 2},
                                     {2, 2}, {0, 0}, {-1, -1}),
        device.engine, forward_pd);
    const memory theirs_dst = nn::ZeroedMemory(device, dst_md);
    const memory workspace = nn::ZeroedMemory(device, forward_pd.workspace_desc());
    const memory theirs_diff_src = nn::ZeroedMemory(device, src_md);
    dnnl::pooling_forward(forward_pd)
        .execute(device.stream,
                 {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, theirs_dst}, {DNNL_ARG_WORKSPACE, workspace}});
    dnnl::pooling_backward(backward_pd)
        .execute(device.stream, {{DNNL_ARG_DIFF_DST, diff_dst},
                                 {DNNL_ARG_DIFF_SRC, theirs_diff_src},
                                 {DNNL_ARG_WORKSPACE, workspace}});
    device.stream.wait();

    const int64_t dst_size = nn::PhysicalSize(dst_md);
    const int64_t src_size = nn::PhysicalSize(src_md);
    std::vector<float> ours_dst(static_cast<size_t>(dst_size));
    std::vector<uint8_t> argmax(static_cast<size_t>(dst_size));
    // Garbage in the gradient buffer: every element must be written.
    std::vector<float> ours_diff_src(static_cast<size_t>(src_size), 7.f);
    nn::MaxPool2x2Forward(shape, nn::Data(src), ours_dst.data(), argmax.data());
    nn::MaxPool2x2Backward(shape, nn::Data(diff_dst), argmax.data(), ours_diff_src.data());
    CHECK(std::equal(ours_dst.begin(), ours_dst.end(), nn::Data(theirs_dst)));
    CHECK(std::equal(ours_diff_src.begin(), ours_diff_src.end(), nn::Data(theirs_diff_src)));
    // Ties did occur, and some gradient went to a later element of a window.
    CHECK(std::count(argmax.begin(), argmax.end(), uint8_t{3}) > 10);
  }
}

TEST_CASE("max pooling after a convolution (blocked layout) matches finite differences",
          "[pool2d]") {
  Network net(json::parse(R"([{"type": "conv", "out": 16, "kernel": 3, "pad": 1},
                              {"type": "maxpool", "kernel": 2}])"),
              CheckOptions({2, 5, 6}, 2));
  // A window whose two largest values lie closer than the finite-difference step would make the
  // numeric gradient straddle the kink; with this input and these weights none does.
  GradientChecker checker(net, nn_testing::DistinctValues(2 * 2 * 5 * 6, 6), 2);
  checker.RandomizeParameters(0.5);
  checker.Check(2e-4, 2e-2);
}
