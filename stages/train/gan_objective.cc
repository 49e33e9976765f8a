#include "stages/train/gan_objective.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "pipeline/errors.h"
#include "pipeline/rng.h"
#include "stages/train/nn/loss.h"
#include "stages/train/optimizer_factory.h"

namespace stages {
namespace {

using pipeline::ConfigError;
using pipeline::Json;
using pipeline::StageError;

// Independent streams of the objective's seed.
constexpr uint64_t kDiscriminatorInit = 0;
constexpr uint64_t kStepNoise = 1;
constexpr uint64_t kValidationNoise = 2;
constexpr uint64_t kCheckNoise = 3;
constexpr uint64_t kDiscriminatorDropout = 4;

// Samples drawn from the fixed noise batch for the mode-collapse check.
constexpr int64_t kCheckSamples = 64;
constexpr double kModeCollapseSpread = 1e-3;

struct GanSettings {
  int64_t noise = 100;
  Json discriminator;
  Json optimizer;  // D's, resolved (train_stage fills in the generator's when unset)
  int64_t d_steps = 1;
  int64_t collapse_epochs = 3;
  double collapse_below = 1e-3;
};

void FillNoise(const pipeline::Rng& stream, std::vector<float>& noise) {
  pipeline::Rng rng = stream;
  for (float& v : noise) v = static_cast<float>(rng.Normal());
}

double MeanSigmoid(const float* logits, int64_t count) {
  double sum = 0;
  for (int64_t i = 0; i < count; ++i) sum += 1.0 / (1.0 + std::exp(-static_cast<double>(logits[i])));
  return count ? sum / static_cast<double>(count) : 0;
}

pipeline::Tensor Scalar(double value) {
  pipeline::Tensor tensor(pipeline::DType::kFloat64, {1});
  tensor.f64()[0] = value;
  return tensor;
}

// The discriminator, its optimiser and the buffers of one trainer's steps.
class GanState : public ObjectiveState {
 public:
  GanState(const GanSettings& settings, const ObjectiveSetup& setup)
      : settings_(settings), rng_(setup.seed), example_size_(nn::Product(setup.example_shape)) {
    nn::NetworkOptions options;
    options.input_shape = setup.example_shape;
    options.seed = rng_.Fork(kDiscriminatorInit).NextU64();
    options.init = setup.init;
    options.batch = setup.batch_size;
    options.input_gradient = true;  // G's gradient flows through D
    if (!settings.discriminator.is_array() || settings.discriminator.empty()) {
      throw ConfigError(setup.key_path + ".gan.discriminator: a GAN needs its discriminator's "
                        "layers, e.g. [{type: flatten}, {type: linear, out: 256}, {type: "
                        "leaky_relu, alpha: 0.2}, {type: linear, out: 1}]");
    }
    discriminator = std::make_unique<nn::Network>(settings.discriminator, options);
    if (discriminator->output_size() != 1) {
      std::ostringstream shape;
      shape << discriminator->output_size();
      throw ConfigError(setup.key_path + ".gan.discriminator: the discriminator must end in one "
                        "logit per image (a linear layer with out: 1), it outputs " +
                        shape.str() + " values");
    }
    optimizer = MakeOptimizer(settings.optimizer, setup.key_path + ".gan.optimizer");
    base_lr = optimizer->lr();
    parameters = discriminator->Parameters();
  }

  std::map<std::string, pipeline::Tensor> Save() override {
    std::map<std::string, pipeline::Tensor> saved;
    for (auto& [name, tensor] : discriminator->StateDict()) {
      saved.emplace("discriminator/" + name, std::move(tensor));
    }
    for (const auto& [name, values] : optimizer->ExportState()) {
      pipeline::Tensor tensor(pipeline::DType::kFloat32, {static_cast<int64_t>(values.size())});
      std::copy(values.begin(), values.end(), tensor.f32());
      saved.emplace("d_optimizer/" + name, std::move(tensor));
    }
    saved.emplace("low_fake_epochs", Scalar(static_cast<double>(low_fake_epochs)));
    return saved;
  }

