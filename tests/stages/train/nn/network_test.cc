#include "stages/train/nn/network.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "pipeline/errors.h"
#include "stages/train/nn/loss.h"
#include "tests/stages/train/nn/gradient_check.h"

using nlohmann::json;
using stages::nn::Network;
using stages::nn::NetworkOptions;

namespace {

const char* kTinyCnn = R"([{"type": "conv", "out": 6, "kernel": 3, "pad": 1}, {"type": "relu"},
                           {"type": "maxpool", "kernel": 2}, {"type": "flatten"},
                           {"type": "linear", "out": 4}])";

NetworkOptions Options(stages::nn::Dims shape, int64_t batch, uint64_t seed = 1) {
  NetworkOptions options = nn_testing::CheckOptions(std::move(shape), batch);
  options.seed = seed;
  options.input_gradient = false;
  return options;
}

// 20 images 1x8x8 of 4 classes: class c lights up quadrant c, plus noise.
void TinySet(std::vector<float>& x, std::vector<int32_t>& y) {
  pipeline::Rng rng(77);
  x.assign(20 * 64, 0.f);
  y.resize(20);
  for (int i = 0; i < 20; ++i) {
    const int c = i % 4;
    y[static_cast<size_t>(i)] = c;
    for (int r = 0; r < 8; ++r) {
      for (int col = 0; col < 8; ++col) {
        const bool lit = (r / 4) == (c / 2) && (col / 4) == (c % 2);
        x[static_cast<size_t>(i * 64 + r * 8 + col)] = static_cast<float>((lit ? 1.0 : 0.0) + rng.Normal(0, 0.3));
      }
    }
  }
}

// Plain SGD steps on the whole set; returns the last loss.
double Train(Network& net, const std::vector<float>& x, const std::vector<int32_t>& y, int steps,
             double lr) {
  const auto n = static_cast<int64_t>(y.size());
  std::vector<float> grad(static_cast<size_t>(n * 4));
  double loss = 0;
  for (int step = 0; step < steps; ++step) {
    net.ZeroGrad();
    const float* logits = net.Forward(x.data(), n, true);
    loss = stages::nn::SoftmaxCrossEntropy(logits, y.data(), n, 4, grad.data());
    net.Backward(grad.data());
    for (const stages::ParameterView& p : net.Parameters()) {
      for (int64_t k = 0; k < p.size; ++k) p.value[k] -= static_cast<float>(lr) * p.grad[k];
    }
  }
  return loss;
}

double Accuracy(Network& net, const std::vector<float>& x, const std::vector<int32_t>& y) {
  const auto n = static_cast<int64_t>(y.size());
  const std::vector<int32_t> predicted = stages::nn::ArgMax(net.Forward(x.data(), n, false), n, 4);
  int correct = 0;
  for (size_t i = 0; i < y.size(); ++i) correct += predicted[i] == y[i];
  return static_cast<double>(correct) / static_cast<double>(n);
}

}  // namespace

TEST_CASE("a tiny CNN overfits a tiny set with plain SGD", "[network]") {
  std::vector<float> x;
  std::vector<int32_t> y;
  TinySet(x, y);
  Network net(json::parse(kTinyCnn), Options({1, 8, 8}, 20));
  const double first = Train(net, x, y, 1, 0.1);
  const double last = Train(net, x, y, 150, 0.1);
  CHECK(last < first / 10);
  CHECK(Accuracy(net, x, y) == 1.0);
}

TEST_CASE("the same seed gives identical weights and outputs", "[network][determinism]") {
  std::vector<float> x;
  std::vector<int32_t> y;
  TinySet(x, y);
  const char* spec = R"([{"type": "conv", "out": 6, "kernel": 3}, {"type": "batchnorm"},
                         {"type": "relu"}, {"type": "flatten"}, {"type": "dropout", "p": 0.3},
                         {"type": "linear", "out": 4}])";
  Network a(json::parse(spec), Options({1, 8, 8}, 20, 5));
  Network b(json::parse(spec), Options({1, 8, 8}, 20, 5));
  Network c(json::parse(spec), Options({1, 8, 8}, 20, 6));
  auto weights = [](Network& net) {
    return pipeline::RowMatrixXf(net.StateDict().at("conv1.weight").MatrixF());
  };
  CHECK(weights(a) == weights(b));
  CHECK(weights(a) != weights(c));
  Train(a, x, y, 5, 0.05);
  Train(b, x, y, 5, 0.05);
  const float* out_a = a.Forward(x.data(), 20, false);
  const std::vector<float> first(out_a, out_a + 80);
  const float* out_b = b.Forward(x.data(), 20, false);
  CHECK(first == std::vector<float>(out_b, out_b + 80));
}

