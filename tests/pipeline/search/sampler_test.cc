#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>

#include "pipeline/search/sampler.h"
#include "pipeline/search/trial_ranking.h"

using pipeline::Direction;
using pipeline::DistributionKind;
using pipeline::Json;
using pipeline::Rng;
using pipeline::SearchSpace;
using pipeline::TrialRecord;

namespace {

pipeline::SearchParam Param(std::string path, DistributionKind kind, double low, double high,
                            std::vector<Json> choices = {}) {
  pipeline::SearchParam param;
  param.path = std::move(path);
  param.distribution.kind = kind;
  param.distribution.low = low;
  param.distribution.high = high;
  param.distribution.choices = std::move(choices);
  return param;
}

TrialRecord Done(int64_t number, std::vector<Json> values, double value) {
  TrialRecord trial;
  trial.number = number;
  trial.values = std::move(values);
  trial.state = pipeline::trial_state::kDone;
  trial.value = value;
  return trial;
}

TrialRecord Pruned(int64_t number, std::vector<Json> values, int64_t step, double intermediate) {
  TrialRecord trial = Done(number, std::move(values), 0);
  trial.state = pipeline::trial_state::kPruned;
  trial.step = step;
  trial.intermediate = intermediate;
  return trial;
}

using Objective = std::function<double(const std::vector<Json>&)>;

// A sequential search: each trial's Rng is forked from the seed by trial number, as a study does.
std::vector<TrialRecord> RunSearch(const pipeline::Sampler& sampler, const SearchSpace& space,
                                   const Objective& objective, int trials, uint64_t seed) {
  std::vector<TrialRecord> history;
  const Rng root(seed);
  for (int t = 1; t <= trials; ++t) {
    Rng rng = root.Fork(static_cast<uint64_t>(t));
    std::vector<Json> values = sampler.Sample(space, history, rng);
    const double value = objective(values);
    history.push_back(Done(t, std::move(values), value));
  }
  return history;
}

double BestValue(const std::vector<TrialRecord>& history) {
  double best = INFINITY;
  for (const TrialRecord& trial : history) best = std::min(best, trial.value);
  return best;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

double Quadratic(const std::vector<Json>& v) {
  const double x = v[0].get<double>();
  return (x - 0.3) * (x - 0.3);
}

const SearchSpace kUnitInterval = {Param("x", DistributionKind::kUniform, 0, 1)};

}  // namespace

TEST_CASE("random values stay in bounds, ints are whole, choices come from the list",
          "[sampler]") {
  const SearchSpace space = {
      Param("u", DistributionKind::kUniform, -2, 3),
      Param("lu", DistributionKind::kLogUniform, 1e-4, 1e-1),
      Param("i", DistributionKind::kInt, -3, 4),
      Param("li", DistributionKind::kLogInt, 1, 1000),
      Param("c", DistributionKind::kChoice, 0, 0, {"relu", "tanh", 3})};
  const auto sampler = pipeline::MakeRandomSampler();
  Rng rng(7);
  std::set<int64_t> ints_seen;
  for (int i = 0; i < 2000; ++i) {
    const std::vector<Json> v = sampler->Sample(space, {}, rng);
    REQUIRE(v.size() == 5);
    CHECK(v[0].is_number_float());
    CHECK((v[0] >= -2.0 && v[0] <= 3.0));
    CHECK((v[1] >= 1e-4 && v[1] <= 1e-1));
    REQUIRE(v[2].is_number_integer());
    CHECK((v[2] >= -3 && v[2] <= 4));
    ints_seen.insert(v[2].get<int64_t>());
    REQUIRE(v[3].is_number_integer());
    CHECK((v[3] >= 1 && v[3] <= 1000));
    CHECK((v[4] == "relu" || v[4] == "tanh" || v[4] == 3));
  }
  CHECK(ints_seen.size() == 8);  // both ends reachable
}

TEST_CASE("random log-uniform values are uniform in log space and choices are equally likely",
          "[sampler]") {
  const SearchSpace space = {Param("lr", DistributionKind::kLogUniform, 1e-4, 1e-1),
                             Param("c", DistributionKind::kChoice, 0, 0, {"a", "b", "c", "d"})};
  const auto sampler = pipeline::MakeRandomSampler();
  Rng rng(11);
  const int n = 2000;
  double log_sum = 0;
  int below_middle = 0;
  std::map<std::string, int> counts;
  for (int i = 0; i < n; ++i) {
    const std::vector<Json> v = sampler->Sample(space, {}, rng);
    const double log10_lr = std::log10(v[0].get<double>());
    log_sum += log10_lr;
    below_middle += log10_lr < -2.5;
    ++counts[v[1].get<std::string>()];
  }
  // Uniform on [-4, -1]: mean -2.5, standard error 0.866 / sqrt(2000) = 0.019. A linear draw
  // would put the mean near log10(0.05) = -1.3.
  CHECK(log_sum / n == Approx(-2.5).margin(0.06));
  CHECK(below_middle == Approx(n / 2).margin(90));
  REQUIRE(counts.size() == 4);
  for (const auto& entry : counts) CHECK(entry.second == Approx(n / 4).margin(75));  // ~4 sd
}

TEST_CASE("the same seed gives the same proposals", "[sampler][determinism]") {
  const SearchSpace space = {Param("x", DistributionKind::kUniform, 0, 1),
                             Param("n", DistributionKind::kLogInt, 1, 64),
                             Param("c", DistributionKind::kChoice, 0, 0, {"a", "b"})};
  const auto objective = [](const std::vector<Json>& v) {
    return Quadratic(v) + std::log(v[1].get<double>()) + (v[2] == "a" ? 0.0 : 1.0);
  };
  const auto tpe = pipeline::MakeTpeSampler(Direction::kMinimize);
  const auto first = RunSearch(*tpe, space, objective, 30, 5);
  const auto second = RunSearch(*tpe, space, objective, 30, 5);
  const auto other = RunSearch(*tpe, space, objective, 30, 6);
  for (size_t t = 0; t < first.size(); ++t) CHECK(first[t].values == second[t].values);
  CHECK(first.back().values != other.back().values);
}

TEST_CASE("TPE proposes exactly what random does during the startup trials", "[sampler]") {
  const auto tpe = pipeline::MakeTpeSampler(Direction::kMinimize, {5, 24, 1.0});
  const auto random = pipeline::MakeRandomSampler();
  const auto history = RunSearch(*random, kUnitInterval, Quadratic, 5, 3);
  for (size_t done = 0; done < 5; ++done) {
    const std::vector<TrialRecord> before(history.begin(), history.begin() + done);
    Rng a(100 + done), b(100 + done);
    CHECK(tpe->Sample(kUnitInterval, before, a) == random->Sample(kUnitInterval, before, b));
  }
  // With five finished trials the model takes over and uses the Rng differently.
  Rng a(200), b(200);
  CHECK(tpe->Sample(kUnitInterval, history, a) != random->Sample(kUnitInterval, history, b));
}

TEST_CASE("TPE finds the minimum of a quadratic much better than random", "[sampler]") {
  const auto tpe = pipeline::MakeTpeSampler(Direction::kMinimize);
  const auto random = pipeline::MakeRandomSampler();
  std::vector<double> tpe_best, random_best;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    tpe_best.push_back(BestValue(RunSearch(*tpe, kUnitInterval, Quadratic, 60, seed)));
    random_best.push_back(BestValue(RunSearch(*random, kUnitInterval, Quadratic, 60, seed)));
  }
  INFO("TPE median " << Median(tpe_best) << ", random median " << Median(random_best));
  // Over 20 disjoint sets of 10 seeds the ratio ranged 5.9 to 330 (median about 50).
  CHECK(Median(tpe_best) < Median(random_best) / 4);
}

