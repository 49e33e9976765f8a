#include "stages/train/trainer.h"

#include <catch2/catch.hpp>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <optional>
#include <map>
#include <string>
#include <vector>

#include "pipeline/errors.h"
#include "stages/train/trainer_checkpoint.h"
#include "tests/stages/stage_harness.h"
#include "tests/support/temp_dir.h"

using pipeline::Json;
using stages::EpochResult;
using stages::TrainData;
using stages::Trainer;
using stages::TrainerOptions;

namespace {

// Every test trains with one OpenMP thread inside a one-thread task arena, so trajectories are
// comparable bit for bit (oneDNN's backward reductions depend on the thread count).
constexpr int kThreads = 1;

struct DataSet {
  pipeline::Tensor x;
  pipeline::Tensor y;
  TrainData view() const { return TrainData{&x, y.size() > 0 ? &y : nullptr}; }
};

// n images 1x8x8 of `classes` (<= 4) classes: class c lights quadrant c, plus Gaussian noise.
// With `wrong_fraction` > 0, that fraction of the labels is replaced by the next class.
DataSet Quadrants(int64_t n, int classes, uint64_t seed, double noise = 0.4,
                  double wrong_fraction = 0) {
  pipeline::Rng rng(seed);
  DataSet data{pipeline::Tensor(pipeline::DType::kFloat32, {n, 1, 8, 8}), {}};
  std::vector<int32_t> labels(static_cast<size_t>(n));
  float* x = data.x.f32();
  for (int64_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % classes);
    for (int r = 0; r < 8; ++r) {
      for (int col = 0; col < 8; ++col) {
        const bool lit = (r / 4) == (c / 2) && (col / 4) == (c % 2);
        x[i * 64 + r * 8 + col] = static_cast<float>((lit ? 1.0 : 0.0) + rng.Normal(0, noise));
      }
    }
    const bool wrong = rng.Uniform() < wrong_fraction;
    labels[static_cast<size_t>(i)] = wrong ? (c + 1) % classes : c;
  }
  data.y = pipeline::Tensor::FromVector(labels);
  return data;
}

// n vectors of 16 features: feature j is 1 + noise on a fixed random subset, else noise; a low
// rank structure an autoencoder with a small bottleneck can learn. No labels.
DataSet Vectors(int64_t n, uint64_t seed) {
  pipeline::Rng rng(seed);
  DataSet data{pipeline::Tensor(pipeline::DType::kFloat32, {n, 16}), {}};
  float* x = data.x.f32();
  for (int64_t i = 0; i < n; ++i) {
    const double a = rng.Normal(), b = rng.Normal();
    for (int j = 0; j < 16; ++j) {
      const double value = a * std::sin(0.4 * j) + b * std::cos(0.3 * j) + rng.Normal(0, 0.05);
      x[i * 16 + j] = static_cast<float>(value);
    }
  }
  return data;
}

Json Mlp(int64_t classes, int64_t hidden = 16) {
  return Json::array({{{"type", "flatten"}},
                      {{"type", "linear"}, {"out", hidden}},
                      {{"type", "relu"}},
                      {{"type", "linear"}, {"out", classes}}});
}

// With batch norm and dropout, whose running statistics and masks must also resume exactly.
Json SmallCnn(int64_t classes) {
  return Json::array({{{"type", "conv"}, {"out", 4}, {"kernel", 3}, {"pad", 1}},
                      {{"type", "batchnorm"}},
                      {{"type", "relu"}},
                      {{"type", "maxpool"}, {"kernel", 2}},
                      {{"type", "flatten"}},
                      {{"type", "dropout"}, {"p", 0.2}},
                      {{"type", "linear"}, {"out", classes}}});
}

TrainerOptions ClassifyOptions(const Json& layers, int64_t classes, int64_t epochs) {
  TrainerOptions options;
  options.layers = layers;
  options.input_shape = {1, 8, 8};
  options.classes = classes;
  options.epochs = epochs;
  options.batch_size = 16;
  options.eval_batch_size = 50;
  options.optimizer = {{"optimizer", "adam"}, {"lr", 0.01}};
  return options;
}

template <typename Fn>
auto InOneThread(const Fn& fn) {
  omp_set_num_threads(kThreads);
  return stage_testing::InArena(kThreads, fn);
}