TEST_CASE("initialisation is He before ReLU and Xavier otherwise", "[network]") {
  Network net(json::parse(R"([{"type": "linear", "out": 300}, {"type": "relu"},
                              {"type": "linear", "out": 300}])"),
              Options({400}, 1));
  auto stddev = [&](const std::string& name) {
    const pipeline::RowMatrixXf w = net.StateDict().at(name).MatrixF();
    return std::sqrt(w.array().square().mean());
  };
  CHECK(stddev("linear1.weight") == Approx(std::sqrt(2.0 / 400)).epsilon(0.03));
  CHECK(stddev("linear2.weight") == Approx(std::sqrt(2.0 / 600)).epsilon(0.03));
  const auto state = net.StateDict();
  CHECK(state.at("linear1.bias").MatrixF().isZero());
}

TEST_CASE("torch initialisation draws weights and biases uniformly within 1/sqrt(fan_in)",
          "[network]") {
  NetworkOptions options = Options({2, 6, 6}, 1);
  options.init = stages::nn::InitChoice::kTorch;
  Network net(json::parse(R"([{"type": "conv", "out": 8, "kernel": 3}, {"type": "relu"},
                              {"type": "flatten"}, {"type": "linear", "out": 200}])"),
              options);
  const auto state = net.StateDict();
  auto check = [&](const std::string& name, double fan_in) {
    INFO(name);
    const pipeline::RowMatrixXf v = state.at(name).MatrixF();
    const double bound = 1.0 / std::sqrt(fan_in);
    CHECK(v.cwiseAbs().maxCoeff() <= bound);
    CHECK(v.cwiseAbs().maxCoeff() > 0.8 * bound);  // spread over the interval, not zero
    // The variance of U(-b, b) is b^2 / 3.
    CHECK(std::sqrt(v.array().square().mean()) == Approx(bound / std::sqrt(3.0)).epsilon(0.15));
  };
  check("conv1.weight", 2 * 3 * 3);
  check("linear1.weight", 8 * 4 * 4);
  check("linear1.bias", 8 * 4 * 4);
  CHECK_FALSE(state.at("conv1.bias").MatrixF().isZero());
}

TEST_CASE("plain state export and import reproduce outputs", "[network]") {
  std::vector<float> x;
  std::vector<int32_t> y;
  TinySet(x, y);
  const char* spec = R"([{"type": "conv", "out": 8, "kernel": 3, "pad": 1}, {"type": "batchnorm"},
                         {"type": "relu"}, {"type": "maxpool", "kernel": 2}, {"type": "flatten"},
                         {"type": "dropout", "p": 0.2}, {"type": "linear", "out": 4}])";
  Network trained(json::parse(spec), Options({1, 8, 8}, 20, 1));
  Train(trained, x, y, 10, 0.05);
  const auto state = trained.StateDict();
  CHECK(state.count("batchnorm1.running_mean") == 1);
  CHECK(state.at("linear1.weight").shape() == std::vector<int64_t>{4, 8 * 4 * 4});
  Network copy(json::parse(spec), Options({1, 8, 8}, 20, 2));
  copy.LoadStateDict(state);
  const float* expected = trained.Forward(x.data(), 20, false);
  const std::vector<float> first(expected, expected + 80);
  const float* actual = copy.Forward(x.data(), 20, false);
  CHECK(first == std::vector<float>(actual, actual + 80));

  SECTION("strict loading names what does not fit; loose loading takes what matches") {
    Network other(json::parse(R"([{"type": "conv", "out": 8, "kernel": 3, "pad": 1},
                                  {"type": "flatten"}, {"type": "linear", "out": 3}])"),
                  Options({1, 8, 8}, 20));
    CHECK_THROWS_WITH(other.LoadStateDict(state),
                      Catch::Contains("linear1.weight is [4, 128]") &&
                          Catch::Contains("not in this network"));
    const auto loaded = other.LoadStateDict(state, /*strict=*/false);
    CHECK(loaded == std::vector<std::string>{"conv1.weight", "conv1.bias"});
  }
}

