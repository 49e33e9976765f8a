#include "stages/resample/class_weights.h"

#include <catch2/catch.hpp>

TEST_CASE("balanced class weights match scikit-learn's formula by hand", "[class_weights]") {
  // N = 10 examples, K = 3 classes present: w = 10 / (3 n_c); the absent class 2 gets 0.
  const std::vector<double> weights = stages::BalancedClassWeights({6, 3, 0, 1});
  REQUIRE(weights.size() == 4);
  CHECK(weights[0] == Approx(10.0 / 18));
  CHECK(weights[1] == Approx(10.0 / 9));
  CHECK(weights[2] == 0.0);
  CHECK(weights[3] == Approx(10.0 / 3));
  // They average 1 over the examples.
  CHECK((6 * weights[0] + 3 * weights[1] + 1 * weights[3]) / 10 == Approx(1.0));
}

TEST_CASE("balanced weights are all 1 for balanced classes", "[class_weights]") {
  CHECK(stages::BalancedClassWeights({4, 4, 4}) == std::vector<double>{1, 1, 1});
}

TEST_CASE("uniform weights are 1 for present classes and 0 for absent ones", "[class_weights]") {
  CHECK(stages::UniformClassWeights({6, 0, 1}) == std::vector<double>{1, 0, 1});
}
