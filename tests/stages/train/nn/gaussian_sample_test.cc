#include "stages/train/nn/gaussian_sample.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "stages/train/nn/network.h"
#include "tests/stages/train/nn/gradient_check.h"

using nlohmann::json;
using stages::nn::Network;

namespace {

const char* kSpec = R"([{"type": "gaussian_sample"}])";

// L = sum(z * R) + kl(): what a VAE's loss looks like to the layer.
double Loss(Network& net, const std::vector<float>& input, const std::vector<float>& r,
            int64_t batch) {
  net.SeedDropout(pipeline::Rng(99));
  const float* z = net.Forward(input.data(), batch, /*training=*/true);
  double loss = 0;
  for (size_t k = 0; k < r.size(); ++k) loss += static_cast<double>(z[k]) * r[k];
  const auto* sampler =
      dynamic_cast<const stages::nn::GaussianSample*>(net.FindLayerOfType("gaussian_sample"));
  return loss + sampler->kl();
}

}  // namespace

TEST_CASE("gaussian_sample: the reparameterisation and KL gradients match finite differences",
          "[gaussian_sample][train]") {
  const int64_t batch = 3, latent = 4;
  Network net(json::parse(kSpec), nn_testing::CheckOptions({2 * latent}, batch));
  const std::vector<float> input = nn_testing::RandomVector(static_cast<size_t>(batch * 2 * latent), 7);
  const std::vector<float> r = nn_testing::RandomVector(static_cast<size_t>(batch * latent), 8);
  Loss(net, input, r, batch);
  net.Backward(r.data());
  REQUIRE(net.InputGrad() != nullptr);
  const std::vector<float> analytic(net.InputGrad(), net.InputGrad() + input.size());
  const double eps = 1e-3;
  for (size_t k = 0; k < input.size(); ++k) {
    std::vector<float> plus = input, minus = input;
    plus[k] += static_cast<float>(eps);
    minus[k] -= static_cast<float>(eps);
    const double numeric = (Loss(net, plus, r, batch) - Loss(net, minus, r, batch)) / (2 * eps);
    INFO("input " << k);
    CHECK(analytic[k] == Approx(numeric).margin(2e-3));
  }
}

TEST_CASE("gaussian_sample: inference gives mu; samples depend only on the seed",
          "[gaussian_sample][train]") {
  const int64_t batch = 2, latent = 3;
  Network net(json::parse(kSpec), nn_testing::CheckOptions({2 * latent}, batch));
  const std::vector<float> input = nn_testing::RandomVector(static_cast<size_t>(batch * 2 * latent), 3);
  const float* z = net.Forward(input.data(), batch, /*training=*/false);
  for (int64_t i = 0; i < batch; ++i) {
    for (int64_t j = 0; j < latent; ++j) CHECK(z[i * latent + j] == input[static_cast<size_t>(i * 2 * latent + j)]);
  }
  auto sample = [&](uint64_t seed) {
    net.SeedDropout(pipeline::Rng(seed));
    const float* out = net.Forward(input.data(), batch, /*training=*/true);
    return std::vector<float>(out, out + batch * latent);
  };
  CHECK(sample(5) == sample(5));
  CHECK(sample(5) != sample(6));
  // KL is 0 exactly for mu = 0, log_var = 0.
  const std::vector<float> standard(static_cast<size_t>(batch * 2 * latent), 0.f);
  net.Forward(standard.data(), batch, true);
  CHECK(dynamic_cast<const stages::nn::GaussianSample*>(net.FindLayerOfType("gaussian_sample"))
            ->kl() == Approx(0.0).margin(1e-12));
}
