#include "stages/train/optimizer.h"

#include <tbb/task_arena.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/errors.h"
#include "stages/train/adaptive_optimizers.h"
#include "stages/train/optimizer_factory.h"
#include "stages/train/sgd.h"

using pipeline::Json;
using stages::Optimizer;
using stages::ParameterView;

namespace {

// A parameter that owns its buffers.
struct OwnedParameter {
  std::string name;
  std::vector<float> value;
  std::vector<float> grad;
  bool is_weight = true;
  bool frozen = false;

  ParameterView View() {
    ParameterView view;
    view.name = name;
    view.value = value.data();
    view.grad = grad.data();
    view.size = static_cast<int64_t>(value.size());
    view.is_weight = is_weight;
    view.frozen = frozen;
    return view;
  }
};

OwnedParameter MakeParameter(std::string name, std::vector<float> value, bool is_weight = true) {
  OwnedParameter param;
  param.name = std::move(name);
  param.grad.assign(value.size(), 0.0f);
  param.value = std::move(value);
  param.is_weight = is_weight;
  return param;
}

// f(w) = 0.5 * sum a_i (w_i - t_i)^2, a convex quadratic with its minimum 0 at w = t.
struct Quadratic {
  std::vector<float> a;
  std::vector<float> target;

  static Quadratic Make(size_t n) {
    Quadratic q;
    for (size_t i = 0; i < n; ++i) {
      q.a.push_back(0.5f + static_cast<float>(i % 7) * 0.25f);  // curvatures 0.5 .. 2
      q.target.push_back(std::sin(static_cast<float>(i)) * 2.0f);
    }
    return q;
  }
  double Loss(const std::vector<float>& w) const {
    double sum = 0;
    for (size_t i = 0; i < w.size(); ++i) sum += 0.5 * a[i] * (w[i] - target[i]) * (w[i] - target[i]);
    return sum;
  }
  void Gradient(const std::vector<float>& w, std::vector<float>& grad) const {
    for (size_t i = 0; i < w.size(); ++i) grad[i] = a[i] * (w[i] - target[i]);
  }
};

// Runs `steps` steps on the quadratic from w = 0 and returns the loss after every step.
std::vector<double> Minimise(Optimizer& optimizer, const Quadratic& q, OwnedParameter& param,
                             int steps) {
  std::vector<double> losses = {q.Loss(param.value)};
  for (int s = 0; s < steps; ++s) {
    q.Gradient(param.value, param.grad);
    optimizer.Step({param.View()});
    losses.push_back(q.Loss(param.value));
  }
  return losses;
}

// Two steps on a single weight w = 1 with gradients 0.5 then 0.25; returns w after each.
std::vector<float> TwoSteps(const Json& config) {
  const std::unique_ptr<Optimizer> optimizer = stages::MakeOptimizer(config);
  OwnedParameter param = MakeParameter("w", {1.0f});
  std::vector<float> after;
  for (const float g : {0.5f, 0.25f}) {
    param.grad[0] = g;
    optimizer->Step({param.View()});
    after.push_back(param.value[0]);
  }
  return after;
}

}  // namespace

