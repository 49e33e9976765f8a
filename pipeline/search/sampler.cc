#include "pipeline/search/sampler.h"

// Implementation notes: the random sampler. Log ints are drawn the way Optuna's RandomSampler
// draws them: log-uniform on [low - 0.5, high + 0.5], rounded and clipped, so each whole number
// gets the mass of its bin in log space (small values more often, as a log scale intends).
// MakeTpeSampler lives in tpe_sampler.cc.

#include <algorithm>
#include <cmath>

namespace pipeline {
namespace {

Json SampleRandomValue(const Distribution& distribution, Rng& rng) {
  const double low = distribution.low;
  const double high = distribution.high;
  switch (distribution.kind) {
    case DistributionKind::kUniform:
      return rng.Uniform(low, high);
    case DistributionKind::kLogUniform:
      return std::exp(rng.Uniform(std::log(low), std::log(high)));
    case DistributionKind::kInt: {
      const auto count = static_cast<uint64_t>(high - low) + 1;
      return static_cast<int64_t>(low) + static_cast<int64_t>(rng.UniformInt(count));
    }
    case DistributionKind::kLogInt: {
      const double x = std::exp(rng.Uniform(std::log(low - 0.5), std::log(high + 0.5)));
      return static_cast<int64_t>(std::clamp(std::round(x), low, high));
    }
    case DistributionKind::kChoice:
      return distribution.choices[static_cast<size_t>(
          rng.UniformInt(static_cast<uint64_t>(distribution.choices.size())))];
  }
  return nullptr;
}

class RandomSampler : public Sampler {
 public:
  std::vector<Json> Sample(const SearchSpace& space, const std::vector<TrialRecord>& history,
                           Rng& rng) const override {
    std::vector<Json> values;
    values.reserve(space.size());
    for (const SearchParam& param : space) {
      values.push_back(SampleRandomValue(param.distribution, rng));
    }
    return values;
  }
};

}  // namespace

std::unique_ptr<Sampler> MakeRandomSampler() { return std::make_unique<RandomSampler>(); }

}  // namespace pipeline