TEST_CASE("a partial last batch works and matches the full batch's rows", "[network]") {
  std::vector<float> x;
  std::vector<int32_t> y;
  TinySet(x, y);
  Network net(json::parse(kTinyCnn), Options({1, 8, 8}, 20));
  const float* full = net.Forward(x.data(), 20, false);
  const std::vector<float> full_out(full, full + 80);
  const float* part = net.Forward(x.data(), 7, false);
  REQUIRE(net.batch() == 7);
  for (size_t k = 0; k < 28; ++k) CHECK(part[k] == Approx(full_out[k]).margin(1e-5));
  // Gradients of the partial batch equal those of the full batch with zero weight on the rest.
  std::vector<float> grad(80, 0.f);
  net.ZeroGrad();
  net.Forward(x.data(), 7, true);
  std::vector<float> g7 = nn_testing::RandomVector(28, 31);
  net.Backward(g7.data());
  const std::vector<float> w7(net.Parameters()[0].grad, net.Parameters()[0].grad + net.Parameters()[0].size);
  net.ZeroGrad();
  net.Forward(x.data(), 20, true);
  std::copy(g7.begin(), g7.end(), grad.begin());
  net.Backward(grad.data());
  for (size_t k = 0; k < w7.size(); ++k) CHECK(net.Parameters()[0].grad[k] == Approx(w7[k]).margin(1e-5));
}

TEST_CASE("gradients accumulate until ZeroGrad; frozen layers keep no gradient", "[network]") {
  std::vector<float> x;
  std::vector<int32_t> y;
  TinySet(x, y);
  Network net(json::parse(kTinyCnn), Options({1, 8, 8}, 20));
  std::vector<float> grad(80);
  net.ZeroGrad();
  stages::nn::SoftmaxCrossEntropy(net.Forward(x.data(), 20, true), y.data(), 20, 4, grad.data());
  net.Backward(grad.data());
  const stages::ParameterView w = net.Parameters()[2];  // linear1.weight
  REQUIRE(w.name == "linear1.weight");
  const std::vector<float> once(w.grad, w.grad + w.size);
  net.Forward(x.data(), 20, true);
  net.Backward(grad.data());
  for (int64_t k = 0; k < w.size; k += 7) CHECK(w.grad[k] == Approx(2 * once[static_cast<size_t>(k)]).margin(1e-6));

  net.SetFrozen("conv1", true);
  CHECK(net.Parameters()[0].frozen);
  CHECK(!net.Parameters()[2].frozen);
  net.ZeroGrad();
  net.Forward(x.data(), 20, true);
  net.Backward(grad.data());
  const stages::ParameterView conv = net.Parameters()[0];
  CHECK(std::all_of(conv.grad, conv.grad + conv.size, [](float g) { return g == 0.f; }));
  CHECK_THROWS_WITH(net.SetFrozen("conv9", true), Catch::Contains("conv1, relu1, maxpool1"));
}

TEST_CASE("shape errors name the layer and the shapes; summaries list layers", "[network]") {
  CHECK_THROWS_WITH(Network(json::parse(R"([{"type": "conv", "out": 4, "kernel": 3},
                                            {"type": "maxpool", "kernel": 2},
                                            {"type": "conv", "out": 4, "kernel": 5}])"),
                            Options({1, 8, 8}, 1)),
                    Catch::Contains("conv2") && Catch::Contains("[4, 3, 3]"));
  Network net(json::parse(kTinyCnn), Options({1, 8, 8}, 2));
  const auto summary = net.Summary();
  REQUIRE(summary.size() == 5);
  CHECK(summary[2].output_shape == stages::nn::Dims{6, 4, 4});
  CHECK(summary[0].parameters == 6 * 9 + 6);
  CHECK(summary[4].parameters == 4 * 96 + 4);
  CHECK(net.LayerOutputShape("flatten1") == stages::nn::Dims{96});
  std::vector<float> x(2 * 64, 0.5f);
  net.Forward(x.data(), 2, false);
  CHECK(net.LayerOutput("maxpool1").size() == 2 * 96);
}

