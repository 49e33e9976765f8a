#include "pipeline/search/pruner.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

namespace pipeline {
namespace {

// Decisions taken, by (trial, step): the common memory of both rules.
class DecisionLog {
 public:
  const PruneDecision* Find(int64_t trial, int64_t step) const {
    auto it = decisions_.find({trial, step});
    return it == decisions_.end() ? nullptr : &it->second;
  }
  void Add(int64_t trial, const PruneDecision& d) { decisions_[{trial, d.step}] = d; }
  const std::map<std::pair<int64_t, int64_t>, PruneDecision>& all() const { return decisions_; }

 private:
  std::map<std::pair<int64_t, int64_t>, PruneDecision> decisions_;
};

class AshaPruner : public Pruner {
 public:
  AshaPruner(const PrunerConfig& config, Direction direction)
      : config_(config), maximize_(direction == Direction::kMaximize) {}

  std::optional<PruneDecision> Report(int64_t trial, int64_t step, double value) override {
    if (const PruneDecision* earlier = log_.Find(trial, step)) return *earlier;
    const std::optional<int64_t> rung = RungOf(step);
    if (!rung) return std::nullopt;
    PruneDecision d;
    d.rung = *rung;
    d.step = step;
    d.value = value;
    // The values at this rung so far, this trial's included; best first.
    std::vector<double> competing{value};
    for (const auto& [key, other] : log_.all()) {
      if (other.rung == *rung && key.first != trial) competing.push_back(other.value);
    }
    std::sort(competing.begin(), competing.end(),
              [&](double a, double b) { return maximize_ ? a > b : a < b; });
    const size_t promoted = std::max<size_t>(1, competing.size() / config_.reduction_factor);
    const double threshold = competing[promoted - 1];
    const bool keep = std::isfinite(value) && (maximize_ ? value >= threshold : value <= threshold);
    d.prune = !keep;
    if (d.prune) {
      d.reason = "pruned at epoch " + std::to_string(step) + " (ASHA rung " +
                 std::to_string(*rung) + "): " + config_.metric + " " + FormatMetric(value) +
                 " is not in the best " + std::to_string(promoted) + " of the " +
                 std::to_string(competing.size()) + " trials at this rung (needs " +
                 FormatMetric(threshold) + ")";
    }
    log_.Add(trial, d);
    return d;
  }

  void Restore(int64_t trial, const PruneDecision& decision) override { log_.Add(trial, decision); }
  void Finished(int64_t) override {}

 private:
  std::optional<int64_t> RungOf(int64_t step) const {
    int64_t at = config_.min_epochs;
    for (int64_t k = 0; at <= step; ++k) {
      if (at == step) return k;
      if (at > (int64_t{1} << 40) / config_.reduction_factor) break;
      at *= config_.reduction_factor;
    }
    return std::nullopt;
  }

  PrunerConfig config_;
  bool maximize_;
  DecisionLog log_;
};

class MedianPruner : public Pruner {
 public:
  MedianPruner(const PrunerConfig& config, Direction direction)
      : config_(config), maximize_(direction == Direction::kMaximize) {}

  std::optional<PruneDecision> Report(int64_t trial, int64_t step, double value) override {
    if (const PruneDecision* earlier = log_.Find(trial, step)) return *earlier;
    if (step < config_.min_epochs) return std::nullopt;
    PruneDecision d;
    d.rung = step;
    d.step = step;
    d.value = value;
    // The trial's best value up to this step (its earlier decision points, and this one).
    double best = value;
    for (const auto& [key, other] : log_.all()) {
      if (key.first == trial && key.second < step) best = Better(best, other.value);
    }
    std::vector<double> finished;
    for (const auto& [key, other] : log_.all()) {
      if (key.second == step && key.first != trial && finished_.count(key.first)) {
        finished.push_back(other.value);
      }
    }
    if (static_cast<int64_t>(finished_.size()) >= config_.startup_trials && !finished.empty()) {
      std::sort(finished.begin(), finished.end());
      const size_t n = finished.size();
      const double median = n % 2 ? finished[n / 2] : 0.5 * (finished[n / 2 - 1] + finished[n / 2]);
      d.prune = !std::isfinite(best) || (maximize_ ? best < median : best > median);
      if (d.prune) {
        d.reason = "pruned at epoch " + std::to_string(step) + " (median rule): best " +
                   config_.metric + " so far " + FormatMetric(best) + " is worse than the median " +
                   FormatMetric(median) + " of " + std::to_string(n) + " finished trials at this epoch";
      }
    }
    log_.Add(trial, d);
    return d;
  }

  void Restore(int64_t trial, const PruneDecision& decision) override { log_.Add(trial, decision); }
  void Finished(int64_t trial) override { finished_.insert(trial); }

 private:
  double Better(double a, double b) const { return maximize_ ? std::max(a, b) : std::min(a, b); }

  PrunerConfig config_;
  bool maximize_;
  DecisionLog log_;
  std::set<int64_t> finished_;
};

}  // namespace

std::unique_ptr<Pruner> MakePruner(const PrunerConfig& config, Direction direction) {
  if (config.type == "asha") return std::make_unique<AshaPruner>(config, direction);
  if (config.type == "median") return std::make_unique<MedianPruner>(config, direction);
  return nullptr;
}

}  // namespace pipeline
