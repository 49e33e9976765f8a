#include "stages/train/gan_objective.h"

#include <catch2/catch.hpp>
#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "pipeline/errors.h"
#include "pipeline/rng.h"
#include "stages/train/trainer.h"
#include "tests/stages/stage_harness.h"

using pipeline::Json;

namespace {

// The four modes of the toy mixture, in data space [0, 1]^2.
constexpr std::array<std::array<double, 2>, 4> kModes = {
    {{0.25, 0.25}, {0.75, 0.25}, {0.25, 0.75}, {0.75, 0.75}}};

pipeline::Tensor Mixture(int64_t n, uint64_t seed) {
  pipeline::Rng rng(seed);
  pipeline::Tensor x(pipeline::DType::kFloat32, {n, 2});
  for (int64_t i = 0; i < n; ++i) {
    const auto& mode = kModes[static_cast<size_t>(rng.UniformInt(4))];
    x.f32()[2 * i] = static_cast<float>(rng.Normal(mode[0], 0.03));
    x.f32()[2 * i + 1] = static_cast<float>(rng.Normal(mode[1], 0.03));
  }
  return x;
}

Json Mlp(int64_t hidden, int64_t out, bool tanh) {
  Json layers = Json::array({{{"type", "linear"}, {"out", hidden}},
                             {{"type", "leaky_relu"}, {"alpha", 0.2}},
                             {{"type", "linear"}, {"out", hidden}},
                             {{"type", "leaky_relu"}, {"alpha", 0.2}},
                             {{"type", "linear"}, {"out", out}}});
  if (tanh) layers.push_back({{"type", "tanh"}});
  return layers;
}

stages::TrainerOptions GanOptions(int64_t epochs) {
  stages::TrainerOptions options;
  options.task = "gan";
  options.layers = Mlp(32, 2, true);
  options.input_shape = {2};
  options.epochs = epochs;
  options.batch_size = 64;
  options.optimizer = {{"optimizer", "adam"}, {"lr", 0.002}, {"beta1", 0.5}};
  options.objective_settings = {{"noise", 4},
                                {"discriminator", Mlp(32, 1, false)},
                                {"optimizer", options.optimizer},
                                {"d_steps", 1},
                                {"collapse_epochs", 3},
                                {"collapse_below", 0.001}};
  return options;
}

// Samples of the trained generator in data space, from fixed noise.
std::vector<std::array<double, 2>> Samples(stages::Trainer& trainer, int64_t count) {
  pipeline::Rng rng(99);
  std::vector<float> noise(static_cast<size_t>(count * 4));
  for (float& v : noise) v = static_cast<float>(rng.Normal());
  const float* out = trainer.objective().Generate(trainer.network(), noise.data(), count);
  std::vector<std::array<double, 2>> samples;
  for (int64_t k = 0; k < count; ++k) {
    samples.push_back({trainer.objective().Reconstruction(out[2 * k]),
                       trainer.objective().Reconstruction(out[2 * k + 1])});
  }
  return samples;
}

// The share of samples within `radius` of a mode, and how many modes get at least 5% of them.
std::pair<double, int> ModeCoverage(const std::vector<std::array<double, 2>>& samples,
                                    double radius) {
  std::array<int, 4> hits{};
  int near = 0;
  for (const auto& s : samples) {
    for (size_t m = 0; m < kModes.size(); ++m) {
      if (std::hypot(s[0] - kModes[m][0], s[1] - kModes[m][1]) < radius) {
        ++hits[m];
        ++near;
        break;
      }
    }
  }
  int covered = 0;
  for (const int h : hits) covered += h >= 0.05 * static_cast<double>(samples.size());
  return {static_cast<double>(near) / static_cast<double>(samples.size()), covered};
}

pipeline::Tensor Filled(std::vector<int64_t> shape, float value) {
  pipeline::Tensor tensor(pipeline::DType::kFloat32, std::move(shape));
  std::fill(tensor.f32(), tensor.f32() + tensor.size(), value);
  return tensor;
}

}  // namespace

TEST_CASE("gan: on a 2-D mixture of four Gaussians the generator's samples land near the modes",
          "[gan][objective][train]") {
  omp_set_num_threads(1);
  const pipeline::Tensor x = Mixture(1024, 5);
  stage_testing::InArena(1, [&] {
    stages::Trainer trainer(GanOptions(200), pipeline::Rng(3));
    const auto [near_before, covered_before] = ModeCoverage(Samples(trainer, 400), 0.1);
    std::vector<stages::EpochResult> epochs;
    while (!trainer.finished()) epochs.push_back(trainer.RunEpoch({&x, nullptr}, {}));
    const auto [near_after, covered_after] = ModeCoverage(Samples(trainer, 400), 0.1);
    INFO("near a mode: " << near_before << " -> " << near_after << "; modes covered: "
                         << covered_before << " -> " << covered_after);
    CHECK(near_before < 0.3);
    CHECK(near_after > 0.75);  // within 0.1 (3.3 standard deviations) of a mode
    CHECK(covered_after == 4);  // and no mode dropped
    // The four parts per epoch: g_loss (= the train loss), d_loss, D(x) and D(G(z)) in (0, 1).
    for (const stages::EpochResult& r : epochs) {
      REQUIRE(r.train_parts.size() == 4);
      CHECK(r.train_parts[0] == Approx(r.train_loss));
      CHECK(r.train_parts[1] > 0);
      CHECK(r.train_parts[2] > 0);
      CHECK(r.train_parts[2] < 1);
      CHECK(r.train_parts[3] > 0);
      CHECK(r.train_parts[3] < 1);
    }
    // Near equilibrium D cannot tell: D(x) and D(G(z)) both away from 0 and 1.
    CHECK(epochs.back().train_parts[2] < 0.9);
    CHECK(epochs.back().train_parts[3] > 0.1);
  });
}

