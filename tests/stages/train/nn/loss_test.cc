#include "stages/train/nn/loss.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <vector>

#include <omp.h>

#include "pipeline/errors.h"
#include "tests/stages/train/nn/gradient_check.h"

using stages::nn::BinaryCrossEntropyWithLogits;
using stages::nn::MeanSquaredError;
using stages::nn::SoftmaxCrossEntropy;

namespace {

// Central differences of `loss` over every element of `x` (in double: the losses sum in double).
void CheckLossGradient(std::vector<float> x, const std::function<double(const std::vector<float>&, float*)>& loss) {
  std::vector<float> analytic(x.size());
  loss(x, analytic.data());
  const double eps = 1e-3;
  for (size_t k = 0; k < x.size(); ++k) {
    const float saved = x[k];
    x[k] = saved + static_cast<float>(eps);
    const double plus = loss(x, nullptr);
    x[k] = saved - static_cast<float>(eps);
    const double minus = loss(x, nullptr);
    x[k] = saved;
    INFO("element " << k);
    CHECK((plus - minus) / (2 * eps) == Approx(analytic[k]).margin(1e-4).epsilon(1e-2));
  }
}

}  // namespace

TEST_CASE("softmax cross-entropy matches its formula and its gradient", "[loss]") {
  const std::vector<float> logits = {1, 2, 3, 0, 0, 0};
  const std::vector<int32_t> labels = {2, 0};
  const double row0 = std::log(std::exp(1) + std::exp(2) + std::exp(3)) - 3;
  const double row1 = std::log(3.0);
  CHECK(SoftmaxCrossEntropy(logits.data(), labels.data(), 2, 3, nullptr) == Approx((row0 + row1) / 2));
  CheckLossGradient(nn_testing::RandomVector(12, 20, -3, 3), [](const std::vector<float>& x, float* g) {
    const std::vector<int32_t> y = {0, 3, 1};
    return SoftmaxCrossEntropy(x.data(), y.data(), 3, 4, g);
  });
}

TEST_CASE("class-weighted cross-entropy is the weighted mean of PyTorch", "[loss]") {
  // Two rows, 2 classes: row 0 label 0, row 1 label 1; weights w0 = 1, w1 = 3.
  const std::vector<float> logits = {0, 0, 2, 0};
  const std::vector<int32_t> labels = {0, 1};
  const std::vector<float> weights = {1, 3};
  const double loss0 = std::log(2.0);                       // uniform row
  const double loss1 = std::log(std::exp(2) + 1) - 0;       // label 1 with logit 0
  const double expected = (1 * loss0 + 3 * loss1) / (1 + 3);
  CHECK(SoftmaxCrossEntropy(logits.data(), labels.data(), 2, 2, nullptr, &weights) == Approx(expected));
  CheckLossGradient(nn_testing::RandomVector(8, 21, -2, 2), [&](const std::vector<float>& x, float* g) {
    const std::vector<int32_t> y = {1, 1, 0, 1};
    return SoftmaxCrossEntropy(x.data(), y.data(), 4, 2, g, &weights);
  });
}

TEST_CASE("cross-entropy is stable for huge logits and rejects bad labels", "[loss]") {
  const std::vector<float> logits = {1000, -1000, 0};
  const std::vector<int32_t> label = {1};
  std::vector<float> grad(3);
  const double loss = SoftmaxCrossEntropy(logits.data(), label.data(), 1, 3, grad.data());
  CHECK(loss == Approx(2000));
  CHECK(grad[0] == Approx(1));
  CHECK(grad[1] == Approx(-1));
  const std::vector<int32_t> bad = {3};
  CHECK_THROWS_AS(SoftmaxCrossEntropy(logits.data(), bad.data(), 1, 3, nullptr), pipeline::StageError);
}

TEST_CASE("mean squared error and its gradient", "[loss]") {
  const std::vector<float> p = {1, 2, 3};
  const std::vector<float> t = {1, 0, 0};
  std::vector<float> grad(3);
  CHECK(MeanSquaredError(p.data(), t.data(), 3, grad.data()) == Approx((0 + 4 + 9) / 3.0));
  CHECK(grad[1] == Approx(2 * 2 / 3.0));
  const std::vector<float> target = nn_testing::RandomVector(6, 22);
  CheckLossGradient(nn_testing::RandomVector(6, 23), [&](const std::vector<float>& x, float* g) {
    return MeanSquaredError(x.data(), target.data(), 6, g);
  });
}

TEST_CASE("binary cross-entropy on logits matches the log-sigmoid form", "[loss]") {
  const std::vector<float> x = {0, 2, -50};
  const std::vector<float> t = {1, 0, 0};
  const double expected = (std::log(2.0) + std::log1p(std::exp(2.0)) + std::log1p(std::exp(-50.0))) / 3;
  CHECK(BinaryCrossEntropyWithLogits(x.data(), t.data(), 3, nullptr) == Approx(expected));
  const std::vector<float> targets = nn_testing::RandomVector(6, 24, 0, 1);
  CheckLossGradient(nn_testing::RandomVector(6, 25, -4, 4), [&](const std::vector<float>& v, float* g) {
    return BinaryCrossEntropyWithLogits(v.data(), targets.data(), 6, g);
  });
}

TEST_CASE("binary cross-entropy's float kernels match the double formula element by element, "
          "and its sum does not depend on the thread count",
          "[loss]") {
  // Logits across the whole range, including exact 0, huge values and the chunk boundary.
  const int64_t n = 3 * 8192 + 17;
  std::vector<float> x(static_cast<size_t>(n)), t(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) {
    x[static_cast<size_t>(k)] = static_cast<float>(-120.0 + 240.0 * static_cast<double>(k) / n);
    t[static_cast<size_t>(k)] = static_cast<float>((k * 37) % 101) / 100.0f;
  }
  x[5] = 0.0f;
  x[6] = 1e-7f;
  x[7] = -88.5f;
  std::vector<float> grad(static_cast<size_t>(n));
  const double mean = BinaryCrossEntropyWithLogits(x.data(), t.data(), n, grad.data());
  double expected = 0;
  for (int64_t k = 0; k < n; ++k) {
    const double v = x[static_cast<size_t>(k)], target = t[static_cast<size_t>(k)];
    const double term = std::max(v, 0.0) - v * target + std::log1p(std::exp(-std::abs(v)));
    expected += term;
    // One element alone: its term, and its gradient (sigmoid - t) to float precision.
    const float one = x[static_cast<size_t>(k)];
    float g = 0;
    const double single = BinaryCrossEntropyWithLogits(&one, &t[static_cast<size_t>(k)], 1, &g);
    INFO("x = " << v);
    CHECK(single == Approx(term).epsilon(2e-6).margin(1e-7));
    CHECK(g == Approx(1.0 / (1.0 + std::exp(-v)) - target).margin(1e-6));
    CHECK(grad[static_cast<size_t>(k)] * n == Approx(g).epsilon(1e-5).margin(1e-6));
  }
  CHECK(mean == Approx(expected / n).epsilon(1e-6));
  // The same bits with one thread as with several.
  const int threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const double serial = BinaryCrossEntropyWithLogits(x.data(), t.data(), n, nullptr);
  omp_set_num_threads(std::max(2, threads));
  const double parallel = BinaryCrossEntropyWithLogits(x.data(), t.data(), n, nullptr);
  omp_set_num_threads(threads);
  CHECK(serial == parallel);
  CHECK(serial == mean);
}
