#pragma once
// Finite-difference checks of a Network's backward pass for layer tests. The scalar loss is
// L = sum(output * R) with a fixed random R, so dL/doutput = R. Every parameter is first set to
// random non-zero values (so biases and batch-norm shifts are exercised, and the zero padding
// of blocked layouts is recognisable); then each input element and each non-padding parameter
// element (through its ParameterView, i.e. the physical layout the optimiser sees) is moved by
// +-eps and the central difference compared with the analytic gradient:
//   |numeric - analytic| <= tolerance * max(max |analytic|, 1e-3) per element, and the
//   relative error of the whole vector, ||numeric - analytic|| / ||analytic||, below tolerance.
// Parameter tensors with many elements are sampled at an even stride.
// Dropout streams are reseeded before every pass, so masks are the same in every evaluation.

#include <catch2/catch.hpp>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "pipeline/rng.h"
#include "stages/train/nn/network.h"

namespace nn_testing {

inline std::vector<float> RandomVector(size_t size, uint64_t seed, double low = -1, double high = 1) {
  pipeline::Rng rng(seed);
  std::vector<float> values(size);
  for (float& v : values) v = static_cast<float>(rng.Uniform(low, high));
  return values;
}

// Values of magnitude in [0.1, 1] with random signs: away from ReLU's kink.
inline std::vector<float> AwayFromZero(size_t size, uint64_t seed) {
  pipeline::Rng rng(seed);
  std::vector<float> values(size);
  for (float& v : values) {
    const double magnitude = rng.Uniform(0.1, 1.0);
    v = static_cast<float>(rng.Uniform() < 0.5 ? -magnitude : magnitude);
  }
  return values;
}

// Distinct values, at least 0.02 apart, in random order: no max-pool ties within eps.
inline std::vector<float> DistinctValues(size_t size, uint64_t seed) {
  std::vector<float> values(size);
  for (size_t i = 0; i < size; ++i) values[i] = static_cast<float>(0.02 * static_cast<double>(i) - 0.01 * static_cast<double>(size));
  pipeline::Rng(seed).Shuffle(values);
  return values;
}

class GradientChecker {
 public:
  GradientChecker(stages::nn::Network& net, std::vector<float> input, int64_t batch,
                  bool training = true)
      : net_(net), input_(std::move(input)), batch_(batch), training_(training) {
    weights_ = RandomVector(static_cast<size_t>(batch * net.output_size()), 1234);
  }

  double Loss() {
    net_.SeedDropout(pipeline::Rng(99));
    const float* out = net_.Forward(input_.data(), batch_, training_);
    double loss = 0;
    for (size_t k = 0; k < weights_.size(); ++k) loss += static_cast<double>(out[k]) * weights_[k];
    return loss;
  }

  // Sets every parameter tensor (plain) to uniform values in [0.2, 0.8] with random signs
  // scaled by `scale`.
  void RandomizeParameters(double scale = 1.0) {
    std::map<std::string, pipeline::Tensor> state = net_.StateDict();
    uint64_t seed = 500;
    for (auto& [name, tensor] : state) {
      if (name.find("running_") != std::string::npos) continue;
      const std::vector<float> values = AwayFromZero(static_cast<size_t>(tensor.size()), seed++);
      for (int64_t k = 0; k < tensor.size(); ++k) {
        tensor.f32()[k] = static_cast<float>(scale * values[static_cast<size_t>(k)]);
      }
    }
    net_.LoadStateDict(state);
  }

  void Check(double eps = 1e-3, double tolerance = 1e-2, bool check_input = true) {
    net_.ZeroGrad();
    Loss();
    net_.Backward(weights_.data());
    if (check_input) {
      REQUIRE(net_.InputGrad() != nullptr);
      const std::vector<float> analytic(net_.InputGrad(), net_.InputGrad() + input_.size());
      std::vector<float> numeric(input_.size());
      for (size_t k = 0; k < input_.size(); ++k) {
        const float saved = input_[k];
        input_[k] = saved + static_cast<float>(eps);
        const double plus = Loss();
        input_[k] = saved - static_cast<float>(eps);
        const double minus = Loss();
        input_[k] = saved;
        numeric[k] = static_cast<float>((plus - minus) / (2 * eps));
      }
      Compare("input", analytic, numeric, tolerance);
    }
    for (const stages::ParameterView& view : net_.Parameters()) {
      std::vector<float> analytic;
      std::vector<float> numeric;
      // At most about 150 elements per tensor, evenly spread, to keep the tests fast.
      const int64_t step = std::max<int64_t>(1, view.size / 150);
      for (int64_t k = 0; k < view.size; k += step) {
        const float saved = view.value[k];
        if (saved == 0.f) continue;  // zero padding of a blocked layout
        analytic.push_back(view.grad[k]);
        view.value[k] = saved + static_cast<float>(eps);
        const double plus = Loss();
        view.value[k] = saved - static_cast<float>(eps);
        const double minus = Loss();
        view.value[k] = saved;
        numeric.push_back(static_cast<float>((plus - minus) / (2 * eps)));
      }
      CHECK(!analytic.empty());
      Compare(view.name, analytic, numeric, tolerance);
    }
  }

 private:
  static void Compare(const std::string& what, const std::vector<float>& analytic,
                      const std::vector<float>& numeric, double tolerance) {
    INFO("gradient of " << what);
    REQUIRE(analytic.size() == numeric.size());
    double scale = 1e-3;
    double difference = 0;
    double norm = 0;
    for (size_t k = 0; k < analytic.size(); ++k) {
      scale = std::max(scale, std::abs(static_cast<double>(analytic[k])));
      difference += std::pow(static_cast<double>(numeric[k]) - analytic[k], 2);
      norm += std::pow(static_cast<double>(analytic[k]), 2);
    }
    size_t bad = 0;
    for (size_t k = 0; k < analytic.size(); ++k) {
      if (std::abs(static_cast<double>(numeric[k]) - analytic[k]) > tolerance * scale) {
        if (bad++ < 3) UNSCOPED_INFO("element " << k << ": analytic " << analytic[k] << " numeric " << numeric[k]);
      }
    }
    CHECK(bad == 0);
    CHECK(norm > 0);
    CHECK(std::sqrt(difference) <= tolerance * std::sqrt(norm));
  }

  stages::nn::Network& net_;
  std::vector<float> input_;
  int64_t batch_;
  bool training_;
  std::vector<float> weights_;
};

inline stages::nn::NetworkOptions CheckOptions(stages::nn::Dims input_shape, int64_t batch) {
  // Tiny shapes: one OpenMP thread avoids fork/join overhead (and waits on a busy machine).
  omp_set_num_threads(1);
  stages::nn::NetworkOptions options;
  options.input_shape = std::move(input_shape);
  options.batch = batch;
  options.seed = 3;
  options.input_gradient = true;
  return options;
}

}  // namespace nn_testing