std::vector<float> Values(const pipeline::Tensor& tensor) {
  return std::vector<float>(tensor.f32(), tensor.f32() + tensor.size());
}

// Bit-identical state dicts: same names, shapes and float values.
void CheckSameState(const std::map<std::string, pipeline::Tensor>& a,
                    const std::map<std::string, pipeline::Tensor>& b) {
  REQUIRE(a.size() == b.size());
  for (const auto& [name, tensor] : a) {
    INFO(name);
    REQUIRE(b.count(name) == 1);
    CHECK(tensor.shape() == b.at(name).shape());
    CHECK(Values(tensor) == Values(b.at(name)));
  }
}

bool SameState(const std::map<std::string, pipeline::Tensor>& a,
               const std::map<std::string, pipeline::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, tensor] : a) {
    if (b.count(name) == 0 || Values(tensor) != Values(b.at(name))) return false;
  }
  return true;
}

std::vector<double> TrainLosses(Trainer& trainer, const DataSet& train, int epochs) {
  std::vector<double> losses;
  for (int e = 0; e < epochs && !trainer.finished(); ++e) {
    losses.push_back(trainer.RunEpoch(train.view(), TrainData{}).train_loss);
  }
  return losses;
}

// The message of the exception of type E that fn() throws ("<nothing thrown>" otherwise); an
// exception of another type propagates and fails the test.
template <typename E, typename Fn>
std::string ThrownMessage(const Fn& fn) {
  try {
    fn();
  } catch (const E& error) {
    return error.what();
  }
  return "<nothing thrown>";
}

}  // namespace

TEST_CASE("trainer: a small MLP and a small CNN overfit a tiny training set", "[trainer][train]") {
  const DataSet train = Quadrants(64, 4, 11, /*noise=*/0.6);
  const bool cnn = GENERATE(false, true);
  const Json layers = cnn ? SmallCnn(4) : Mlp(4);
  INFO(layers.dump());
  InOneThread([&] {
    Trainer trainer(ClassifyOptions(layers, 4, 40), pipeline::Rng(3));
    const double initial_accuracy = trainer.Evaluate(train.view()).accuracy;
    CHECK(initial_accuracy < 0.75);
    int64_t perfect_epoch = 0;
    std::vector<double> losses;
    while (!trainer.finished()) {
      const EpochResult r = trainer.RunEpoch(train.view(), TrainData{});
      losses.push_back(r.train_loss);
      CHECK(r.examples == 64);
      CHECK(r.is_new_best);  // without validation the last epoch is kept
      if (trainer.Evaluate(train.view()).accuracy == 1.0) {
        perfect_epoch = r.epoch;
        break;
      }
    }
    INFO("train losses: " << Catch::Detail::stringify(losses));
    CHECK(perfect_epoch > 0);
    CHECK(perfect_epoch <= 30);
    CHECK(losses.back() < losses.front());
    CHECK(trainer.kept_epoch() == perfect_epoch);
    CHECK(!trainer.finished());  // stopped by the test, not the epoch limit
  });
}

TEST_CASE("trainer: the same seed gives bit-identical epochs, another seed does not",
          "[trainer][train][determinism]") {
  const DataSet train = Quadrants(80, 3, 5);
  const DataSet validation = Quadrants(30, 3, 6);
  const Json layers = SmallCnn(3);
  InOneThread([&] {
    auto run = [&](uint64_t seed) {
      Trainer trainer(ClassifyOptions(layers, 3, 3), pipeline::Rng(seed));
      std::vector<double> numbers;
      while (!trainer.finished()) {
        const EpochResult r = trainer.RunEpoch(train.view(), validation.view());
        numbers.insert(numbers.end(),
                       {r.train_loss, r.train_accuracy, r.validation.loss, r.validation.accuracy});
      }
      return std::make_pair(numbers, trainer.network().StateDict());
    };
    const auto a = run(7);
    const auto b = run(7);
    const auto c = run(8);
    REQUIRE(a.first.size() == 12);
    CHECK(a.first == b.first);
    CheckSameState(a.second, b.second);
    // Another seed: other initial weights, shuffling and dropout masks.
    CHECK(a.first[0] != c.first[0]);
    CHECK(a.first[8] != c.first[8]);
    CHECK(!SameState(a.second, c.second));
  });
}

