#include "stages/train/objective.h"

#include <catch2/catch.hpp>
#include <omp.h>

#include <cmath>
#include <memory>
#include <vector>

#include "pipeline/errors.h"
#include "pipeline/rng.h"
#include "stages/train/trainer.h"
#include "tests/stages/stage_harness.h"

using pipeline::Json;

namespace {

// Mean absolute error against the input: an objective the factory does not know, as a VAE or
// a GAN will be, plugged into the trainer through TrainerOptions::objective.
class AbsoluteErrorObjective : public stages::TrainingObjective {
 public:
  std::string task() const override { return "absolute_error"; }
  std::string loss() const override { return "l1"; }
  bool uses_labels() const override { return false; }
  bool has_accuracy() const override { return false; }
  void CheckNetwork(const stages::nn::Network& network, const std::string& key_path) const override {
    if (network.output_size() != network.input_size()) {
      throw pipeline::ConfigError(key_path + ": output must match input");
    }
  }
  double BatchLoss(const float* output, const float* x, const int32_t*, int64_t batch,
                   int64_t width, float* grad, int64_t*) const override {
    const int64_t count = batch * width;
    double sum = 0;
    for (int64_t i = 0; i < count; ++i) {
      const double d = static_cast<double>(output[i]) - x[i];
      sum += std::abs(d);
      if (grad != nullptr) grad[i] = static_cast<float>((d > 0) - (d < 0)) / static_cast<float>(count);
    }
    ++calls;
    return sum / static_cast<double>(count);
  }
  mutable int calls = 0;
};

}  // namespace

TEST_CASE("objectives: task and loss choose the objective, and misfits are configuration errors",
          "[objective][train]") {
  CHECK(stages::MakeObjective("classify", "auto", 3, {}, "train")->loss() == "cross_entropy");
  CHECK(stages::MakeObjective("autoencode", "auto", 0, {}, "train")->loss() == "mse");
  const auto bce = stages::MakeObjective("autoencode", "bce", 0, {}, "train");
  CHECK(bce->reconstructs());
  CHECK(bce->Reconstruction(0.0f) == 0.5f);  // the logit's sigmoid
  CHECK_FALSE(bce->has_accuracy());
  CHECK_THROWS_WITH(stages::MakeObjective("classify", "mse", 3, {}, "train"),
                    Catch::Contains("does not fit task 'classify'"));
  CHECK_THROWS_WITH(stages::MakeObjective("cluster", "auto", 3, {}, "train"),
                    Catch::Contains("unknown task 'cluster'"));

  // Without an accuracy the policy watches the validation loss; counter needs an accuracy.
  const auto autoencoder = stages::MakeObjective("autoencode", "mse", 0, {}, "train");
  CHECK(autoencoder->PolicyConfig({{"policy", "none"}}, "train")["monitor"] == "val_loss");
  CHECK_THROWS_WITH(autoencoder->PolicyConfig({{"policy", "counter"}}, "train"),
                    Catch::Contains("counter policy needs a validation accuracy"));
  const auto classifier = stages::MakeObjective("classify", "auto", 3, {}, "train");
  CHECK(classifier->PolicyConfig({{"policy", "none"}}, "train") == Json{{"policy", "none"}});
}

TEST_CASE("objectives: the trainer optimises whatever objective it is given",
          "[objective][train]") {
  pipeline::Rng rng(5);
  pipeline::Tensor x(pipeline::DType::kFloat32, {64, 8});
  for (int64_t i = 0; i < x.size(); ++i) x.f32()[i] = static_cast<float>(rng.Normal());
  auto objective = std::make_shared<AbsoluteErrorObjective>();
  stages::TrainerOptions options;
  options.objective = objective;
  options.layers = Json::array({{{"type", "linear"}, {"out", 8}}});
  options.input_shape = {8};
  options.epochs = 30;
  options.batch_size = 16;
  options.optimizer = {{"optimizer", "adam"}, {"lr", 0.02}};
  omp_set_num_threads(1);
  stage_testing::InArena(1, [&] {
    stages::Trainer trainer(options, pipeline::Rng(2));
    const stages::TrainData data{&x, nullptr};
    const double before = trainer.Evaluate(data).loss;
    while (!trainer.finished()) trainer.RunEpoch(data, {});
    const double after = trainer.Evaluate(data).loss;
    // A linear layer can learn the identity: the L1 error falls well below where it started.
    CHECK(after < 0.5 * before);
    CHECK(objective->calls >= 30 * 4);  // every training batch went through the objective
  });
  // The objective's own network check applies.
  options.layers = Json::array({{{"type", "linear"}, {"out", 3}}});
  CHECK_THROWS_WITH(stages::Trainer(options, pipeline::Rng(2)),
                    Catch::Contains("output must match input"));
}

TEST_CASE("objectives: a VAE's loss is per image (summed BCE + KL) and falls as it trains",
          "[objective][train][vae]") {
  // 16 "pixels" in (0, 1) from two latent factors.
  pipeline::Rng rng(11);
  pipeline::Tensor x(pipeline::DType::kFloat32, {96, 16});
  for (int64_t i = 0; i < 96; ++i) {
    const double a = rng.Normal(), b = rng.Normal();
    for (int j = 0; j < 16; ++j) {
      x.f32()[i * 16 + j] = static_cast<float>(1.0 / (1.0 + std::exp(-(2 * a * std::sin(0.4 * j) +
                                                                         2 * b * std::cos(0.3 * j)))));
    }
  }
  stages::TrainerOptions options;
  options.task = "vae";
  options.layers = Json::array({{{"type", "linear"}, {"out", 32}}, {{"type", "relu"}},
                                {{"type", "linear"}, {"out", 4}}, {{"type", "gaussian_sample"}},
                                {{"type", "linear"}, {"out", 32}}, {{"type", "relu"}},
                                {{"type", "linear"}, {"out", 16}}});
  options.input_shape = {16};
  options.epochs = 40;
  options.batch_size = 16;
  options.optimizer = {{"optimizer", "adam"}, {"lr", 0.01}};
  omp_set_num_threads(1);
  stage_testing::InArena(1, [&] {
    stages::Trainer trainer(options, pipeline::Rng(4));
    const stages::TrainData data{&x, nullptr};
    const double before = trainer.Evaluate(data).loss;
    // Per image: 16 pixels of binary cross-entropy near ln 2 each at the start, not a mean.
    CHECK(before > 16 * 0.5);
    CHECK(before < 16 * 1.5);
    while (!trainer.finished()) trainer.RunEpoch(data, {});
    const double after = trainer.Evaluate(data).loss;
    CHECK(after < before - 0.5);
    CHECK(trainer.objective().reconstructs());
    CHECK(trainer.objective().task() == "vae");
  });
  // Without a sampling layer it is not a VAE.
  options.layers = Json::array({{{"type", "linear"}, {"out", 16}}});
  CHECK_THROWS_WITH(stages::Trainer(options, pipeline::Rng(4)),
                    Catch::Contains("needs a gaussian_sample layer"));
}
