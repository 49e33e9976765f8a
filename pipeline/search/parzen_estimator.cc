#include "pipeline/search/parzen_estimator.h"

// Implementation notes (Bergstra et al. 2011, "Algorithms for Hyper-Parameter Optimization",
// with Optuna 3.1's choices):
// - Bandwidth: each point's sigma is the larger distance to its neighbours in the sorted list
//   of points (the prior's mean among them, the interval's ends beyond the first and last);
//   the first and last points use only their inner neighbour (consider_endpoints = false).
// - Magic clip: sigmas are clipped to [(high - low) / min(100, 1 + m), high - low], m the
//   number of components including the prior, so that a dense cluster of observations cannot
//   collapse to spikes. The prior's sigma is set to high - low after the clip.
// - The density is a log-sum-exp over the components, so a point far from every mean still
//   gets a finite log density and the l/g ratio stays comparable.
// - Continuous components are scored as Optuna 3.1 scores them by default, without the
//   -log(sigma) of a normal density (see ComponentDensity in the header): wide components, the
//   prior above all, weigh more than in the normalised mixture. Int bins are masses between
//   CDFs, normalised in 3.1 as here, and agree with 3.1 to the last digit.

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "pipeline/search/truncated_normal.h"

namespace pipeline {
namespace {

std::vector<double> Normalised(std::vector<double> values) {
  const double total = std::accumulate(values.begin(), values.end(), 0.0);
  for (double& v : values) v /= total;
  return values;
}

// Index drawn with probability proportional to `probabilities` (which sum to 1).
size_t SampleIndex(Rng& rng, const std::vector<double>& probabilities) {
  const double u = rng.Uniform();
  double cumulative = 0;
  for (size_t i = 0; i + 1 < probabilities.size(); ++i) {
    cumulative += probabilities[i];
    if (u < cumulative) return i;
  }
  return probabilities.size() - 1;
}

}  // namespace

std::vector<double> DefaultTpeWeights(size_t n) {
  std::vector<double> weights(n, 1.0);
  if (n < 25) return weights;
  // numpy.linspace(1/n, 1, n - 25): the ends included, evenly spaced.
  const size_t ramp = n - 25;
  const double first = 1.0 / static_cast<double>(n);
  for (size_t i = 0; i < ramp; ++i) {
    weights[i] = ramp == 1 ? first
                           : first + (1.0 - first) * static_cast<double>(i) /
                                         static_cast<double>(ramp - 1);
  }
  return weights;
}

NumericParzenEstimator::NumericParzenEstimator(const std::vector<double>& observations,
                                               const std::vector<double>& weights, double low,
                                               double high, double prior_weight, bool discrete,
                                               ComponentDensity density)
    : low_(low), high_(high), discrete_(discrete), density_(density) {
  const size_t n = observations.size();
  const double width = high - low;
  mus_ = observations;
  mus_.push_back(0.5 * (low + high));
  std::vector<double> raw_weights = weights;
  raw_weights.push_back(prior_weight);
  weights_ = Normalised(std::move(raw_weights));
  for (double w : weights_) log_weights_.push_back(std::log(w));

  const size_t m = mus_.size();
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return mus_[a] < mus_[b]; });
  sigmas_.assign(m, 0.0);
  for (size_t r = 0; r < m; ++r) {
    const double mu = mus_[order[r]];
    const double left = r == 0 ? low : mus_[order[r - 1]];
    const double right = r + 1 == m ? high : mus_[order[r + 1]];
    double sigma = std::max(mu - left, right - mu);
    if (m >= 2 && r == 0) sigma = right - mu;
    if (m >= 2 && r + 1 == m) sigma = mu - left;
    sigmas_[order[r]] = sigma;
  }
  const double min_sigma = width / std::min(100.0, 1.0 + static_cast<double>(m));
  for (double& sigma : sigmas_) sigma = std::clamp(sigma, min_sigma, width);
  sigmas_[n] = width;
}

double NumericParzenEstimator::Sample(Rng& rng) const {
  const size_t k = SampleIndex(rng, weights_);
  return SampleTruncatedNormal(rng, mus_[k], sigmas_[k], low_, high_);
}

double NumericParzenEstimator::LogPdf(double x) const {
  std::vector<double> terms(mus_.size());
  for (size_t k = 0; k < mus_.size(); ++k) {
    double log_p;
    if (discrete_) {
      log_p = TruncatedNormalLogMass(x - 0.5, x + 0.5, mus_[k], sigmas_[k], low_, high_);
    } else {
      log_p = TruncatedNormalLogPdf(x, mus_[k], sigmas_[k], low_, high_);
      if (density_ == ComponentDensity::kOptuna31) log_p += std::log(sigmas_[k]);
    }
    terms[k] = log_weights_[k] + log_p;
  }
  const double top = *std::max_element(terms.begin(), terms.end());
  if (top == -std::numeric_limits<double>::infinity()) return top;
  double sum = 0;
  for (double t : terms) sum += std::exp(t - top);
  return top + std::log(sum);
}

CategoricalParzenEstimator::CategoricalParzenEstimator(const std::vector<size_t>& observations,
                                                       const std::vector<double>& weights,
                                                       size_t k, double prior_weight) {
  const size_t n = observations.size();
  std::vector<double> raw_weights = weights;
  raw_weights.push_back(prior_weight);
  const std::vector<double> mixture = Normalised(std::move(raw_weights));
  // Each observation's row: base on every choice, base + 1 on its own, normalised.
  const double base = prior_weight / static_cast<double>(n + 1);
  const double row_total = base * static_cast<double>(k) + 1.0;
  probabilities_.assign(k, mixture[n] / static_cast<double>(k));
  for (size_t i = 0; i < n; ++i) {
    for (size_t c = 0; c < k; ++c) probabilities_[c] += mixture[i] * base / row_total;
    probabilities_[observations[i]] += mixture[i] / row_total;
  }
}

size_t CategoricalParzenEstimator::Sample(Rng& rng) const {
  return SampleIndex(rng, probabilities_);
}

double CategoricalParzenEstimator::LogPdf(size_t choice) const {
  return std::log(probabilities_[choice]);
}

}  // namespace pipeline
