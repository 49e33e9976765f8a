#include "stages/train/early_stopping.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "pipeline/errors.h"

using pipeline::Json;
using stages::EarlyStopping;

namespace {

// Feeds epochs 1, 2, ... until the policy stops or the sequence ends; returns the epochs that
// were new bests.
std::vector<int64_t> Feed(EarlyStopping& policy, const std::vector<double>& losses,
                          const std::vector<double>& accuracies) {
  std::vector<int64_t> best_epochs;
  for (size_t i = 0; i < losses.size(); ++i) {
    const auto epoch = static_cast<int64_t>(i + 1);
    const stages::EpochDecision decision = policy.Observe(epoch, losses[i], accuracies[i]);
    if (decision.is_new_best) best_epochs.push_back(epoch);
    if (decision.stop) break;
  }
  return best_epochs;
}

// Validation losses falling until epoch `best` (value 0.5 there), then wobbling above it.
std::vector<double> LossesWithBestAt(int64_t best, size_t epochs) {
  std::vector<double> losses;
  for (size_t e = 1; e <= epochs; ++e) {
    const auto epoch = static_cast<int64_t>(e);
    losses.push_back(epoch <= best ? 0.5 + 0.1 * static_cast<double>(best - epoch)
                                   : 0.55 + 0.04 * ((e % 3) == 0 ? 1 : 0));
  }
  return losses;
}

}  // namespace

TEST_CASE("patience on val_loss stops patience epochs after the best", "[early_stopping]") {
  const std::vector<double> accuracies(100, 0.5);
  for (const int64_t patience : {10, 15}) {
    INFO("patience " << patience);
    const auto policy = stages::MakeEarlyStopping(
        {{"policy", "patience"}, {"monitor", "val_loss"}, {"patience", patience}});
    const std::vector<int64_t> bests = Feed(*policy, LossesWithBestAt(7, 100), accuracies);
    CHECK(policy->chosen_epoch() == 7);
    CHECK(policy->stopped_epoch() == 7 + patience);
    CHECK(bests == std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7});
  }
}

TEST_CASE("patience restarts at every improvement; ties are not improvements",
          "[early_stopping]") {
  // Best 0.5 at epoch 3; epoch 8 ties it; epoch 12 improves to 0.4; epoch 20 ties that.
  std::vector<double> losses(60, 0.6);
  losses[0] = 0.9;
  losses[1] = 0.7;
  losses[2] = 0.5;
  losses[7] = 0.5;
  losses[11] = 0.4;
  losses[19] = 0.4;
  const auto policy = stages::MakeEarlyStopping({{"policy", "patience"}, {"patience", 10}});
  Feed(*policy, losses, std::vector<double>(60, 0.5));
  CHECK(policy->chosen_epoch() == 12);
  CHECK(policy->stopped_epoch() == 22);

  SECTION("min_delta demands a margin") {
    const auto strict = stages::MakeEarlyStopping(
        {{"policy", "patience"}, {"patience", 10}, {"min_delta", 0.15}});
    Feed(*strict, losses, std::vector<double>(60, 0.5));
    // 0.9 -> 0.7 (by 0.2) and 0.7 -> 0.5 (by 0.2) improve; 0.5 -> 0.4 does not.
    CHECK(strict->chosen_epoch() == 3);
    CHECK(strict->stopped_epoch() == 13);
  }
}

TEST_CASE("patience on val_accuracy looks for higher values", "[early_stopping]") {
  const std::vector<double> accuracies = {0.5, 0.6, 0.7, 0.65, 0.69, 0.7, 0.68, 0.6};
  const auto policy = stages::MakeEarlyStopping(
      {{"policy", "patience"}, {"monitor", "val_accuracy"}, {"patience", 4}});
  Feed(*policy, std::vector<double>(8, 1.0), accuracies);
  CHECK(policy->chosen_epoch() == 3);
  CHECK(policy->stopped_epoch() == 7);
}