TEST_CASE("trainer: SaveState / LoadState between epochs continues bit-identically",
          "[trainer][train][resume]") {
  const DataSet train = Quadrants(70, 4, 21, 0.8);  // 70: a partial last batch of 6
  const DataSet validation = Quadrants(40, 4, 22, 0.8);
  TrainerOptions options = ClassifyOptions(SmallCnn(4), 4, 3);
  options.lr_schedule = {{"schedule", "step"}, {"step_size", 1}, {"gamma", 0.5}};
  options.early_stopping = {{"policy", "patience"}, {"patience", 5}};
  const pipeline::Rng rng(99);
  InOneThread([&] {
    Trainer uninterrupted(options, rng);
    std::vector<EpochResult> results;
    while (!uninterrupted.finished()) {
      results.push_back(uninterrupted.RunEpoch(train.view(), validation.view()));
    }
    REQUIRE(results.size() == 3);

    stages::TrainerState saved;
    {
      Trainer first(options, rng);
      first.RunEpoch(train.view(), validation.view());
      first.RunEpoch(train.view(), validation.view());
      saved = first.SaveState();
    }
    CHECK(saved.epochs_done == 2);
    Trainer resumed(options, rng);
    resumed.LoadState(saved);
    CHECK(resumed.epochs_done() == 2);
    CHECK(!resumed.finished());
    const EpochResult third = resumed.RunEpoch(train.view(), validation.view());
    const EpochResult& expected = results[2];
    CHECK(third.epoch == 3);
    CHECK(third.lr == expected.lr);
    CHECK(third.lr == Approx(0.01 * 0.25));
    CHECK(third.train_loss == expected.train_loss);
    CHECK(third.train_accuracy == expected.train_accuracy);
    CHECK(third.validation.loss == expected.validation.loss);
    CHECK(third.validation.accuracy == expected.validation.accuracy);
    CHECK(third.is_new_best == expected.is_new_best);
    CHECK(resumed.finished());
    CHECK(resumed.kept_epoch() == uninterrupted.kept_epoch());
    CHECK(resumed.early_stopping().chosen_epoch() == uninterrupted.early_stopping().chosen_epoch());
    CheckSameState(resumed.network().StateDict(), uninterrupted.network().StateDict());
    CheckSameState(resumed.KeptState(), uninterrupted.KeptState());
    CHECK(resumed.optimizer().ExportState() == uninterrupted.optimizer().ExportState());

    // The comparison can fail: without the saved state, a trainer's next epoch differs.
    Trainer fresh(options, rng);
    const EpochResult fresh_first = fresh.RunEpoch(train.view(), validation.view());
    CHECK(fresh_first.train_loss != expected.train_loss);
    CHECK(!SameState(fresh.network().StateDict(), uninterrupted.network().StateDict()));
  });
}

TEST_CASE("trainer: patience stops training and keeps the chosen epoch's weights",
          "[trainer][train][early_stopping]") {
  // Clean training labels; a validation set with a third of its labels wrong, so the
  // validation loss falls at first and then rises as the network grows confident.
  const DataSet train = Quadrants(64, 4, 31, 0.5);
  const DataSet validation = Quadrants(60, 4, 32, 0.5, /*wrong_fraction=*/0.2);
  TrainerOptions options = ClassifyOptions(Mlp(4), 4, 60);
  options.optimizer = {{"optimizer", "adam"}, {"lr", 0.003}};
  options.early_stopping = {{"policy", "patience"}, {"monitor", "val_loss"}, {"patience", 3}};
  InOneThread([&] {
    Trainer trainer(options, pipeline::Rng(4));
    std::vector<double> val_losses;
    int64_t last_best = 0;
    while (!trainer.finished()) {
      const EpochResult r = trainer.RunEpoch(train.view(), validation.view());
      REQUIRE(r.has_validation);
      val_losses.push_back(r.validation.loss);
      if (r.is_new_best) last_best = r.epoch;
    }
    INFO("validation losses: " << Catch::Detail::stringify(val_losses));
    REQUIRE(trainer.finished());
    REQUIRE(trainer.early_stopping().stopped());
    const int64_t chosen = trainer.early_stopping().chosen_epoch();
    CHECK(trainer.epochs_done() < 60);
    CHECK(trainer.early_stopping().stopped_epoch() == trainer.epochs_done());
    CHECK(trainer.epochs_done() == chosen + 3);
    CHECK(trainer.kept_epoch() == chosen);
    CHECK(last_best == chosen);
    CHECK(chosen > 1);  // the loss did fall at first
    const double best_loss = val_losses[static_cast<size_t>(chosen - 1)];
    CHECK(best_loss == *std::min_element(val_losses.begin(), val_losses.end()));

    // The current weights are the last epoch's, worse than the kept ones.
    const auto kept = trainer.KeptState();
    CHECK(!SameState(kept, trainer.network().StateDict()));
    CHECK(trainer.Evaluate(validation.view()).loss == val_losses.back());
    trainer.network().LoadStateDict(kept, /*strict=*/true);
    CHECK(trainer.Evaluate(validation.view()).loss == best_loss);
  });
}