TEST_CASE("gan: the same seed gives bit-identical samples, and a resumed training continues "
          "bit-identically",
          "[gan][objective][train]") {
  omp_set_num_threads(1);
  const pipeline::Tensor x = Mixture(300, 6);  // 5 batches, the last partial
  stage_testing::InArena(1, [&] {
    stages::Trainer straight(GanOptions(3), pipeline::Rng(8));
    while (!straight.finished()) straight.RunEpoch({&x, nullptr}, {&x, nullptr});

    stages::Trainer first(GanOptions(3), pipeline::Rng(8));
    first.RunEpoch({&x, nullptr}, {&x, nullptr});
    first.RunEpoch({&x, nullptr}, {&x, nullptr});
    const stages::TrainerState saved = first.SaveState();
    CHECK(saved.objective.count("discriminator/linear1.weight") == 1);
    stages::Trainer resumed(GanOptions(3), pipeline::Rng(8));
    resumed.LoadState(saved);
    const stages::EpochResult last = resumed.RunEpoch({&x, nullptr}, {&x, nullptr});
    CHECK(resumed.finished());
    REQUIRE(last.validation.parts.size() == 4);

    const auto a = Samples(straight, 64), b = Samples(resumed, 64);
    CHECK(a == b);
    const auto d_straight = straight.SaveState().objective, d_resumed = resumed.SaveState().objective;
    for (const auto& [name, tensor] : d_straight) {
      INFO(name);
      REQUIRE(d_resumed.count(name) == 1);
      const pipeline::Tensor& other = d_resumed.at(name);
      REQUIRE(other.size() == tensor.size());
      if (tensor.dtype() == pipeline::DType::kFloat32) {
        CHECK(std::equal(tensor.f32(), tensor.f32() + tensor.size(), other.f32()));
      } else {
        CHECK(std::equal(tensor.f64(), tensor.f64() + tensor.size(), other.f64()));
      }
    }
    // Another seed, other samples.
    stages::Trainer other(GanOptions(3), pipeline::Rng(9));
    while (!other.finished()) other.RunEpoch({&x, nullptr}, {});
    CHECK(Samples(other, 64) != a);
  });
}

TEST_CASE("gan: a discriminator that rejects everything, or a generator whose samples are all "
          "alike, fails the run with the epoch and the reason",
          "[gan][objective][train]") {
  omp_set_num_threads(1);
  const pipeline::Tensor x = Mixture(256, 7);
  stage_testing::InArena(1, [&] {
    SECTION("D(G(z)) stuck at 0") {
      // A frozen generator whose samples sit in a corner no real point comes near.
      stages::TrainerOptions options = GanOptions(20);
      options.layers = Json::array({{{"type", "linear"}, {"out", 2}}, {{"type", "tanh"}}});
      options.freeze = {"*"};
      options.objective_settings["optimizer"] = {{"optimizer", "adam"}, {"lr", 0.01}};
      options.objective_settings["collapse_epochs"] = 2;
      options.objective_settings["collapse_below"] = 0.01;
      stages::Trainer trainer(options, pipeline::Rng(1));
      trainer.LoadInitialState({{"linear1.weight", Filled({2, 4}, 0.05f)},
                                {"linear1.bias", Filled({2}, -2.0f)}});
      try {
        while (!trainer.finished()) trainer.RunEpoch({&x, nullptr}, {});
        FAIL("no collapse detected");
      } catch (const pipeline::StageError& e) {
        CHECK_THAT(e.what(), Catch::Contains("mean D(G(z)) has stayed below 0.01 for 2 epochs"));
        CHECK_THAT(e.what(), Catch::Contains("the GAN failed in epoch"));
      }
    }
    SECTION("mode collapse") {
      stages::TrainerOptions options = GanOptions(5);
      options.layers = Json::array({{{"type", "linear"}, {"out", 2}}, {{"type", "tanh"}}});
      options.freeze = {"*"};
      stages::Trainer trainer(options, pipeline::Rng(1));
      // The noise has no weight: every sample is tanh(bias).
      trainer.LoadInitialState({{"linear1.weight", Filled({2, 4}, 0.0f)},
                                {"linear1.bias", Filled({2}, 0.3f)}});
      CHECK_THROWS_WITH(trainer.RunEpoch({&x, nullptr}, {}),
                        Catch::Contains("the GAN failed in epoch 1") &&
                            Catch::Contains("mode collapse"));
    }
  });
}

