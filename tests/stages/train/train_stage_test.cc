#include "stages/train/train_stage.h"
#include "stages/train/trainer_checkpoint.h"

#include <catch2/catch.hpp>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "pipeline/errors.h"
#include "stages/evaluate/classifier_eval.h"
#include "stages/train/encode_stage.h"
#include "stages/train/generate_stage.h"
#include "stages/train/model_artifact.h"
#include "tests/stages/stage_harness.h"
#include "tests/support/fake_clock.h"
#include "tests/support/memory_metric_sink.h"
#include "tests/support/temp_dir.h"

using pipeline::Json;
using stage_testing::MakeArtifact;
using stage_testing::StageHarness;
using testing_support::MetricRow;

namespace {

constexpr int kThreads = 1;

// n images 1x8x8 of 4 classes: class c lights quadrant c, plus Gaussian noise.
pipeline::ArtifactPtr Quadrants(int64_t n, uint64_t seed, double noise) {
  pipeline::Rng rng(seed);
  pipeline::Tensor x(pipeline::DType::kFloat32, {n, 1, 8, 8});
  std::vector<int32_t> y(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    const int c = static_cast<int>(i % 4);
    y[static_cast<size_t>(i)] = c;
    for (int r = 0; r < 8; ++r) {
      for (int col = 0; col < 8; ++col) {
        const bool lit = (r / 4) == (c / 2) && (col / 4) == (c % 2);
        x.f32()[i * 64 + r * 8 + col] =
            static_cast<float>((lit ? 1.0 : 0.0) + rng.Normal(0, noise));
      }
    }
  }
  return MakeArtifact({{"x", std::move(x)}, {"y", pipeline::Tensor::FromVector(y)}});
}

Json Mlp() {
  return Json::array({{{"type", "flatten"}},
                      {{"type", "linear"}, {"out", 16}},
                      {{"type", "relu"}},
                      {{"type", "linear"}, {"out", 4}}});
}

Json TrainParams(int64_t epochs) {
  return {{"layers", Mlp()},
          {"epochs", epochs},
          {"batch_size", 16},
          {"optimizer", {{"optimizer", "adam"}, {"lr", 0.01}}}};
}

std::vector<MetricRow> Rows(const StageHarness& harness, const std::string& name) {
  std::vector<MetricRow> rows;
  for (const MetricRow& row : harness.metrics().rows()) {
    if (row.name == name) rows.push_back(row);
  }
  return rows;
}

std::vector<int64_t> Steps(const std::vector<MetricRow>& rows) {
  std::vector<int64_t> steps;
  for (const MetricRow& row : rows) steps.push_back(row.step);
  return steps;
}

double Single(const StageHarness& harness, const std::string& name) {
  const std::vector<double> values = harness.metrics().Values(name);
  REQUIRE(values.size() == 1);
  return values[0];
}

std::vector<float> Values(const pipeline::Tensor& tensor) {
  return std::vector<float>(tensor.f32(), tensor.f32() + tensor.size());
}

pipeline::ArtifactPtr Keep(const pipeline::Artifact& artifact) {
  return std::make_shared<pipeline::Artifact>(artifact);
}

// Runs a stage like StageHarness does but keeps the context, so a test can see the files the
// stage recorded (StageContext::files()) and read them from the output folder.
struct FileRun {
  pipeline::StageType type;
  testing_support::FakeClock clock;
  testing_support::MemoryMetricSink metrics;
  testing_support::TempDir dir;
  std::unique_ptr<pipeline::StageContext> context;

  explicit FileRun(pipeline::StageType stage_type) : type(std::move(stage_type)) {}

  const pipeline::Artifact& Run(const Json& overrides, std::vector<pipeline::ArtifactPtr> inputs) {
    Json values = Json::object();
    for (const pipeline::ParamSpec& spec : type.params) values[spec.name] = spec.default_value;
    for (const auto& [name, value] : overrides.items()) {
      REQUIRE(type.FindParam(name) != nullptr);
      values[name] = value;
    }
    context =
        std::make_unique<pipeline::StageContext>(type, pipeline::Params(values), std::move(inputs),
                                                 42, clock, kThreads, metrics, dir.path(), nullptr);
    omp_set_num_threads(kThreads);
    stage_testing::InArena(kThreads, [&] { type.run(*context); });
    return context->output();
  }