TEST_CASE("TPE settles on the best choice of a categorical", "[sampler]") {
  const SearchSpace space = {Param("c", DistributionKind::kChoice, 0, 0, {"a", "b", "c", "d"})};
  const auto objective = [](const std::vector<Json>& v) {
    return v[0] == "c" ? 0.0 : 1.0;
  };
  const auto tpe = pipeline::MakeTpeSampler(Direction::kMinimize);
  int best_picked = 0, later = 0;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const auto history = RunSearch(*tpe, space, objective, 50, seed);
    for (size_t t = 20; t < history.size(); ++t, ++later) best_picked += history[t].values[0] == "c";
  }
  // Random would pick "c" a quarter of the time.
  INFO(best_picked << " of " << later);
  CHECK(best_picked > later / 2);
}

TEST_CASE("maximising flips the direction TPE moves in", "[sampler]") {
  const auto minimize = pipeline::MakeTpeSampler(Direction::kMinimize);
  const auto maximize = pipeline::MakeTpeSampler(Direction::kMaximize);
  const auto negated = [](const std::vector<Json>& v) { return -Quadratic(v); };
  // Maximising -f is minimising f: the same proposals, number for number.
  const auto a = RunSearch(*minimize, kUnitInterval, Quadratic, 40, 9);
  const auto b = RunSearch(*maximize, kUnitInterval, negated, 40, 9);
  for (size_t t = 0; t < a.size(); ++t) CHECK(a[t].values == b[t].values);
  // Maximising f itself pushes x to the far end, 1 (f = 0.49), away from 0.3.
  const auto c = RunSearch(*maximize, kUnitInterval, Quadratic, 40, 9);
  double mean_late_x = 0;
  for (size_t t = 20; t < 40; ++t) mean_late_x += c[t].values[0].get<double>() / 20;
  CHECK(mean_late_x > 0.7);  // random: 0.5
  CHECK(BestValue(a) < 1e-3);
}