TEST_CASE("trainer: a huge learning rate fails with a divergence error", "[trainer][train]") {
  const DataSet train = Quadrants(64, 4, 41);
  TrainerOptions options = ClassifyOptions(Mlp(4), 4, 20);
  options.optimizer = {{"optimizer", "sgd"}, {"lr", 1e6}};
  InOneThread([&] {
    Trainer trainer(options, pipeline::Rng(1));
    CHECK_THAT(ThrownMessage<pipeline::StageError>([&] { TrainLosses(trainer, train, 20); }),
               Catch::Matchers::Contains("diverged") && Catch::Matchers::Contains("learning rate"));
  });
  // A sane rate on the same data does not diverge.
  options.optimizer = {{"optimizer", "sgd"}, {"lr", 0.05}};
  InOneThread([&] {
    Trainer trainer(options, pipeline::Rng(1));
    CHECK_NOTHROW(TrainLosses(trainer, train, 3));
  });
}

TEST_CASE("trainer: an autoencoder must reproduce its input's shape and lowers the MSE",
          "[trainer][train][autoencoder]") {
  const DataSet train = Vectors(128, 51);
  const DataSet validation = Vectors(40, 52);
  TrainerOptions options;
  options.task = "autoencode";
  options.loss = "mse";
  options.input_shape = {16};
  options.epochs = 25;
  options.batch_size = 16;
  options.optimizer = {{"optimizer", "adam"}, {"lr", 0.01}};
  InOneThread([&] {
    SECTION("an output size other than the input's is a configuration error") {
      options.layers = Json::array({{{"type", "linear"}, {"out", 4}},
                                    {{"type", "tanh"}},
                                    {{"type", "linear"}, {"out", 12}}});
      CHECK_THAT(
          ThrownMessage<pipeline::ConfigError>([&] { Trainer built(options, pipeline::Rng(1)); }),
          Catch::Matchers::Contains("autoencoder") && Catch::Matchers::Contains("[16]") &&
              Catch::Matchers::Contains("[12]"));
    }
    SECTION("the reconstruction error falls") {
      options.layers = Json::array({{{"type", "linear"}, {"out", 4}},
                                    {{"type", "tanh"}},
                                    {{"type", "linear"}, {"out", 16}}});
      options.early_stopping = {{"policy", "patience"}, {"patience", 50}};
      Trainer trainer(options, pipeline::Rng(1));
      const double before = trainer.Evaluate(validation.view()).loss;
      std::vector<double> train_losses, val_losses;
      while (!trainer.finished()) {
        const EpochResult r = trainer.RunEpoch(train.view(), validation.view());
        CHECK(std::isnan(r.train_accuracy));
        CHECK(std::isnan(r.validation.accuracy));
        train_losses.push_back(r.train_loss);
        val_losses.push_back(r.validation.loss);
      }
      INFO("train MSE " << Catch::Detail::stringify(train_losses));
      REQUIRE(train_losses.size() == 25);
      CHECK(train_losses.back() < 0.5 * train_losses.front());
      CHECK(val_losses.back() < 0.5 * before);
      // Mostly monotone: every fifth epoch is better than the one five before.
      for (size_t e = 5; e < train_losses.size(); e += 5) {
        CHECK(train_losses[e] < train_losses[e - 5]);
      }
    }
  });
}