  bool Recorded(const std::string& name) const {
    for (const pipeline::StageFile& file : context->files()) {
      if (file.name == name) return true;
    }
    return false;
  }
  std::string Read(const std::string& name) const {
    std::ifstream in(dir.File(name));
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
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

TEST_CASE("train logs per-epoch metrics and outputs the kept checkpoint as a model",
          "[train_stage][train]") {
  omp_set_num_threads(kThreads);
  const pipeline::ArtifactPtr train = Quadrants(96, 1, 0.7);
  const pipeline::ArtifactPtr validation = Quadrants(40, 2, 0.7);
  StageHarness harness(stages::TrainStage());
  const pipeline::Artifact& model = harness.Run(TrainParams(5), {train, validation}, 42, kThreads);

  for (const char* name : {"lr", "train_loss", "train_accuracy", "val_loss", "val_accuracy"}) {
    INFO(name);
    CHECK(Steps(Rows(harness, name)) == std::vector<int64_t>{1, 2, 3, 4, 5});
  }
  const std::vector<double> losses = harness.metrics().Values("train_loss");
  CHECK(losses.back() < losses.front());
  const std::vector<double> accuracies = harness.metrics().Values("val_accuracy");
  CHECK(accuracies.back() > 0.5);

  // No policy: the kept epoch is the first one with the best validation accuracy.
  const auto best = std::max_element(accuracies.begin(), accuracies.end());
  const auto chosen = static_cast<int64_t>(Single(harness, "chosen_epoch"));
  CHECK(chosen == 1 + (best - accuracies.begin()));
  CHECK(Single(harness, "epochs_run") == 5);
  CHECK(Single(harness, "early_stopped") == 0);
  CHECK(Single(harness, "chosen_val_accuracy") == *best);
  const double chosen_loss = harness.metrics().Values("val_loss")[static_cast<size_t>(chosen - 1)];
  CHECK(Single(harness, "chosen_val_loss") == Approx(chosen_loss).epsilon(1e-12));
  CHECK(Single(harness, "parameters") == 64 * 16 + 16 + 16 * 4 + 4);

  REQUIRE(stages::IsModel(model));
  const stages::ModelDescription description = stages::ReadModel(model);
  CHECK(description.input_shape == stages::nn::Dims{1, 8, 8});
  CHECK(description.classes == 4);
  CHECK(description.task == "classify");
  const auto state = stages::ReadModelState(model);
  REQUIRE(state.count("linear1.weight") == 1);
  CHECK(state.at("linear1.weight").shape() == std::vector<int64_t>{16, 64});
  CHECK(state.at("linear1.bias").shape() == std::vector<int64_t>{16});
  CHECK(state.at("linear2.weight").shape() == std::vector<int64_t>{4, 16});
  CHECK(state.at("linear2.bias").shape() == std::vector<int64_t>{4});
  CHECK(state.size() == 4);
  CHECK(model.meta()["training"]["chosen_epoch"] == chosen);
  CHECK(!model.Has("x"));
}

TEST_CASE("evaluate scores a trained classifier and writes its tables and pictures",
          "[train_stage][evaluate]") {
  omp_set_num_threads(kThreads);
  StageHarness trainer(stages::TrainStage());
  const pipeline::ArtifactPtr model =
      Keep(trainer.Run(TrainParams(3), {Quadrants(64, 1, 0.7)}, 42, kThreads));
  const pipeline::ArtifactPtr test = Quadrants(60, 3, 1.2);  // noisy: some mistakes

  FileRun evaluate(stages::EvaluateStage());
  const pipeline::Artifact& out = evaluate.Run(Json::object(), {model, test});
  const std::vector<int32_t> truth = test->Get("y").ToIntVector();
  const std::vector<int32_t> predicted = out.Get("predictions").ToIntVector();
  REQUIRE(predicted.size() == truth.size());
  std::map<int, std::map<int, int>> counts;
  int correct = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    correct += predicted[i] == truth[i];
    ++counts[truth[i]][predicted[i]];
  }
  const double accuracy = static_cast<double>(correct) / static_cast<double>(truth.size());
  INFO("accuracy " << accuracy);
  CHECK(accuracy > 0.4);
  CHECK(accuracy < 1.0);  // the test below also checks the misclassified rows
  const std::vector<double> logged = evaluate.metrics.Values("accuracy");
  REQUIRE(logged.size() == 1);
  CHECK(logged[0] == Approx(accuracy).epsilon(1e-12));
  CHECK(evaluate.metrics.Values("error_rate")[0] == Approx(1 - accuracy).epsilon(1e-12));

  // Confusion rows: step 1000 * truth + predicted, value the fraction of the true class.
  std::map<int64_t, double> row_sums;
  int cells = 0;
  for (const MetricRow& row : evaluate.metrics.rows()) {
    if (row.name != "confusion") continue;
    ++cells;
    const int t = static_cast<int>(row.step / 1000), p = static_cast<int>(row.step % 1000);
    row_sums[t] += row.value;
    int support = 0;
    for (const auto& [label, count] : counts[t]) support += count;
    INFO("truth " << t << " predicted " << p);
    CHECK(row.value == Approx(static_cast<double>(counts[t][p]) / support).epsilon(1e-12));
  }
  CHECK(cells == 16);
  REQUIRE(row_sums.size() == 4);
  for (const auto& [t, sum] : row_sums) CHECK(sum == Approx(1.0).epsilon(1e-12));

  // Probabilities are rows of a distribution whose arg max is the prediction.
  const pipeline::Tensor& probabilities = out.Get("probabilities");
  REQUIRE(probabilities.shape() == std::vector<int64_t>{60, 4});
  for (int64_t i = 0; i < 60; ++i) {
    const float* p = probabilities.f32() + i * 4;
    CHECK(std::accumulate(p, p + 4, 0.0) == Approx(1.0).epsilon(1e-5));
    CHECK(std::max_element(p, p + 4) - p == predicted[static_cast<size_t>(i)]);
  }

  for (const char* name : {"confusion_matrix.png", "confusion_matrix.csv", "misclassified.csv",
                           "most_confused.csv", "misclassified.png"}) {
    INFO(name);
    CHECK(evaluate.Recorded(name));
    CHECK(std::filesystem::exists(evaluate.dir.File(name)));
  }
  const std::vector<std::string> wrong = Lines(evaluate.Read("misclassified.csv"));
  REQUIRE(!wrong.empty());
  CHECK(wrong[0] == "id,true,predicted,probability");
  CHECK(static_cast<int>(wrong.size()) - 1 == static_cast<int>(truth.size()) - correct);
  for (size_t k = 1; k < wrong.size(); ++k) {
    int id = -1, t = -1, p = -1;
    REQUIRE(std::sscanf(wrong[k].c_str(), "%d,%d,%d", &id, &t, &p) == 3);
    CHECK(t == truth[static_cast<size_t>(id)]);
    CHECK(p == predicted[static_cast<size_t>(id)]);
    CHECK(t != p);
  }
  CHECK(evaluate.metrics.Values("misclassified").size() == wrong.size() - 1);
}

TEST_CASE("encode outputs an autoencoder's latent code and its reconstruction error",
          "[train_stage][encode]") {
  omp_set_num_threads(kThreads);
  const pipeline::ArtifactPtr train = Quadrants(96, 1, 0.3);
  const pipeline::ArtifactPtr validation = Quadrants(40, 2, 0.3);
  StageHarness trainer(stages::TrainStage());
  const Json layers = Json::array({{{"type", "flatten"}},
                                   {{"type", "linear"}, {"out", 3}},
                                   {{"type", "tanh"}},
                                   {{"type", "linear"}, {"out", 64}}});
  const pipeline::ArtifactPtr model =
      Keep(trainer.Run({{"layers", layers},
                        {"task", "autoencode"},
                        {"latent", "linear1"},
                        {"epochs", 12},
                        {"batch_size", 16},
                        {"optimizer", {{"optimizer", "adam"}, {"lr", 0.01}}},
                        {"early_stopping", {{"policy", "patience"}, {"patience", 20}}}},
                       {train, validation}, 42, kThreads));
  const std::vector<double> losses = trainer.metrics().Values("train_loss");
  REQUIRE(losses.size() == 12);
  CHECK(losses.back() < losses.front());
  CHECK(trainer.metrics().Values("train_accuracy").empty());
  CHECK(trainer.metrics().Values("val_accuracy").empty());
  REQUIRE(stages::IsModel(*model));
  CHECK(stages::ReadModel(*model).latent == "linear1");
  CHECK(stages::ReadModel(*model).task == "autoencode");

  FileRun encode(stages::EncodeStage());
  const pipeline::Artifact& out = encode.Run({{"batch_size", 16}}, {validation, model});
  const pipeline::Tensor& codes = out.Get("x");
  REQUIRE(codes.shape() == std::vector<int64_t>{40, 3});
  CHECK(out.Get("y").ToIntVector() == validation->Get("y").ToIntVector());
  CHECK(encode.metrics.Values("latent_size") == std::vector<double>{3});
  const std::vector<double> mse = encode.metrics.Values("reconstruction_mse");
  REQUIRE(mse.size() == 1);
  // The kept checkpoint's validation loss is the same mean squared error.
  CHECK(mse[0] == Approx(Single(trainer, "chosen_val_loss")).epsilon(1e-5));
  // Better than reconstructing every image as zeros.
  const pipeline::Tensor& x = validation->Get("x");
  double zero_mse = 0;
  for (int64_t k = 0; k < x.size(); ++k) zero_mse += static_cast<double>(x.f32()[k]) * x.f32()[k];
  zero_mse /= static_cast<double>(x.size());
  CHECK(mse[0] < 0.7 * zero_mse);
  CHECK(encode.metrics.Values("example_mse").size() == 2);
  CHECK(encode.Recorded("reconstructions.png"));
  CHECK(std::filesystem::exists(encode.dir.File("reconstructions.png")));

  // The codes are linear1's outputs of the model, computed independently.
  const auto network = stages::LoadNetwork(*model, 40);
  network->Forward(x.f32(), 40, /*training=*/false);
  const std::vector<float> expected = network->LayerOutput("linear1");
  const std::vector<float> actual = Values(codes);
  REQUIRE(actual.size() == expected.size());
  for (size_t k = 0; k < actual.size(); ++k) CHECK(actual[k] == Approx(expected[k]).margin(1e-5));

  SECTION("an unknown latent layer is refused by train") {
    StageHarness bad(stages::TrainStage());
    CHECK_THROWS_AS(
        bad.Run({{"layers", layers}, {"task", "autoencode"}, {"latent", "linear7"}, {"epochs", 1}},
                {train}, 42, kThreads),
        pipeline::ConfigError);
  }
}

TEST_CASE("train starts from another train's model; frozen layers stay bit-identical",
          "[train_stage][transfer]") {
  omp_set_num_threads(kThreads);
  const pipeline::ArtifactPtr train = Quadrants(64, 1, 0.7);
  const pipeline::ArtifactPtr validation = Quadrants(32, 2, 0.7);
  StageHarness first(stages::TrainStage());
  const pipeline::ArtifactPtr source =
      Keep(first.Run(TrainParams(2), {train, validation}, 42, kThreads));
  const auto source_state = stages::ReadModelState(*source);

  SECTION("freeze everything but the last linear layer") {
    Json params = TrainParams(3);
    params["freeze"] = Json::array({"*"});
    params["trainable"] = Json::array({"linear2"});
    StageHarness second(stages::TrainStage());
    const pipeline::Artifact& out = second.Run(params, {train, validation, source}, 7, kThreads);
    CHECK(Single(second, "init_tensors_loaded") == 4);
    CHECK(out.meta()["initialized_from"].size() == 4);
    const auto state = stages::ReadModelState(out);
    CHECK(Values(state.at("linear1.weight")) == Values(source_state.at("linear1.weight")));
    CHECK(Values(state.at("linear1.bias")) == Values(source_state.at("linear1.bias")));
    CHECK(Values(state.at("linear2.weight")) != Values(source_state.at("linear2.weight")));
    CHECK(Values(state.at("linear2.bias")) != Values(source_state.at("linear2.bias")));
    // Starting from trained weights: the first epoch is already good.
    CHECK(second.metrics().Values("train_loss")[0] < first.metrics().Values("train_loss")[0]);
  }
  SECTION("without freezing every layer moves") {
    StageHarness second(stages::TrainStage());
    const pipeline::Artifact& out =
        second.Run(TrainParams(3), {source, train, validation}, 7, kThreads);
    CHECK(Single(second, "init_tensors_loaded") == 4);
    const auto state = stages::ReadModelState(out);
    CHECK(Values(state.at("linear1.weight")) != Values(source_state.at("linear1.weight")));
    CHECK(Values(state.at("linear2.weight")) != Values(source_state.at("linear2.weight")));
  }
  SECTION("a model with no matching tensor is an error") {
    Json params = TrainParams(1);
    params["layers"] = Json::array({{{"type", "flatten"}},
                                    {{"type", "linear"}, {"out", 8}},
                                    {{"type", "relu"}},
                                    {{"type", "linear"}, {"out", 4}, {"name", "head"}}});
    StageHarness second(stages::TrainStage());
    CHECK_THAT(ThrownMessage<pipeline::StageError>([&] {
                 second.Run(params, {train, source}, 7, kThreads);
               }),
               Catch::Matchers::Contains("matches"));
  }
}

TEST_CASE("train discards a resume checkpoint it cannot load, and says so", "[train_stage][train]") {
  omp_set_num_threads(kThreads);
  const pipeline::ArtifactPtr train = Quadrants(48, 1, 0.7);
  testing_support::TempDir resume;
  {
    // A checkpoint of another network (one linear layer): its tensors do not fit the stage's.
    stages::TrainerOptions options;
    options.layers = Json::array({{{"type", "flatten"}}, {{"type", "linear"}, {"out", 4}}});
    options.input_shape = {1, 8, 8};
    options.classes = 4;
    options.epochs = 3;
    stages::Trainer other(options, pipeline::Rng(1));
    stage_testing::InArena(kThreads, [&] {
      other.RunEpoch({&train->Get("x"), &train->Get("y")}, {});
    });
    stages::SaveTrainerCheckpoint({other.SaveState(), {{"train_loss", 1, 9.0}}},
                                  resume.File("trainer.art"));
  }
  StageHarness harness(stages::TrainStage());
  harness.set_resume_dir(resume.path());
  const pipeline::Artifact& model = harness.Run(TrainParams(2), {train}, 42, kThreads);
  CHECK(Single(harness, "resume_discarded") == 1);
  CHECK_THAT(model.meta()["resume_discarded"].get<std::string>(),
             Catch::Contains("training started over"));
  // Started over: both epochs trained here, none of the foreign history logged.
  CHECK(Steps(Rows(harness, "train_loss")) == std::vector<int64_t>{1, 2});
  CHECK(harness.metrics().Values("train_loss").front() != 9.0);
}

TEST_CASE("train with task vae logs its loss split into reconstruction and kl per epoch",
          "[train_stage][train][vae]") {
  omp_set_num_threads(kThreads);
  pipeline::Rng rng(21);
  pipeline::Tensor x(pipeline::DType::kFloat32, {64, 16});
  for (int64_t i = 0; i < x.size(); ++i) x.f32()[i] = static_cast<float>(rng.Uniform());
  const pipeline::ArtifactPtr data = stage_testing::MakeArtifact({{"x", std::move(x)}});
  StageHarness harness(stages::TrainStage());
  const pipeline::Artifact& model = harness.Run(
      {{"task", "vae"},
       {"epochs", 3},
       {"batch_size", 16},
       {"latent", "z"},
       {"layers", Json::array({{{"type", "linear"}, {"out", 8}},
                               {{"type", "gaussian_sample"}, {"name", "z"}},
                               {{"type", "linear"}, {"out", 16}}})}},
      {data, data}, 42, kThreads);
  for (const char* prefix : {"train_", "val_"}) {
    const std::vector<double> loss = harness.metrics().Values(std::string(prefix) + "loss");
    const std::vector<double> kl = harness.metrics().Values(std::string(prefix) + "kl");
    const std::vector<double> reconstruction =
        harness.metrics().Values(std::string(prefix) + "reconstruction");
    REQUIRE(loss.size() == 3);
    REQUIRE(kl.size() == 3);
    REQUIRE(reconstruction.size() == 3);
    for (size_t e = 0; e < 3; ++e) {
      CHECK(kl[e] >= 0);
      CHECK(reconstruction[e] + kl[e] == Approx(loss[e]).epsilon(1e-12));
    }
  }
  CHECK(stages::ReadModel(model).task == "vae");
  CHECK(harness.metrics().Values("train_accuracy").empty());
}

TEST_CASE("a vae writes an 8 x 8 grid of samples after each listed epoch, the same for the same seed",
          "[train_stage][train][vae]") {
  omp_set_num_threads(kThreads);
  pipeline::Rng rng(22);
  pipeline::Tensor x(pipeline::DType::kFloat32, {64, 1, 4, 4});
  for (int64_t i = 0; i < x.size(); ++i) x.f32()[i] = static_cast<float>(rng.Uniform());
  const pipeline::ArtifactPtr data = stage_testing::MakeArtifact({{"x", std::move(x)}});
  const Json params = {{"task", "vae"},
                       {"epochs", 3},
                       {"batch_size", 16},
                       {"sample_epochs", {1, 3}},
                       {"layers", Json::array({{{"type", "flatten"}},
                                               {{"type", "linear"}, {"out", 8}},
                                               {{"type", "gaussian_sample"}},
                                               {{"type", "linear"}, {"out", 16}}})}};
  FileRun first(stages::TrainStage());
  first.Run(params, {data});
  CHECK(first.Recorded("samples_epoch_001.png"));
  CHECK(first.Recorded("samples_epoch_003.png"));
  CHECK_FALSE(first.Recorded("samples_epoch_002.png"));
  CHECK(first.Recorded("reconstructions_epoch_003.png"));  // originals above reconstructions
  // The grids of two epochs differ (the decoder trained), and the same seed repeats them.
  CHECK(first.Read("samples_epoch_001.png") != first.Read("samples_epoch_003.png"));
  FileRun second(stages::TrainStage());
  second.Run(params, {data});
  CHECK(second.Read("samples_epoch_003.png") == first.Read("samples_epoch_003.png"));
  // A classifier has nothing to sample.
  FileRun classifier(stages::TrainStage());
  Json classify = TrainParams(1);
  classify["sample_epochs"] = {1};
  CHECK_THROWS_WITH(classifier.Run(classify, {Quadrants(32, 1, 0.5)}),
                    Catch::Contains("generative objective"));
}

namespace {

// 4 x 4 images: a bright bar in one of four rows, in [0, 1].
pipeline::ArtifactPtr Bars(int64_t n, uint64_t seed) {
  pipeline::Rng rng(seed);
  pipeline::Tensor x(pipeline::DType::kFloat32, {n, 1, 4, 4});
  for (int64_t i = 0; i < n; ++i) {
    const int64_t bar = static_cast<int64_t>(rng.UniformInt(4));
    for (int64_t p = 0; p < 16; ++p) {
      x.f32()[i * 16 + p] = p / 4 == bar ? 0.9f : static_cast<float>(rng.Uniform(0, 0.1));
    }
  }
  return stage_testing::MakeArtifact({{"x", std::move(x)}});
}

Json GanParams() {
  return {{"task", "gan"},
          {"epochs", 2},
          {"batch_size", 16},
          {"sample_epochs", {2}},
          {"optimizer", {{"optimizer", "adam"}, {"lr", 0.001}, {"beta1", 0.5}}},
          {"layers", Json::array({{{"type", "linear"}, {"out", 16}},
                                  {{"type", "leaky_relu"}, {"alpha", 0.2}},
                                  {{"type", "linear"}, {"out", 16}},
                                  {{"type", "tanh"}}})},
          {"gan", {{"noise", 3},
                   {"d_steps", 1},
                   {"collapse_epochs", 3},
                   {"collapse_below", 0.001},
                   {"optimizer", nullptr},
                   {"discriminator", Json::array({{{"type", "flatten"}},
                                                  {{"type", "linear"}, {"out", 8}},
                                                  {{"type", "leaky_relu"}, {"alpha", 0.2}},
                                                  {{"type", "linear"}, {"out", 1}}})}}}};
}

}  // namespace

TEST_CASE("train with task gan logs both networks' losses and D's outputs per epoch, draws "
          "sample grids, and outputs the generator; generate samples it",
          "[train_stage][train][gan]") {
  const pipeline::ArtifactPtr data = Bars(64, 3), test = Bars(32, 4);
  FileRun gan(stages::TrainStage());
  const pipeline::Artifact& model = gan.Run(GanParams(), {data, test});
  for (const char* prefix : {"train_", "val_"}) {
    for (const char* part : {"g_loss", "d_loss", "d_real", "d_fake"}) {
      INFO(prefix << part);
      const std::vector<double> values = gan.metrics.Values(std::string(prefix) + part);
      REQUIRE(values.size() == 2);
      for (const double v : values) CHECK(std::isfinite(v));
    }
  }
  CHECK(gan.metrics.Values("train_loss") == gan.metrics.Values("train_g_loss"));
  CHECK(gan.Recorded("samples_epoch_002.png"));
  CHECK_FALSE(gan.Recorded("reconstructions_epoch_002.png"));  // a GAN reconstructs nothing
  const stages::ModelDescription description = stages::ReadModel(model);
  CHECK(description.task == "gan");
  CHECK(description.input_shape == stages::nn::Dims{3});
  CHECK(description.example_shape == stages::nn::Dims{1, 4, 4});
  CHECK(description.settings["discriminator"].size() == 4);

  // Samples: the images' shape, in [0, 1], the same for the same seed.
  const pipeline::ArtifactPtr trained = std::make_shared<pipeline::Artifact>(model);
  FileRun generate(stages::GenerateStage());
  const pipeline::Tensor x = generate.Run({{"count", 70}, {"batch_size", 32}}, {trained}).Get("x");
  CHECK(x.shape() == std::vector<int64_t>{70, 1, 4, 4});
  CHECK(*std::min_element(x.f32(), x.f32() + x.size()) >= 0.0f);
  CHECK(*std::max_element(x.f32(), x.f32() + x.size()) <= 1.0f);
  CHECK(generate.Recorded("samples.png"));
  FileRun again(stages::GenerateStage());
  const pipeline::Tensor y = again.Run({{"count", 70}, {"batch_size", 32}}, {trained}).Get("x");
  CHECK(std::equal(x.f32(), x.f32() + x.size(), y.f32()));
  // A classifier generates nothing.
  FileRun classifier(stages::TrainStage());
  const pipeline::ArtifactPtr classifier_model =
      std::make_shared<pipeline::Artifact>(classifier.Run(TrainParams(1), {Quadrants(32, 1, 0.5)}));
  FileRun refused(stages::GenerateStage());
  CHECK_THROWS_WITH(refused.Run({{"count", 4}}, {classifier_model}),
                    Catch::Contains("does not generate samples"));
}