TEST_CASE("the counter rule's arithmetic, epoch by epoch", "[early_stopping]") {
  stages::CounterStopping policy({});
  struct Epoch {
    double loss, accuracy;
    int64_t counter;  // expected after the epoch
    bool best;
  };
  const std::vector<Epoch> epochs = {
      {1.00, 0.50, 10, true},   // 10 - 1 + 5 = 14, capped at 10 (first epoch: no loss bonus)
      {0.90, 0.60, 10, true},   // 9 + 5 + 2, capped
      {0.95, 0.55, 9, false},   // loss rose: 10 - 1
      {0.97, 0.55, 8, false},
      {0.96, 0.58, 9, false},   // loss fell: 8 - 1 + 2
      {1.00, 0.50, 8, false},
      {1.01, 0.50, 7, false},
      {1.02, 0.50, 6, false},
      {1.03, 0.50, 5, false},
      {1.04, 0.50, 4, false},
      {1.05, 0.59, 3, false},   // 0.59 < 0.60 is no new best
      {1.06, 0.50, 2, false},
      {1.07, 0.50, 1, false},
      {1.08, 0.50, 0, false},   // stop
  };
  for (size_t i = 0; i < epochs.size(); ++i) {
    INFO("epoch " << i + 1);
    const stages::EpochDecision decision =
        policy.Observe(static_cast<int64_t>(i + 1), epochs[i].loss, epochs[i].accuracy);
    CHECK(policy.counter() == epochs[i].counter);
    CHECK(decision.is_new_best == epochs[i].best);
    CHECK(decision.stop == (i + 1 == epochs.size()));
  }
  CHECK(policy.stopped_epoch() == 14);
  CHECK(policy.chosen_epoch() == 2);
  // Once stopped, nothing changes.
  CHECK(policy.Observe(15, 0.1, 0.99).stop);
  CHECK(policy.chosen_epoch() == 2);
}

TEST_CASE("the counter decrements before the bonuses, so a bonus saves the last epoch",
          "[early_stopping]") {
  stages::CounterStopping policy({});
  // Best at epoch 1 (counter 10), then rising losses take it to 1 after epoch 10.
  std::vector<double> losses = {1.0};
  for (int e = 2; e <= 10; ++e) losses.push_back(1.0 + 0.01 * e);
  for (size_t i = 0; i < losses.size(); ++i) policy.Observe(int64_t(i + 1), losses[i], 0.5);
  REQUIRE(policy.counter() == 1);
  // Epoch 11: 1 - 1 = 0, but the loss fell, so + 2 = 2 and the run goes on.
  CHECK_FALSE(policy.Observe(11, 0.5, 0.5).stop);
  CHECK(policy.counter() == 2);
  CHECK_FALSE(policy.Observe(12, 0.6, 0.5).stop);
  CHECK(policy.Observe(13, 0.7, 0.5).stop);
  CHECK(policy.stopped_epoch() == 13);
  CHECK(policy.chosen_epoch() == 1);
}

TEST_CASE("a falling loss keeps the counter rule alive without new best accuracies",
          "[early_stopping]") {
  // Accuracy peaks at epoch 1; the loss falls every epoch until 49, then stays flat.
  std::vector<double> losses;
  for (int e = 1; e <= 100; ++e) losses.push_back(1.0 / std::min(e, 49));
  const auto policy = stages::MakeEarlyStopping({{"policy", "counter"}});
  std::vector<double> accuracies(100, 0.4);
  accuracies[0] = 0.5;
  Feed(*policy, losses, accuracies);
  // -1 + 2 each epoch holds the counter at the cap until 49; 10 decrements later, at 59, it is
  // 0.
  CHECK(policy->chosen_epoch() == 1);
  CHECK(policy->stopped_epoch() == 59);

  SECTION("new best accuracies every fifth epoch keep it alive as well") {
    const auto every_fifth = stages::MakeEarlyStopping({{"policy", "counter"}});
    std::vector<double> rising(100, 0.0);
    for (size_t e = 0; e < 100; ++e) rising[e] = 0.01 * double(e / 5);
    Feed(*every_fifth, std::vector<double>(100, 1.0), rising);
    CHECK_FALSE(every_fifth->stopped());
    CHECK(every_fifth->chosen_epoch() == 96);
  }
}