  void Load(const std::map<std::string, pipeline::Tensor>& saved) override {
    std::map<std::string, pipeline::Tensor> model;
    OptimizerState state;
    for (const auto& [name, tensor] : saved) {
      if (name.rfind("discriminator/", 0) == 0) {
        model.emplace(name.substr(14), tensor);
      } else if (name.rfind("d_optimizer/", 0) == 0) {
        state.emplace(name.substr(12), std::vector<float>(tensor.f32(), tensor.f32() + tensor.size()));
      } else if (name == "low_fake_epochs") {
        low_fake_epochs = static_cast<int64_t>(tensor.f64()[0]);
      }
    }
    discriminator->LoadStateDict(model, /*strict=*/true);
    optimizer->ImportState(state);
  }

  // Real images scaled from [0, 1] to G's [-1, 1].
  const float* ScaledReals(const float* x, int64_t batch) {
    reals_.resize(static_cast<size_t>(batch * example_size_));
    for (size_t i = 0; i < reals_.size(); ++i) reals_[i] = 2.0f * x[i] - 1.0f;
    return reals_.data();
  }

  float* Noise(const pipeline::Rng& stream, int64_t batch) {
    noise_.resize(static_cast<size_t>(batch * settings_.noise));
    FillNoise(stream, noise_);
    return noise_.data();
  }

  float* Fakes(const float* generated, int64_t batch) {
    fakes_.assign(generated, generated + batch * example_size_);
    return fakes_.data();
  }

  // The logits' batch-mean bce against a constant target; grad (when not null) gets its gradient.
  double Bce(const float* logits, int64_t batch, float target, std::vector<float>* grad) {
    targets_.assign(static_cast<size_t>(batch), target);
    if (grad != nullptr) grad->resize(static_cast<size_t>(batch));
    return nn::BinaryCrossEntropyWithLogits(logits, targets_.data(), batch,
                                            grad != nullptr ? grad->data() : nullptr);
  }

  const GanSettings& settings() const { return settings_; }
  const pipeline::Rng& rng() const { return rng_; }

  std::unique_ptr<nn::Network> discriminator;
  std::unique_ptr<Optimizer> optimizer;
  std::vector<ParameterView> parameters;
  double base_lr = 0;
  int64_t low_fake_epochs = 0;  // consecutive epochs with d_fake below collapse_below
  std::vector<float> grad_real, grad_fake, grad_generator;

 private:
  GanSettings settings_;
  pipeline::Rng rng_;
  int64_t example_size_;
  std::vector<float> reals_, noise_, fakes_, targets_;
};

class GanObjective : public TrainingObjective {
 public:
  explicit GanObjective(GanSettings settings) : settings_(std::move(settings)) {}

  std::string task() const override { return "gan"; }
  std::string loss() const override { return "bce"; }
  bool uses_labels() const override { return false; }
  bool has_accuracy() const override { return false; }
  // G's tanh output as an image in [0, 1].
  float Reconstruction(float output) const override { return 0.5f * (output + 1.0f); }
  bool chooses_by_validation() const override { return false; }

  std::vector<std::string> part_names() const override {
    return {"g_loss", "d_loss", "d_real", "d_fake"};
  }

  nn::Dims NetworkInputShape(const nn::Dims&) const override { return {settings_.noise}; }
  int64_t ExampleSize(const nn::Network& network) const override {
    return network.output_size();
  }

  void CheckNetwork(const nn::Network& network, const std::string& key_path) const override {
    const std::vector<nn::LayerInfo> layers = network.Summary();
    if (layers.empty() || layers.back().type != "tanh") {
      throw ConfigError(key_path + ".layers: a GAN's generator must end in {type: tanh} (its "
                        "images are in [-1, 1]; the real images are scaled to match)");
    }
  }

  Json PolicyConfig(Json config, const std::string& key_path) const override {
    if (config.is_object() && config.value("policy", std::string("none")) != "none") {
      throw ConfigError(key_path + ".early_stopping: a GAN's losses do not say when it is done "
                        "(the two networks trade them); train for a fixed number of epochs");
    }
    return Json{{"policy", "none"}, {"monitor", "val_loss"}};
  }