TEST_CASE("one step of each update rule matches its formula", "[optimizer]") {
  // Expected values worked out from PyTorch's update formulas (sgd.h, adaptive_optimizers.h) in
  // double precision; the optimisers compute in float, hence the tolerance.
  const auto approx = [](double value) { return Approx(value).margin(2e-7); };
  SECTION("sgd: w - lr g") {
    const std::vector<float> w = TwoSteps({{"optimizer", "sgd"}, {"lr", 0.1}});
    CHECK(w[0] == approx(0.95));
    CHECK(w[1] == approx(0.925));
  }
  SECTION("momentum: v1 = g1 = 0.5, v2 = 0.9 * 0.5 + 0.25 = 0.7") {
    const std::vector<float> w = TwoSteps({{"optimizer", "sgd"}, {"lr", 0.1}, {"momentum", 0.9}});
    CHECK(w[0] == approx(0.95));
    CHECK(w[1] == approx(0.88));
  }
  SECTION("nesterov: steps lr (g + mu v) = 0.1 * 0.95, then 0.1 * (0.25 + 0.63)") {
    const std::vector<float> w = TwoSteps(
        {{"optimizer", "sgd"}, {"lr", 0.1}, {"momentum", 0.9}, {"nesterov", true}});
    CHECK(w[0] == approx(0.905));
    CHECK(w[1] == approx(0.817));
  }
  SECTION("adagrad: sums 0.25 then 0.3125") {
    const std::vector<float> w = TwoSteps({{"optimizer", "adagrad"}, {"lr", 0.1}});
    CHECK(w[0] == approx(0.90000000002));
    CHECK(w[1] == approx(0.8552786404780043));
  }
  SECTION("rmsprop: square averages 0.0025 then 0.0031") {
    const std::vector<float> w = TwoSteps({{"optimizer", "rmsprop"}, {"lr", 0.01}});
    CHECK(w[0] == approx(0.900000019999996));
    CHECK(w[1] == approx(0.855098702557817));
  }
  SECTION("adam: the bias-corrected first step is lr g / |g|") {
    const std::vector<float> w = TwoSteps({{"optimizer", "adam"}, {"lr", 0.1}});
    CHECK(w[0] == approx(0.900000002));
    CHECK(w[1] == approx(0.8067820404774624));
  }
}

TEST_CASE("every optimiser minimises a convex quadratic", "[optimizer]") {
  struct Case {
    Json config;
    int steps;
    double tolerance;  // on max |w - t|
  };
  const std::vector<Case> cases = {
      {{{"optimizer", "sgd"}, {"lr", 0.5}}, 200, 1e-4},
      {{{"optimizer", "sgd"}, {"lr", 0.1}, {"momentum", 0.9}}, 400, 1e-4},
      {{{"optimizer", "sgd"}, {"lr", 0.1}, {"momentum", 0.9}, {"nesterov", true}}, 400, 1e-4},
      {{{"optimizer", "adagrad"}, {"lr", 0.5}}, 2000, 1e-3},
      {{{"optimizer", "rmsprop"}, {"lr", 0.001}}, 4000, 1e-2},
      {{{"optimizer", "adam"}, {"lr", 0.01}}, 3000, 1e-3},
  };
  const Quadratic q = Quadratic::Make(50);
  for (const Case& c : cases) {
    INFO(c.config.dump());
    const std::unique_ptr<Optimizer> optimizer = stages::MakeOptimizer(c.config);
    OwnedParameter param = MakeParameter("w", std::vector<float>(50, 0.0f));
    const std::vector<double> losses = Minimise(*optimizer, q, param, c.steps);
    // Decreasing from each tenth of the run to the next (until float resolution stops it), and
    // close to the optimum at the end.
    for (int tenth = 1; tenth <= 10; ++tenth) {
      INFO("tenth " << tenth);
      const double before = losses[static_cast<size_t>((tenth - 1) * c.steps / 10)];
      const double after = losses[static_cast<size_t>(tenth * c.steps / 10)];
      INFO("loss " << before << " -> " << after);
      CHECK((after < before || before < 1e-10));
    }
    double max_error = 0;
    for (size_t i = 0; i < 50; ++i) {
      max_error = std::max(max_error, std::abs(double(param.value[i]) - q.target[i]));
    }
    CHECK(max_error < c.tolerance);
  }
  SECTION("plain SGD below 2 / max curvature decreases the loss at every step") {
    const std::unique_ptr<Optimizer> optimizer = stages::MakeOptimizer({{"optimizer", "sgd"}, {"lr", 0.5}});
    OwnedParameter param = MakeParameter("w", std::vector<float>(50, 0.0f));
    const std::vector<double> losses = Minimise(*optimizer, q, param, 100);
    for (size_t s = 1; s < losses.size(); ++s) {
      if (losses[s - 1] > 1e-12) CHECK(losses[s] < losses[s - 1]);
    }
  }
}

