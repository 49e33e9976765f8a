// The TPE sampler of sampler.h (MakeTpeSampler).
//
// Implementation notes: each parameter is sampled on its own (Optuna 3.1's independent
// sampling, the default): the done and pruned trials are ranked (trial_ranking.h), the best
// gamma(n) form "below", the rest "above", and two Parzen estimators (parzen_estimator.h) are
// fitted to the parameter's values in each set with DefaultTpeWeights in trial order. Of
// `ei_candidates` draws from l = below, the one maximising log l(x) - log g(x) wins (the
// expected-improvement criterion of Bergstra et al. 2011, section 4.1). Draws for ints are
// rounded before they are scored, so the score is that of the value actually proposed.
// Before `startup_trials` done or pruned trials exist the proposal is the random sampler's,
// drawn from the same Rng.

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "pipeline/search/parzen_estimator.h"
#include "pipeline/search/sampler.h"
#include "pipeline/search/trial_ranking.h"

namespace pipeline {
namespace {

// A numeric parameter's internal space: log for log distributions; ints widened by half a
// step so that the end values get whole bins.
struct InternalBounds {
  double low, high;
};

InternalBounds Bounds(const Distribution& d) {
  double low = d.low, high = d.high;
  if (d.integer()) {
    low -= 0.5;
    high += 0.5;
  }
  if (d.log()) return {std::log(low), std::log(high)};
  return {low, high};
}

double ToInternal(const Distribution& d, double x) { return d.log() ? std::log(x) : x; }

Json ToExternal(const Distribution& d, double internal) {
  const double x = d.log() ? std::exp(internal) : internal;
  if (!d.integer()) return std::clamp(x, d.low, d.high);
  return static_cast<int64_t>(std::clamp(std::round(x), d.low, d.high));
}

std::optional<size_t> ChoiceIndex(const Distribution& d, const Json& value) {
  for (size_t c = 0; c < d.choices.size(); ++c) {
    if (d.choices[c] == value) return c;
  }
  return std::nullopt;
}

class TpeSampler : public Sampler {
 public:
  TpeSampler(Direction direction, TpeOptions options)
      : direction_(direction), options_(options), random_(MakeRandomSampler()) {}

  std::vector<Json> Sample(const SearchSpace& space, const std::vector<TrialRecord>& history,
                           Rng& rng) const override {
    size_t n = 0;
    for (const TrialRecord& trial : history) {
      if (trial.state == trial_state::kDone || trial.state == trial_state::kPruned) ++n;
    }
    if (n < static_cast<size_t>(std::max(options_.startup_trials, 0))) {
      return random_->Sample(space, history, rng);
    }
    const TrialSplit split = SplitTrials(history, direction_, DefaultTpeGamma(n));
    std::vector<Json> values;
    values.reserve(space.size());
    for (size_t i = 0; i < space.size(); ++i) {
      const Distribution& d = space[i].distribution;
      values.push_back(d.kind == DistributionKind::kChoice
                           ? SampleChoice(d, i, history, split, rng)
                           : SampleNumeric(d, i, history, split, rng));
    }
    return values;
  }

 private:
  // The parameter's value in each listed trial that has a usable one, in list order.
  static std::vector<double> NumericObservations(const Distribution& d, size_t param,
                                                 const std::vector<TrialRecord>& history,
                                                 const std::vector<size_t>& trials) {
    std::vector<double> observations;
    for (size_t t : trials) {
      const std::vector<Json>& v = history[t].values;
      if (param < v.size() && v[param].is_number()) {
        observations.push_back(ToInternal(d, v[param].get<double>()));
      }
    }
    return observations;
  }

  static std::vector<size_t> ChoiceObservations(const Distribution& d, size_t param,
                                                const std::vector<TrialRecord>& history,
                                                const std::vector<size_t>& trials) {
    std::vector<size_t> observations;
    for (size_t t : trials) {
      const std::vector<Json>& v = history[t].values;
      if (param >= v.size()) continue;
      if (const std::optional<size_t> c = ChoiceIndex(d, v[param])) observations.push_back(*c);
    }
    return observations;
  }

  Json SampleNumeric(const Distribution& d, size_t param, const std::vector<TrialRecord>& history,
                     const TrialSplit& split, Rng& rng) const {
    const InternalBounds b = Bounds(d);
    const bool discrete = d.kind == DistributionKind::kInt;
    const std::vector<double> below = NumericObservations(d, param, history, split.below);
    const std::vector<double> above = NumericObservations(d, param, history, split.above);
    const NumericParzenEstimator l(below, DefaultTpeWeights(below.size()), b.low, b.high,
                                   options_.prior_weight, discrete);
    const NumericParzenEstimator g(above, DefaultTpeWeights(above.size()), b.low, b.high,
                                   options_.prior_weight, discrete);
    Json best;
    double best_score = -std::numeric_limits<double>::infinity();
    for (int c = 0; c < std::max(options_.ei_candidates, 1); ++c) {
      const Json candidate = ToExternal(d, l.Sample(rng));
      const double x = ToInternal(d, candidate.get<double>());
      const double score = l.LogPdf(x) - g.LogPdf(x);
      if (best.is_null() || score > best_score) {
        best = candidate;
        best_score = score;
      }
    }
    return best;
  }

  Json SampleChoice(const Distribution& d, size_t param, const std::vector<TrialRecord>& history,
                    const TrialSplit& split, Rng& rng) const {
    const size_t k = d.choices.size();
    const std::vector<size_t> below = ChoiceObservations(d, param, history, split.below);
    const std::vector<size_t> above = ChoiceObservations(d, param, history, split.above);
    const CategoricalParzenEstimator l(below, DefaultTpeWeights(below.size()), k,
                                       options_.prior_weight);
    const CategoricalParzenEstimator g(above, DefaultTpeWeights(above.size()), k,
                                       options_.prior_weight);
    size_t best = 0;
    double best_score = -std::numeric_limits<double>::infinity();
    for (int c = 0; c < std::max(options_.ei_candidates, 1); ++c) {
      const size_t candidate = l.Sample(rng);
      const double score = l.LogPdf(candidate) - g.LogPdf(candidate);
      if (c == 0 || score > best_score) {
        best = candidate;
        best_score = score;
      }
    }
    return d.choices[best];
  }

  Direction direction_;
  TpeOptions options_;
  std::unique_ptr<Sampler> random_;
};

}  // namespace

std::unique_ptr<Sampler> MakeTpeSampler(Direction direction, TpeOptions options) {
  return std::make_unique<TpeSampler>(direction, options);
}

}  // namespace pipeline