TEST_CASE("gan: networks that do not fit are configuration errors naming the key",
          "[gan][objective][train]") {
  omp_set_num_threads(1);
  stage_testing::InArena(1, [&] {
    stages::TrainerOptions options = GanOptions(1);
    options.layers = Mlp(8, 2, false);
    CHECK_THROWS_WITH(stages::Trainer(options, pipeline::Rng(1)),
                      Catch::Contains("train.layers") && Catch::Contains("end in {type: tanh}"));
    options = GanOptions(1);
    options.layers = Mlp(8, 3, true);
    CHECK_THROWS_WITH(stages::Trainer(options, pipeline::Rng(1)),
                      Catch::Contains("generator outputs 3 values per sample but the images "
                                      "have 2"));
    options = GanOptions(1);
    options.objective_settings["discriminator"] = Mlp(8, 2, false);
    CHECK_THROWS_WITH(stages::Trainer(options, pipeline::Rng(1)),
                      Catch::Contains("train.gan.discriminator") &&
                          Catch::Contains("one logit"));
    options = GanOptions(1);
    options.early_stopping = {{"policy", "patience"}};
    CHECK_THROWS_WITH(stages::Trainer(options, pipeline::Rng(1)),
                      Catch::Contains("train.early_stopping") &&
                          Catch::Contains("fixed number of epochs"));
    CHECK_THROWS_WITH(stages::MakeObjective("gan", "mse", 0, {}, "train", options.objective_settings),
                      Catch::Contains("does not fit task 'gan'"));
  });
}

TEST_CASE("gan: a small DCGAN (conv_transpose generator, batch-normed conv discriminator) trains "
          "and resumes bit-identically",
          "[gan][objective][train]") {
  omp_set_num_threads(1);
  // 8 x 8 images with one bright row.
  pipeline::Rng rng(12);
  pipeline::Tensor x(pipeline::DType::kFloat32, {96, 1, 8, 8});
  for (int64_t i = 0; i < 96; ++i) {
    const int64_t row = static_cast<int64_t>(rng.UniformInt(8));
    for (int64_t p = 0; p < 64; ++p) {
      x.f32()[i * 64 + p] = p / 8 == row ? 0.9f : static_cast<float>(rng.Uniform(0, 0.1));
    }
  }
  stages::TrainerOptions options = GanOptions(3);
  options.input_shape = {1, 8, 8};
  options.batch_size = 32;
  options.layers = Json::parse(R"([
      {"type": "linear", "out": 32}, {"type": "batchnorm"}, {"type": "relu"},
      {"type": "reshape", "shape": [8, 2, 2]},
      {"type": "conv_transpose", "out": 4, "kernel": 4, "stride": 2, "pad": 1},
      {"type": "batchnorm"}, {"type": "relu"},
      {"type": "conv_transpose", "out": 1, "kernel": 4, "stride": 2, "pad": 1},
      {"type": "tanh"}])");
  options.objective_settings["discriminator"] = Json::parse(R"([
      {"type": "conv", "out": 4, "kernel": 4, "stride": 2, "pad": 1},
      {"type": "leaky_relu", "alpha": 0.2},
      {"type": "conv", "out": 8, "kernel": 4, "stride": 2, "pad": 1},
      {"type": "batchnorm"}, {"type": "leaky_relu", "alpha": 0.2},
      {"type": "flatten"}, {"type": "linear", "out": 1}])");
  stage_testing::InArena(1, [&] {
    stages::Trainer straight(options, pipeline::Rng(2));
    std::vector<stages::EpochResult> epochs;
    while (!straight.finished()) epochs.push_back(straight.RunEpoch({&x, nullptr}, {&x, nullptr}));
    for (const stages::EpochResult& r : epochs) {
      for (const double part : r.train_parts) CHECK(std::isfinite(part));
    }
    // The discriminator learns to tell: D(x) above D(G(z)) after training.
    CHECK(epochs.back().train_parts[2] > epochs.back().train_parts[3]);

    stages::Trainer first(options, pipeline::Rng(2));
    first.RunEpoch({&x, nullptr}, {&x, nullptr});
    const stages::TrainerState saved = first.SaveState();
    stages::Trainer resumed(options, pipeline::Rng(2));
    resumed.LoadState(saved);
    resumed.RunEpoch({&x, nullptr}, {&x, nullptr});
    resumed.RunEpoch({&x, nullptr}, {&x, nullptr});
    const auto a = straight.network().StateDict(), b = resumed.network().StateDict();
    for (const auto& [name, tensor] : a) {
      INFO(name);
      CHECK(std::equal(tensor.f32(), tensor.f32() + tensor.size(), b.at(name).f32()));
    }
  });
}