TEST_CASE("no early stopping never stops and keeps the best accuracy", "[early_stopping]") {
  const auto policy = stages::MakeEarlyStopping(Json::object());
  CHECK(policy->name() == "none");
  const std::vector<double> accuracies = {0.5, 0.8, 0.7, 0.8, 0.6};
  Feed(*policy, {1, 1, 1, 1, 1}, accuracies);
  CHECK_FALSE(policy->stopped());
  CHECK(policy->stopped_epoch() == -1);
  CHECK(policy->chosen_epoch() == 2);
}

TEST_CASE("NaN values never improve", "[early_stopping]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto policy = stages::MakeEarlyStopping({{"policy", "patience"}, {"patience", 2}});
  Feed(*policy, {1.0, nan, nan}, {0, 0, 0});
  CHECK(policy->chosen_epoch() == 1);
  CHECK(policy->stopped_epoch() == 3);
}

TEST_CASE("restored policy state continues identically", "[early_stopping][resume]") {
  std::vector<double> losses = LossesWithBestAt(5, 40);
  std::vector<double> accuracies(40, 0.3);
  accuracies[3] = 0.6;
  for (const Json& config : {Json{{"policy", "patience"}, {"patience", 10}},
                             Json{{"policy", "counter"}}, Json{{"policy", "none"}}}) {
    INFO(config.dump());
    const auto straight = stages::MakeEarlyStopping(config);
    Feed(*straight, losses, accuracies);
    const auto first = stages::MakeEarlyStopping(config);
    Feed(*first, {losses.begin(), losses.begin() + 8}, {accuracies.begin(), accuracies.begin() + 8});
    const Json state = Json::parse(first->State().dump());
    const auto second = stages::MakeEarlyStopping(config);
    second->Restore(state);
    for (size_t i = 8; i < losses.size(); ++i) {
      if (second->Observe(int64_t(i + 1), losses[i], accuracies[i]).stop) break;
    }
    CHECK(second->stopped_epoch() == straight->stopped_epoch());
    CHECK(second->chosen_epoch() == straight->chosen_epoch());
    CHECK(second->State() == straight->State());
  }
  const auto counter = stages::MakeEarlyStopping({{"policy", "counter"}});
  CHECK_THROWS_AS(counter->Restore(stages::MakeEarlyStopping(Json::object())->State()),
                  pipeline::StageError);
}

TEST_CASE("early stopping settings are checked", "[early_stopping]") {
  CHECK_THROWS_WITH(stages::MakeEarlyStopping({{"policy", "patient"}}),
                    Catch::Contains("did you mean 'patience'"));
  CHECK_THROWS_WITH(stages::MakeEarlyStopping({{"policy", "counter"}, {"patience", 10}}),
                    Catch::Contains("does not apply to policy counter"));
  CHECK_THROWS_WITH(stages::MakeEarlyStopping({{"policy", "patience"}, {"monitor", "loss"}}),
                    Catch::Contains("one of val_loss val_accuracy"));
  CHECK_THROWS_WITH(stages::MakeEarlyStopping({{"policy", "patience"}, {"patience", 0}}),
                    Catch::Contains("expected int >= 1"));
  CHECK_THROWS_WITH(stages::MakeEarlyStopping({{"policy", "counter"}, {"start", 12}}),
                    Catch::Contains("cap must be >= start"));
  CHECK_THROWS_WITH(stages::MakeEarlyStopping({{"policy", "counter"}, {"tart", 12}}),
                    Catch::Contains("did you mean 'start'"));
}