TEST_CASE("frozen parameters never change and get no state", "[optimizer]") {
  for (const char* name : {"sgd", "adagrad", "rmsprop", "adam"}) {
    INFO(name);
    const std::unique_ptr<Optimizer> optimizer =
        stages::MakeOptimizer({{"optimizer", name}, {"lr", 0.1}, {"l2", 0.5}, {"l1", 0.1}});
    OwnedParameter frozen = MakeParameter("frozen.weight", {1.0f, -2.0f, 3.0f});
    frozen.frozen = true;
    frozen.grad = {0.5f, 0.5f, 0.5f};
    OwnedParameter live = MakeParameter("live.weight", {1.0f, -2.0f, 3.0f});
    live.grad = {0.5f, 0.5f, 0.5f};
    double penalty = 0;
    for (int s = 0; s < 3; ++s) penalty = optimizer->Step({frozen.View(), live.View()});
    CHECK(frozen.value == std::vector<float>{1.0f, -2.0f, 3.0f});
    CHECK(live.value != std::vector<float>{1.0f, -2.0f, 3.0f});
    CHECK(optimizer->StepCount("frozen.weight") == 0);
    CHECK(optimizer->StepCount("live.weight") == 3);
    for (const auto& [key, values] : optimizer->ExportState()) {
      CHECK(key.rfind("frozen.", 0) == std::string::npos);
    }
    // The penalty of the frozen weights is not part of the loss either.
    double live_penalty = 0;
    for (const float w : live.value) live_penalty += 0.5 * w * w + 0.1 * std::abs(w);
    CHECK(optimizer->Penalty({frozen.View(), live.View()}) == Approx(live_penalty));
    CHECK(penalty > 0);
  }
}

TEST_CASE("penalties touch weights only", "[optimizer]") {
  OwnedParameter weight = MakeParameter("fc.weight", {1.0f, -2.0f});
  OwnedParameter bias = MakeParameter("fc.bias", {1.0f, -2.0f}, /*is_weight=*/false);
  SECTION("l2: the gradient gains 2 lambda w and the loss lambda sum w^2") {
    const std::unique_ptr<Optimizer> optimizer =
        stages::MakeOptimizer({{"optimizer", "sgd"}, {"lr", 0.1}, {"l2", 0.5}});
    const double penalty = optimizer->Step({weight.View(), bias.View()});
    CHECK(penalty == Approx(0.5 * (1 + 4)));
    CHECK(weight.value[0] == Approx(0.9));   // w - 0.1 * 2 * 0.5 * w
    CHECK(weight.value[1] == Approx(-1.8));
    CHECK(bias.value == std::vector<float>{1.0f, -2.0f});
  }
  SECTION("weight decay: the gradient gains wd w, the loss nothing") {
    const std::unique_ptr<Optimizer> optimizer =
        stages::MakeOptimizer({{"optimizer", "sgd"}, {"lr", 0.1}, {"weight_decay", 0.5}});
    const double penalty = optimizer->Step({weight.View(), bias.View()});
    CHECK(penalty == 0.0);
    CHECK(weight.value[0] == Approx(0.95));
    CHECK(weight.value[1] == Approx(-1.9));
    CHECK(bias.value == std::vector<float>{1.0f, -2.0f});
  }
  SECTION("weight decay is coupled: Adam sees it inside its gradient") {
    // With g = 0 and w = 1, Adam's first step moves by lr * sign(wd w) = 0.1 whatever wd is.
    const std::unique_ptr<Optimizer> optimizer =
        stages::MakeOptimizer({{"optimizer", "adam"}, {"lr", 0.1}, {"weight_decay", 0.01}});
    optimizer->Step({weight.View(), bias.View()});
    CHECK(weight.value[0] == Approx(0.9).margin(1e-6));
    CHECK(weight.value[1] == Approx(-1.9).margin(1e-6));
    CHECK(bias.value == std::vector<float>{1.0f, -2.0f});
  }
}