TEST_CASE("a convolutional autoencoder restores the input shape and learns to reconstruct",
          "[network]") {
  const char* spec = R"([{"type": "conv", "out": 8, "kernel": 3, "stride": 2, "pad": 1},
      {"type": "relu"}, {"type": "conv", "out": 16, "kernel": 3, "stride": 2, "pad": 1},
      {"type": "relu"}, {"type": "flatten"}, {"type": "linear", "out": 32, "name": "latent"},
      {"type": "linear", "out": 784}, {"type": "reshape", "shape": [16, 7, 7]},
      {"type": "conv_transpose", "out": 8, "kernel": 3, "stride": 2, "pad": 1, "output_padding": 1},
      {"type": "relu"},
      {"type": "conv_transpose", "out": 1, "kernel": 3, "stride": 2, "pad": 1, "output_padding": 1},
      {"type": "sigmoid"}])";
  Network net(json::parse(spec), Options({1, 28, 28}, 4));
  REQUIRE(net.output_shape() == stages::nn::Dims{1, 28, 28});
  CHECK(net.LayerOutputShape("latent") == stages::nn::Dims{32});
  // Bright centre squares of four sizes on a dark background.
  std::vector<float> x(4 * 784, 0.05f);
  for (int i = 0; i < 4; ++i) {
    for (int r = 8 - i; r < 20 + i; ++r) {
      for (int c = 8 - i; c < 20 + i; ++c) x[static_cast<size_t>(i * 784 + r * 28 + c)] = 0.95f;
    }
  }
  std::vector<float> grad(4 * 784);
  double first = 0;
  double last = 0;
  for (int step = 0; step < 30; ++step) {
    net.ZeroGrad();
    last = stages::nn::MeanSquaredError(net.Forward(x.data(), 4, true), x.data(), 4 * 784, grad.data());
    if (step == 0) first = last;
    net.Backward(grad.data());
    for (const stages::ParameterView& p : net.Parameters()) {
      for (int64_t k = 0; k < p.size; ++k) p.value[k] -= 3.0f * p.grad[k];
    }
  }
  CHECK(last < 0.5 * first);
  CHECK(net.LayerOutput("latent").size() == 4 * 32);
}

TEST_CASE("optimiser-shaped buffers convert to the plain layout and back", "[network]") {
  Network net(json::parse(kTinyCnn), Options({1, 8, 8}, 4));
  const auto state = net.StateDict();
  const std::vector<stages::ParameterView> views = net.Parameters();
  for (size_t i = 0; i < views.size(); ++i) {
    INFO(views[i].name);
    const std::vector<float> plain = net.ParameterToPlain(i, views[i].value);
    const pipeline::Tensor& expected = state.at(views[i].name);
    CHECK(plain == std::vector<float>(expected.f32(), expected.f32() + expected.size()));
    std::vector<float> physical(static_cast<size_t>(views[i].size), 0.f);
    net.ParameterFromPlain(i, plain, physical.data());
    CHECK(physical == std::vector<float>(views[i].value, views[i].value + views[i].size));
  }
  CHECK_THROWS_AS(net.ParameterToPlain(views.size(), views[0].value), pipeline::StageError);
}

TEST_CASE("a reshape as the first layer reads every batch it is given, not the first one",
          "[network]") {
  // Flat 64-value examples reshaped to 1x8x8 for a convolution: the reshape aliases the
  // network's input, whose data pointer changes with every Forward call.
  std::vector<float> x;
  std::vector<int32_t> y;
  TinySet(x, y);
  const char* spec = R"([{"type": "reshape", "shape": [1, 8, 8]}, {"type": "conv", "out": 3, "kernel": 3},
                         {"type": "relu"}, {"type": "flatten"}, {"type": "linear", "out": 4}])";
  Network reshaped(json::parse(spec), Options({64}, 10, 3));
  Network fresh(json::parse(spec), Options({64}, 10, 3));
  const float* first = reshaped.Forward(x.data(), 10, false);
  const std::vector<float> out_first(first, first + 40);
  const float* second = reshaped.Forward(x.data() + 10 * 64, 10, false);
  const std::vector<float> out_second(second, second + 40);
  const float* expected = fresh.Forward(x.data() + 10 * 64, 10, false);
  CHECK(out_second == std::vector<float>(expected, expected + 40));
  CHECK(out_second != out_first);
}