TEST_CASE("trainer: a classifier whose output is not the class count is rejected",
          "[trainer][train]") {
  InOneThread([&] {
    TrainerOptions options = ClassifyOptions(Mlp(3), 4, 1);
    options.key_path = "stage7";
    CHECK_THAT(
        ThrownMessage<pipeline::ConfigError>([&] { Trainer built(options, pipeline::Rng(1)); }),
        Catch::Matchers::Contains("stage7.layers") &&
            Catch::Matchers::Contains("outputs 3 values") &&
            Catch::Matchers::Contains("4 classes"));
    // The counter check is on the class count, not any number: 3 outputs for 3 classes is fine.
    options.classes = 3;
    CHECK_NOTHROW(Trainer(options, pipeline::Rng(1)));
  });
}

TEST_CASE("trainer: class weights change the training", "[trainer][train]") {
  const DataSet train = Quadrants(64, 4, 61, 1.0);
  InOneThread([&] {
    auto run = [&](const std::vector<float>& weights) {
      TrainerOptions options = ClassifyOptions(Mlp(4), 4, 2);
      options.class_weights = weights;
      Trainer trainer(options, pipeline::Rng(2));
      const std::vector<double> losses = TrainLosses(trainer, train, 2);
      return std::make_pair(losses, trainer.network().StateDict());
    };
    const auto plain = run({});
    const auto ones = run({1, 1, 1, 1});
    const auto weighted = run({1, 8, 1, 1});
    // Equal weights are the unweighted loss (the weighted mean divides by the total weight).
    CHECK(ones.first[0] == Approx(plain.first[0]).epsilon(1e-6));
    CHECK(weighted.first[0] != Approx(plain.first[0]).epsilon(1e-4));
    CHECK(weighted.first[1] != Approx(plain.first[1]).epsilon(1e-4));
    CHECK(!SameState(weighted.second, plain.second));

    TrainerOptions options = ClassifyOptions(Mlp(4), 4, 2);
    options.class_weights = {1, 2, 3};
    CHECK_THAT(
        ThrownMessage<pipeline::ConfigError>([&] { Trainer built(options, pipeline::Rng(1)); }),
        Catch::Matchers::Contains("3 class weights for 4 classes"));
  });
}

TEST_CASE("trainer: a checkpoint file round-trips the state and its metric history",
          "[trainer][train][resume]") {
  const DataSet train = Quadrants(70, 4, 31, 0.8);
  const DataSet validation = Quadrants(40, 4, 32, 0.8);
  TrainerOptions options = ClassifyOptions(SmallCnn(4), 4, 3);
  options.optimizer = {{"optimizer", "adam"}, {"lr", 0.01}};
  options.early_stopping = {{"policy", "counter"}};
  const pipeline::Rng rng(7);
  testing_support::TempDir dir;
  const std::string path = dir.path() + "/resume/trainer.art";
  InOneThread([&] {
    Trainer uninterrupted(options, rng);
    std::vector<EpochResult> results;
    while (!uninterrupted.finished()) {
      results.push_back(uninterrupted.RunEpoch(train.view(), validation.view()));
    }
    {
      Trainer first(options, rng);
      first.RunEpoch(train.view(), validation.view());
      first.RunEpoch(train.view(), validation.view());
      stages::SaveTrainerCheckpoint(
          {first.SaveState(), {{"train_loss", 1, 0.25}, {"val_accuracy", 2, 1.0 / 3.0}}}, path);
    }
    const std::optional<stages::TrainerCheckpoint> loaded = stages::LoadTrainerCheckpoint(path);
    REQUIRE(loaded.has_value());
    REQUIRE(loaded->history.size() == 2);
    CHECK(loaded->history[1].name == "val_accuracy");
    CHECK(loaded->history[1].step == 2);
    CHECK(loaded->history[1].value == 1.0 / 3.0);  // doubles survive exactly
    Trainer resumed(options, rng);
    resumed.LoadState(loaded->state);
    const EpochResult third = resumed.RunEpoch(train.view(), validation.view());
    CHECK(third.train_loss == results[2].train_loss);
    CHECK(third.validation.loss == results[2].validation.loss);
    CHECK(resumed.optimizer().ExportState() != stages::OptimizerState{});

    // A damaged file is ignored (the next attempt starts over), as is a missing one.
    {
      std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
      file.seekp(200);
      file.put('\x7f');
    }
    CHECK_FALSE(stages::LoadTrainerCheckpoint(path).has_value());
    CHECK_FALSE(stages::LoadTrainerCheckpoint(dir.path() + "/none.art").has_value());
  });
}