TEST_CASE("L1 moves weights toward 0 by lr lambda sign(w)", "[optimizer]") {
  const std::unique_ptr<Optimizer> optimizer =
      stages::MakeOptimizer({{"optimizer", "sgd"}, {"lr", 0.01}, {"l1", 1.0}});
  OwnedParameter weight = MakeParameter("fc.weight", {0.05f, -0.05f, 0.0f, 0.3f, -0.3f});
  const double penalty = optimizer->Step({weight.View()});
  CHECK(penalty == Approx(0.05 + 0.05 + 0 + 0.3 + 0.3));
  CHECK(weight.value[0] == Approx(0.04));
  CHECK(weight.value[1] == Approx(-0.04));
  CHECK(weight.value[2] == 0.0f);  // sign(0) = 0
  CHECK(weight.value[3] == Approx(0.29));
  CHECK(weight.value[4] == Approx(-0.29));
  for (int s = 1; s < 20; ++s) optimizer->Step({weight.View()});
  // The small weights reached 0 and now stay within one step of it; the big ones kept moving.
  CHECK(std::abs(weight.value[0]) <= 0.01f);
  CHECK(std::abs(weight.value[1]) <= 0.01f);
  CHECK(weight.value[2] == 0.0f);
  CHECK(weight.value[3] == Approx(0.1).margin(1e-5));
  CHECK(weight.value[4] == Approx(-0.1).margin(1e-5));
}

TEST_CASE("exported state continues bit-identically after import", "[optimizer][resume]") {
  const Quadratic q = Quadratic::Make(20000);  // several chunks
  for (const Json& config : {Json{{"optimizer", "sgd"}, {"lr", 0.1}},
                             Json{{"optimizer", "sgd"}, {"lr", 0.1}, {"momentum", 0.9},
                                  {"nesterov", true}, {"l2", 0.001}},
                             Json{{"optimizer", "adagrad"}, {"lr", 0.1}, {"l1", 0.001}},
                             Json{{"optimizer", "rmsprop"}, {"lr", 0.01}},
                             Json{{"optimizer", "adam"}, {"lr", 0.01}, {"weight_decay", 0.01}}}) {
    INFO(config.dump());
    OwnedParameter straight = MakeParameter("w", std::vector<float>(20000, 0.0f));
    OwnedParameter bias = MakeParameter("b", std::vector<float>(3, 1.0f), false);
    bias.grad = {0.1f, -0.2f, 0.3f};
    {
      const std::unique_ptr<Optimizer> optimizer = stages::MakeOptimizer(config);
      Minimise(*optimizer, q, straight, 0);
      for (int s = 0; s < 5; ++s) {
        q.Gradient(straight.value, straight.grad);
        optimizer->Step({straight.View(), bias.View()});
      }
    }
    OwnedParameter resumed = MakeParameter("w", std::vector<float>(20000, 0.0f));
    OwnedParameter resumed_bias = MakeParameter("b", std::vector<float>(3, 1.0f), false);
    resumed_bias.grad = bias.grad;
    stages::OptimizerState state;
    {
      const std::unique_ptr<Optimizer> first = stages::MakeOptimizer(config);
      for (int s = 0; s < 2; ++s) {
        q.Gradient(resumed.value, resumed.grad);
        first->Step({resumed.View(), resumed_bias.View()});
      }
      state = first->ExportState();
    }
    const std::unique_ptr<Optimizer> second = stages::MakeOptimizer(config);
    second->ImportState(state);
    CHECK(second->StepCount("w") == 2);
    for (int s = 0; s < 3; ++s) {
      q.Gradient(resumed.value, resumed.grad);
      second->Step({resumed.View(), resumed_bias.View()});
    }
    CHECK(std::memcmp(straight.value.data(), resumed.value.data(), 20000 * sizeof(float)) == 0);
    CHECK(std::memcmp(bias.value.data(), resumed_bias.value.data(), 3 * sizeof(float)) == 0);
    CHECK(second->ExportState() == [&] {
      // The straight run's state after 5 steps equals the resumed run's.
      const std::unique_ptr<Optimizer> again = stages::MakeOptimizer(config);
      OwnedParameter w = MakeParameter("w", std::vector<float>(20000, 0.0f));
      OwnedParameter b = MakeParameter("b", std::vector<float>(3, 1.0f), false);
      b.grad = bias.grad;
      for (int s = 0; s < 5; ++s) {
        q.Gradient(w.value, w.grad);
        again->Step({w.View(), b.View()});
      }
      return again->ExportState();
    }());
  }
}