TEST_CASE("pruned trials rank after every finished trial, deeper ones first", "[sampler]") {
  std::vector<TrialRecord> history = {
      Done(1, {0.5}, 3.0),       Pruned(2, {0.1}, 4, -50.0), Pruned(3, {0.2}, 9, 7.0),
      Done(4, {0.6}, 1.0),       Pruned(5, {0.3}, 9, -1.0),  Done(6, {0.7}, 2.0)};
  history.push_back(Done(7, {0.8}, -99.0));
  history.back().state = pipeline::trial_state::kFailed;
  history.push_back(Done(8, {0.9}, -99.0));
  history.back().state = pipeline::trial_state::kRunning;
  using Ranked = std::vector<size_t>;
  CHECK(pipeline::RankTrials(history, Direction::kMinimize) == Ranked{3, 5, 0, 4, 2, 1});
  CHECK(pipeline::RankTrials(history, Direction::kMaximize) == Ranked{0, 5, 3, 2, 4, 1});
  const pipeline::TrialSplit split = pipeline::SplitTrials(history, Direction::kMinimize, 4);
  CHECK(split.below == Ranked{0, 3, 4, 5});  // back in trial order
  CHECK(split.above == Ranked{1, 2});
  CHECK(pipeline::DefaultTpeGamma(1) == 1);
  CHECK(pipeline::DefaultTpeGamma(30) == 3);
  CHECK(pipeline::DefaultTpeGamma(31) == 4);
  CHECK(pipeline::DefaultTpeGamma(1000) == 25);
}

TEST_CASE("TPE does not follow pruned trials with better intermediate values", "[sampler]") {
  // 20 finished trials spread over [0, 1] (best near 0.3) and 10 pruned trials near 0.9 whose
  // intermediate values beat every objective. Were they ranked by value, l(x) would sit at 0.9.
  std::vector<TrialRecord> history;
  for (int i = 0; i < 20; ++i) {
    const double x = (i + 0.5) / 20;
    history.push_back(Done(i + 1, {x}, (x - 0.3) * (x - 0.3)));
  }
  for (int i = 0; i < 10; ++i) {
    history.push_back(Pruned(21 + i, {0.88 + 0.004 * i}, 3, -100.0));
  }
  const auto tpe = pipeline::MakeTpeSampler(Direction::kMinimize);
  int near_best = 0, near_pruned = 0;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    Rng rng(seed);
    const double x = tpe->Sample(kUnitInterval, history, rng)[0].get<double>();
    near_best += std::abs(x - 0.3) < 0.15;
    near_pruned += std::abs(x - 0.9) < 0.15;
  }
  INFO(near_best << " near 0.3, " << near_pruned << " near 0.9");
  CHECK(near_best > 150);
  CHECK(near_pruned < 10);
}

TEST_CASE("TPE proposes whole numbers in range for int and logint", "[sampler]") {
  const SearchSpace space = {Param("i", DistributionKind::kInt, 1, 5),
                             Param("li", DistributionKind::kLogInt, 2, 512)};
  const auto objective = [](const std::vector<Json>& v) {
    return std::abs(v[0].get<double>() - 4) + std::abs(std::log2(v[1].get<double>()) - 5);
  };
  const auto tpe = pipeline::MakeTpeSampler(Direction::kMinimize);
  int hits = 0;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    const auto history = RunSearch(*tpe, space, objective, 40, seed);
    for (const TrialRecord& trial : history) {
      REQUIRE(trial.values[0].is_number_integer());
      REQUIRE(trial.values[1].is_number_integer());
      CHECK((trial.values[0] >= 1 && trial.values[0] <= 5));
      CHECK((trial.values[1] >= 2 && trial.values[1] <= 512));
      hits += trial.number > 20 && trial.values[0] == 4;
    }
    CHECK(BestValue(history) < 1.0);
  }
  INFO(hits << " of 80 later trials at i = 4");
  CHECK(hits > 28);  // random would give 16 (standard deviation 3.6)
}
