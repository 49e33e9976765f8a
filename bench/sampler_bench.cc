// Sampler benchmark: one search of our random or TPE sampler on a standard test function,
// printed as one JSON line (the format of bench/peers/optuna_sampler.py, which bench/run_search.sh
// pairs it with).
//
//   sampler_bench FUNCTION SAMPLER SEED [TRIALS=100]
//     FUNCTION: sphere5 | branin | hartmann6     SAMPLER: tpe | random
//
// Prints the best value after 20, 50 and 100 trials (or after TRIALS when fewer) and the seconds
// per trial spent in Sampler::Sample alone (the objective is not timed). Every function is
// minimised. Trial t draws from Rng(SEED).Fork(t), as a study's trials do.

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/search/sampler.h"

namespace {

using pipeline::Json;

struct TestFunction {
  std::vector<std::pair<double, double>> bounds;
  std::function<double(const std::vector<double>&)> f;
};

// Shifted sphere: optimum 0 at x_i = 1.5.
double Sphere(const std::vector<double>& x) {
  double sum = 0;
  for (double xi : x) sum += (xi - 1.5) * (xi - 1.5);
  return sum;
}

// Branin-Hoo: minimum 0.397887 at (-pi, 12.275), (pi, 2.275), (9.42478, 2.475).
double Branin(const std::vector<double>& x) {
  const double pi = 3.14159265358979323846;
  const double b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);
  const double u = x[1] - b * x[0] * x[0] + c * x[0] - 6;
  return u * u + 10 * (1 - t) * std::cos(x[0]) + 10;
}

// Hartmann 6-D: minimum -3.32237 at (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573).
double Hartmann6(const std::vector<double>& x) {
  static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
  static const double a[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                 {0.05, 10, 17, 0.1, 8, 14},
                                 {3, 3.5, 1.7, 10, 17, 8},
                                 {17, 8, 0.05, 10, 0.1, 14}};
  static const double p[4][6] = {{1312, 1696, 5569, 124, 8283, 5886},
                                 {2329, 4135, 8307, 3736, 1004, 9991},
                                 {2348, 1451, 3522, 2883, 3047, 6650},
                                 {4047, 8828, 8732, 5743, 1091, 381}};
  double sum = 0;
  for (int i = 0; i < 4; ++i) {
    double inner = 0;
    for (int j = 0; j < 6; ++j) {
      const double d = x[static_cast<size_t>(j)] - 1e-4 * p[i][j];
      inner += a[i][j] * d * d;
    }
    sum += alpha[i] * std::exp(-inner);
  }
  return -sum;
}

bool Lookup(const std::string& name, TestFunction& out) {
  if (name == "sphere5") {
    out = {std::vector<std::pair<double, double>>(5, {-5.0, 5.0}), Sphere};
  } else if (name == "branin") {
    out = {{{-5.0, 10.0}, {0.0, 15.0}}, Branin};
  } else if (name == "hartmann6") {
    out = {std::vector<std::pair<double, double>>(6, {0.0, 1.0}), Hartmann6};
  } else {
    return false;
  }
  return true;
}

// The published optima, so a typo in a constant shows up before any number is compared.
bool FunctionsMatchTheirOptima() {
  return std::abs(Sphere({1.5, 1.5, 1.5, 1.5, 1.5})) < 1e-12 &&
         std::abs(Branin({3.14159265358979, 2.275}) - 0.397887) < 1e-6 &&
         std::abs(Hartmann6({0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573}) +
                  3.32237) < 1e-5;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s sphere5|branin|hartmann6 tpe|random SEED [TRIALS=100]\n",
                 argv[0]);
    return 2;
  }
  const std::string function_name = argv[1], sampler_name = argv[2];
  const uint64_t seed = std::strtoull(argv[3], nullptr, 10);
  const int trials = argc > 4 ? std::atoi(argv[4]) : 100;
  TestFunction function;
  if (!Lookup(function_name, function) || (sampler_name != "tpe" && sampler_name != "random")) {
    std::fprintf(stderr, "unknown function or sampler\n");
    return 2;
  }
  if (!FunctionsMatchTheirOptima()) {
    std::fprintf(stderr, "a test function does not reach its published optimum\n");
    return 1;
  }

  pipeline::SearchSpace space;
  for (size_t i = 0; i < function.bounds.size(); ++i) {
    pipeline::SearchParam param;
    param.path = "x" + std::to_string(i);
    param.distribution.kind = pipeline::DistributionKind::kUniform;
    param.distribution.low = function.bounds[i].first;
    param.distribution.high = function.bounds[i].second;
    space.push_back(param);
  }
  const auto sampler = sampler_name == "tpe"
                           ? pipeline::MakeTpeSampler(pipeline::Direction::kMinimize)
                           : pipeline::MakeRandomSampler();

  const pipeline::Rng root(seed);
  std::vector<pipeline::TrialRecord> history;
  double sample_seconds = 0, best = INFINITY;
  Json out = {{"function", function_name}, {"sampler", sampler_name}, {"seed", seed},
              {"tool", "ours"}, {"trials", trials}};
  for (int t = 1; t <= trials; ++t) {
    pipeline::Rng rng = root.Fork(static_cast<uint64_t>(t));
    const auto start = std::chrono::steady_clock::now();
    std::vector<Json> values = sampler->Sample(space, history, rng);
    sample_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<double> x;
    for (const Json& v : values) x.push_back(v.get<double>());
    pipeline::TrialRecord record;
    record.number = t;
    record.values = std::move(values);
    record.state = pipeline::trial_state::kDone;
    record.value = function.f(x);
    best = std::min(best, record.value);
    history.push_back(std::move(record));
    if (t == 20 || t == 50 || t == 100) out["best_" + std::to_string(t)] = best;
  }
  out["sampler_seconds_per_trial"] = sample_seconds / trials;
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