TEST_CASE("state of another optimiser is rejected on import", "[optimizer][resume]") {
  const std::unique_ptr<Optimizer> adam = stages::MakeOptimizer({{"optimizer", "adam"}});
  OwnedParameter w = MakeParameter("w", {1.0f, 2.0f});
  w.grad = {1.0f, 1.0f};
  adam->Step({w.View()});
  const stages::OptimizerState state = adam->ExportState();
  CHECK(state.count("w/exp_avg") == 1);
  CHECK(state.at("w/step") == std::vector<float>{0.0f, 1.0f});
  const std::unique_ptr<Optimizer> momentum =
      stages::MakeOptimizer({{"optimizer", "sgd"}, {"momentum", 0.5}});
  CHECK_THROWS_AS(momentum->ImportState(state), pipeline::StageError);
  // A state whose size does not match the parameter fails at the next step.
  const std::unique_ptr<Optimizer> other = stages::MakeOptimizer({{"optimizer", "adam"}});
  other->ImportState(state);
  OwnedParameter bigger = MakeParameter("w", {1.0f, 2.0f, 3.0f});
  CHECK_THROWS_AS(other->Step({bigger.View()}), pipeline::StageError);
}

TEST_CASE("state is keyed by name, so views can be re-created", "[optimizer]") {
  const std::unique_ptr<Optimizer> optimizer =
      stages::MakeOptimizer({{"optimizer", "sgd"}, {"lr", 0.1}, {"momentum", 0.9}});
  OwnedParameter w = MakeParameter("w", {1.0f});
  w.grad = {0.5f};
  optimizer->Step({w.View()});
  // A copy of the parameter in new buffers (as after rebuilding a network) keeps its momentum.
  OwnedParameter copy = w;
  copy.grad = {0.25f};
  optimizer->Step({copy.View()});
  CHECK(copy.value[0] == Approx(0.88));
  // Two parameters cannot share a name (and so a state); the failed step changes no count.
  OwnedParameter twin = copy;
  CHECK_THROWS_AS(optimizer->Step({copy.View(), twin.View()}), pipeline::StageError);
  CHECK(optimizer->StepCount("w") == 2);
}

TEST_CASE("updates do not depend on the thread count", "[optimizer][determinism]") {
  const Quadratic q = Quadratic::Make(100000);
  std::vector<std::vector<float>> results;
  std::vector<double> penalties;
  for (const int threads : {1, 2, 3}) {
    tbb::task_arena arena(threads);
    arena.execute([&] {
      const std::unique_ptr<Optimizer> optimizer =
          stages::MakeOptimizer({{"optimizer", "adam"}, {"lr", 0.01}, {"l2", 0.01}, {"l1", 0.01}});
      OwnedParameter w = MakeParameter("w", std::vector<float>(100000, 0.5f));
      OwnedParameter small = MakeParameter("small", std::vector<float>(10, 0.5f));
      double penalty = 0;
      for (int s = 0; s < 4; ++s) {
        q.Gradient(w.value, w.grad);
        penalty = optimizer->Step({w.View(), small.View()});
      }
      results.push_back(w.value);
      penalties.push_back(penalty);
    });
  }
  CHECK(results[0] == results[1]);
  CHECK(penalties[0] == penalties[1]);
}