TEST_CASE("a backward pass without the input gradient gives the same parameter gradients and "
          "leaves the last input gradient as it was",
          "[network]") {
  // A discriminator-like MLP that starts with flatten (its first inner product reads the 2-D
  // view of the plain input) and computes input gradients.
  const json layers = json::parse(R"([{"type": "flatten"}, {"type": "linear", "out": 12},
                                      {"type": "leaky_relu", "alpha": 0.2},
                                      {"type": "linear", "out": 1}])");
  NetworkOptions options = Options({1, 4, 4}, 8);
  options.input_gradient = true;
  Network net(layers, options);
  const std::vector<float> x = nn_testing::RandomVector(8 * 16, 3, 0, 1);
  const std::vector<float> grad = nn_testing::RandomVector(8, 4, -1, 1);
  auto gradients = [&] {
    std::vector<std::vector<float>> all;
    for (const stages::ParameterView& p : net.Parameters()) all.emplace_back(p.grad, p.grad + p.size);
    return all;
  };
  net.ZeroGrad();
  net.Forward(x.data(), 8, true);
  net.Backward(grad.data(), /*input_gradient=*/true);
  const auto with = gradients();
  const std::vector<float> input_grad(net.InputGrad(), net.InputGrad() + 8 * 16);
  CHECK(std::any_of(input_grad.begin(), input_grad.end(), [](float g) { return g != 0.f; }));

  const std::vector<float> other = nn_testing::RandomVector(8, 5, -1, 1);
  net.ZeroGrad();
  net.Forward(x.data(), 8, true);
  net.Backward(other.data(), /*input_gradient=*/false);
  // The input gradient still belongs to the first pass: nothing wrote it.
  CHECK(std::equal(input_grad.begin(), input_grad.end(), net.InputGrad()));
  net.ZeroGrad();
  net.Forward(x.data(), 8, true);
  net.Backward(grad.data(), /*input_gradient=*/false);
  CHECK(gradients() == with);
  // And the next full pass computes it again.
  net.Backward(grad.data(), /*input_gradient=*/true);
  CHECK(std::equal(input_grad.begin(), input_grad.end(), net.InputGrad()));
}

TEST_CASE("a ReLU before a max pooling runs after it with the same outputs and gradients, bit "
          "for bit",
          "[network]") {
  // leaky_relu with alpha 0 computes ReLU but keeps its place in the run order, so it is the
  // reference for the reordered ReLU. Many inputs are negative, so many windows hold no
  // positive value (their gradient must be zero either way) and some tie at zero.
  auto layers = [](const char* activation) {
    return json::parse(std::string(R"([{"type": "conv", "out": 5, "kernel": 3, "pad": 1},)") +
                       activation + R"(, {"type": "maxpool", "kernel": 2},
                       {"type": "conv", "out": 4, "kernel": 3}, )" + activation + R"(,
                       {"type": "maxpool", "kernel": 2}, {"type": "flatten"},
                       {"type": "linear", "out": 3}])");
  };
  NetworkOptions options = Options({2, 14, 14}, 6);
  options.input_gradient = true;
  Network reordered(layers(R"({"type": "relu"})"), options);
  Network reference(layers(R"({"type": "leaky_relu", "alpha": 0})"), options);
  const std::vector<float> x = nn_testing::RandomVector(6 * 2 * 14 * 14, 8, -1, 0.6);
  const std::vector<float> grad = nn_testing::RandomVector(6 * 3, 9, -1, 1);
  auto pass = [&](Network& net) {
    net.ZeroGrad();
    const float* out = net.Forward(x.data(), 6, true);
    std::vector<std::vector<float>> all{std::vector<float>(out, out + 6 * 3)};
    net.Backward(grad.data());
    all.emplace_back(net.InputGrad(), net.InputGrad() + x.size());
    for (const stages::ParameterView& p : net.Parameters()) all.emplace_back(p.grad, p.grad + p.size);
    return all;
  };
  const auto ours = pass(reordered);
  const auto theirs = pass(reference);
  REQUIRE(ours.size() == theirs.size());
  for (size_t k = 0; k < ours.size(); ++k) {
    INFO("tensor " << k);
    CHECK(ours[k] == theirs[k]);
  }
  // Both ReLUs kept a few windows without a positive value (dead gradient paths).
  const std::vector<float> pooled = reordered.LayerOutput("maxpool1");
  CHECK(std::count(pooled.begin(), pooled.end(), 0.f) > 10);
  CHECK(pooled == reference.LayerOutput("maxpool1"));
  CHECK_THROWS_WITH(reordered.LayerOutput("relu1"), Catch::Contains("use 'maxpool1'"));
}