  std::unique_ptr<ObjectiveState> MakeState(const nn::Network& network,
                                            const ObjectiveSetup& setup) const override {
    auto state = std::make_unique<GanState>(settings_, setup);
    const int64_t example = nn::Product(setup.example_shape);
    if (network.output_size() != example ||
        state->discriminator->input_size() != example) {
      throw ConfigError(setup.key_path + ".layers: the generator outputs " +
                        std::to_string(network.output_size()) + " values per sample but the "
                        "images have " + std::to_string(example) +
                        "; make its last layer's `out` (or the last convolution's shape) match");
    }
    return state;
  }

  double BatchLoss(const float*, const float*, const int32_t*, int64_t, int64_t, float*,
                   int64_t*) const override {
    throw StageError("internal: a GAN's loss needs both networks (RunStep, EvaluateBatch)");
  }

  void BeginEpoch(ObjectiveState* state, int64_t epoch, double lr_scale) const override {
    GanState& gan = Gan(state);
    gan.optimizer->set_lr(gan.base_lr * lr_scale);
    gan.discriminator->SeedDropout(gan.rng().Fork(kDiscriminatorDropout).Fork(
        static_cast<uint64_t>(epoch)));
  }

  double RunStep(const TrainStep& step) const override {
    GanState& gan = Gan(step.state);
    nn::Network& g = step.network;
    nn::Network& d = *gan.discriminator;
    const int64_t batch = step.batch;
    const float* z = gan.Noise(gan.rng().Fork(kStepNoise).Fork(static_cast<uint64_t>(step.index)),
                               batch);
    const float* fake = gan.Fakes(g.Forward(z, batch, /*training=*/true), batch);
    const float* real = gan.ScaledReals(step.x, batch);

    // The discriminator's step: real images towards 1, G's samples towards 0.
    d.ZeroGrad();
    const float* real_logits = d.Forward(real, batch, /*training=*/true);
    const double d_real = MeanSigmoid(real_logits, batch);
    double d_loss = gan.Bce(real_logits, batch, 1.0f, &gan.grad_real);
    d.Backward(gan.grad_real.data(), /*input_gradient=*/false);
    const float* fake_logits = d.Forward(fake, batch, /*training=*/true);
    const double d_fake = MeanSigmoid(fake_logits, batch);
    d_loss += gan.Bce(fake_logits, batch, 0.0f, &gan.grad_fake);
    double g_loss = gan.Bce(fake_logits, batch, 1.0f, nullptr);
    if (!std::isfinite(d_loss)) return d_loss;  // the trainer reports the divergence
    d.Backward(gan.grad_fake.data(), /*input_gradient=*/false);
    d_loss += gan.optimizer->Step(gan.parameters);

    // The generator's step, through the updated discriminator with its weights held.
    if ((step.index + 1) % settings_.d_steps == 0) {
      d.SetFrozen("*", true);
      const float* logits = d.Forward(fake, batch, /*training=*/true);
      g_loss = gan.Bce(logits, batch, 1.0f, &gan.grad_generator);
      if (std::isfinite(g_loss)) d.Backward(gan.grad_generator.data());
      d.SetFrozen("*", false);
      if (!std::isfinite(g_loss)) return g_loss;
      g.ZeroGrad();
      g.Backward(d.InputGrad());
      g_loss += step.optimizer.Step(step.parameters);
    }
    if (step.parts != nullptr) {
      step.parts[0] = g_loss;
      step.parts[1] = d_loss;
      step.parts[2] = d_real;
      step.parts[3] = d_fake;
    }
    return g_loss;
  }

  double EvaluateBatch(nn::Network& g, ObjectiveState* state, const float* x, const int32_t*,
                       int64_t first, int64_t batch, int64_t*, double* parts) const override {
    GanState& gan = Gan(state);
    nn::Network& d = *gan.discriminator;
    const float* z =
        gan.Noise(gan.rng().Fork(kValidationNoise).Fork(static_cast<uint64_t>(first)), batch);
    const float* fake = gan.Fakes(g.Forward(z, batch, /*training=*/false), batch);
    const float* real_logits = d.Forward(gan.ScaledReals(x, batch), batch, /*training=*/false);
    const double d_real = MeanSigmoid(real_logits, batch);
    double d_loss = gan.Bce(real_logits, batch, 1.0f, nullptr);
    const float* fake_logits = d.Forward(fake, batch, /*training=*/false);
    const double d_fake = MeanSigmoid(fake_logits, batch);
    d_loss += gan.Bce(fake_logits, batch, 0.0f, nullptr);
    const double g_loss = gan.Bce(fake_logits, batch, 1.0f, nullptr);
    if (parts != nullptr) {
      parts[0] = g_loss;
      parts[1] = d_loss;
      parts[2] = d_real;
      parts[3] = d_fake;
    }
    return g_loss;
  }

  void EndEpoch(ObjectiveState* state, nn::Network& g, int64_t epoch,
                const std::vector<double>& parts) const override {
    GanState& gan = Gan(state);
    const std::string where = "the GAN failed in epoch " + std::to_string(epoch) + ": ";
    for (size_t i = 0; i < parts.size(); ++i) {
      if (!std::isfinite(parts[i])) {
        throw StageError(where + part_names()[i] + " is not finite (training diverged)");
      }
    }
    gan.low_fake_epochs = parts[3] < settings_.collapse_below ? gan.low_fake_epochs + 1 : 0;
    if (gan.low_fake_epochs >= settings_.collapse_epochs) {
      std::ostringstream text;
      text << where << "mean D(G(z)) has stayed below " << settings_.collapse_below << " for "
           << gan.low_fake_epochs << " epochs (it is " << parts[3]
           << "): the discriminator rejects every sample and the generator has stopped "
              "learning; try a lower discriminator learning rate or gan.d_steps";
      throw StageError(text.str());
    }
    // Mode collapse: every sample of a fixed noise batch alike.
    const int64_t size = g.output_size();
    const float* samples =
        Generate(g, gan.Noise(gan.rng().Fork(kCheckNoise), kCheckSamples), kCheckSamples);
    double spread = 0;
    for (int64_t i = 0; i < size; ++i) {
      double sum = 0, sum_sq = 0;
      for (int64_t k = 0; k < kCheckSamples; ++k) {
        const double v = samples[k * size + i];
        sum += v;
        sum_sq += v * v;
      }
      const double mean = sum / kCheckSamples;
      spread += std::sqrt(std::max(0.0, sum_sq / kCheckSamples - mean * mean));
    }
    spread /= static_cast<double>(size);
    if (spread < kModeCollapseSpread) {
      std::ostringstream text;
      text << where << "the generator's samples are all alike (mean per-pixel standard "
           << "deviation across 64 samples " << spread << "): mode collapse";
      throw StageError(text.str());
    }
  }

  int64_t NoiseSize(const nn::Network& network) const override { return network.input_size(); }
  const float* Generate(nn::Network& network, const float* noise, int64_t count) const override {
    return network.Forward(noise, count, /*training=*/false);
  }

 private:
  static GanState& Gan(ObjectiveState* state) {
    if (state == nullptr) throw StageError("internal: a GAN step without its state");
    return static_cast<GanState&>(*state);
  }

  GanSettings settings_;
};

int64_t IntSetting(const Json& settings, const char* key, int64_t fallback) {
  return settings.contains(key) && !settings[key].is_null() ? settings[key].get<int64_t>()
                                                            : fallback;
}

}  // namespace

std::unique_ptr<TrainingObjective> MakeGanObjective(const Json& settings,
                                                    const std::string& key_path) {
  GanSettings gan;
  if (settings.is_object()) {
    gan.noise = IntSetting(settings, "noise", gan.noise);
    gan.d_steps = IntSetting(settings, "d_steps", gan.d_steps);
    gan.collapse_epochs = IntSetting(settings, "collapse_epochs", gan.collapse_epochs);
    if (settings.contains("collapse_below") && settings["collapse_below"].is_number()) {
      gan.collapse_below = settings["collapse_below"].get<double>();
    }
    if (settings.contains("discriminator")) gan.discriminator = settings["discriminator"];
    if (settings.contains("optimizer")) gan.optimizer = settings["optimizer"];
  }
  if (gan.noise < 1 || gan.d_steps < 1 || gan.collapse_epochs < 1) {
    throw ConfigError(key_path + ".gan: noise, d_steps and collapse_epochs must be >= 1");
  }
  if (gan.optimizer.is_null()) gan.optimizer = Json::object();
  return std::make_unique<GanObjective>(std::move(gan));
}

}  // namespace stages
