#include "stages/train/objective.h"

#include <cmath>
#include <sstream>

#include "pipeline/errors.h"
#include "stages/train/gan_objective.h"
#include "stages/train/nn/gaussian_sample.h"
#include "stages/train/nn/loss.h"

namespace stages {
namespace {

using pipeline::ConfigError;
using pipeline::Json;

std::string ShapeText(const nn::Dims& dims) {
  std::ostringstream text;
  text << "[";
  for (size_t i = 0; i < dims.size(); ++i) text << (i ? ", " : "") << dims[i];
  text << "]";
  return text.str();
}

class ClassifyObjective : public TrainingObjective {
 public:
  ClassifyObjective(int64_t classes, std::vector<float> class_weights)
      : classes_(classes), class_weights_(std::move(class_weights)) {}

  std::string task() const override { return "classify"; }
  std::string loss() const override { return "cross_entropy"; }
  bool uses_labels() const override { return true; }
  bool has_accuracy() const override { return true; }

  void CheckNetwork(const nn::Network& network, const std::string& key_path) const override {
    if (network.output_size() != classes_) {
      throw ConfigError(key_path + ".layers: the network outputs " +
                        std::to_string(network.output_size()) + " values per example " +
                        ShapeText(network.output_shape()) + " but the data has " +
                        std::to_string(classes_) + " classes; make the last linear layer's " +
                        "`out` " + std::to_string(classes_));
    }
    if (!class_weights_.empty() && static_cast<int64_t>(class_weights_.size()) != classes_) {
      throw ConfigError(key_path + ": " + std::to_string(class_weights_.size()) +
                        " class weights for " + std::to_string(classes_) + " classes");
    }
  }

  double BatchLoss(const float* output, const float*, const int32_t* y, int64_t batch,
                   int64_t width, float* grad, int64_t* correct) const override {
    if (correct != nullptr) {
      const std::vector<int32_t> predicted = nn::ArgMax(output, batch, width);
      for (int64_t i = 0; i < batch; ++i) *correct += predicted[i] == y[i];
    }
    return nn::SoftmaxCrossEntropy(output, y, batch, width, grad,
                                   class_weights_.empty() ? nullptr : &class_weights_);
  }

 private:
  int64_t classes_;
  std::vector<float> class_weights_;
};

class AutoencodeObjective : public TrainingObjective {
 public:
  explicit AutoencodeObjective(bool logits) : logits_(logits) {}

  std::string task() const override { return "autoencode"; }
  std::string loss() const override { return logits_ ? "bce" : "mse"; }
  bool uses_labels() const override { return false; }
  bool has_accuracy() const override { return false; }
  bool reconstructs() const override { return true; }
  float Reconstruction(float output) const override {
    return logits_ ? 1.0f / (1.0f + std::exp(-output)) : output;
  }

  void CheckNetwork(const nn::Network& network, const std::string& key_path) const override {
    if (network.output_size() != network.input_size()) {
      throw ConfigError(key_path + ".layers: an autoencoder must output its input's shape " +
                        ShapeText(network.input_shape()) + " but the network outputs " +
                        ShapeText(network.output_shape()));
    }
  }

  // Without an accuracy the policy watches the validation loss.
  Json PolicyConfig(Json config, const std::string& key_path) const override {
    if (!config.is_object()) return config;
    if (config.value("policy", std::string("none")) == "counter") {
      throw ConfigError(key_path + ".early_stopping: the counter policy needs a validation "
                        "accuracy, which an autoencoder does not have; use patience on val_loss");
    }
    if (config.contains("monitor") && config["monitor"] == "val_accuracy") {
      throw ConfigError(key_path + ".early_stopping.monitor: an autoencoder has no accuracy; "
                        "monitor val_loss");
    }
    config["monitor"] = "val_loss";
    return config;
  }

  double BatchLoss(const float* output, const float* x, const int32_t*, int64_t batch,
                   int64_t width, float* grad, int64_t*) const override {
    return logits_ ? nn::BinaryCrossEntropyWithLogits(output, x, batch * width, grad)
                   : nn::MeanSquaredError(output, x, batch * width, grad);
  }

 private:
  bool logits_;
};

// A VAE: the autoencoder's bce on logits, summed per image instead of averaged per pixel, plus
// the KL divergence of its gaussian_sample layer.
class VaeObjective : public AutoencodeObjective {
 public:
  VaeObjective() : AutoencodeObjective(/*logits=*/true) {}

  std::string task() const override { return "vae"; }
  std::string loss() const override { return "bce"; }

  void CheckNetwork(const nn::Network& network, const std::string& key_path) const override {
    AutoencodeObjective::CheckNetwork(network, key_path);
    if (Sampler(network) == nullptr) {
      throw ConfigError(key_path + ".layers: a vae needs a gaussian_sample layer between its "
                        "encoder (ending in a linear layer with out = 2 x latent size) and its "
                        "decoder");
    }
  }

  double BatchLoss(const float* output, const float* x, const int32_t*, int64_t batch,
                   int64_t width, float* grad, int64_t*) const override {
    // The mean over pixels times the pixels: the sum per image, averaged over the batch.
    const double mean = nn::BinaryCrossEntropyWithLogits(output, x, batch * width, grad);
    if (grad != nullptr) {
      const float scale = static_cast<float>(width);
      for (int64_t i = 0; i < batch * width; ++i) grad[i] *= scale;
    }
    return mean * static_cast<double>(width);
  }

  std::string batch_loss_name() const override { return "reconstruction"; }
  std::string network_loss_name() const override { return "kl"; }

  double NetworkLoss(const nn::Network& network) const override {
    const nn::GaussianSample* sampler = Sampler(network);
    return sampler != nullptr ? sampler->kl() : 0.0;
  }

  // Samples are the decoder's output for latent vectors drawn from the prior N(0, I).
  int64_t NoiseSize(const nn::Network& network) const override {
    const nn::GaussianSample* sampler = Sampler(network);
    return sampler != nullptr ? nn::Product(network.LayerOutputShape(sampler->name())) : 0;
  }
  const float* Generate(nn::Network& network, const float* noise, int64_t count) const override {
    return network.ForwardAfter(Sampler(network)->name(), noise, count);
  }

 private:
  static const nn::GaussianSample* Sampler(const nn::Network& network) {
    return dynamic_cast<const nn::GaussianSample*>(network.FindLayerOfType("gaussian_sample"));
  }
};

}  // namespace

TrainingObjective::~TrainingObjective() = default;

ObjectiveState::~ObjectiveState() = default;

Json TrainingObjective::PolicyConfig(Json config, const std::string&) const { return config; }

std::vector<std::string> TrainingObjective::part_names() const {
  if (network_loss_name().empty()) return {};
  return {batch_loss_name(), network_loss_name()};
}

std::unique_ptr<ObjectiveState> TrainingObjective::MakeState(const nn::Network&,
                                                             const ObjectiveSetup&) const {
  return nullptr;
}

void TrainingObjective::EndEpoch(ObjectiveState*, nn::Network&, int64_t,
                                 const std::vector<double>&) const {}

const float* TrainingObjective::Generate(nn::Network&, const float*, int64_t) const {
  throw pipeline::StageError("task '" + task() + "' does not generate samples");
}

double TrainingObjective::RunStep(const TrainStep& step) const {
  step.network.ZeroGrad();
  const float* output = step.network.Forward(step.x, step.batch, /*training=*/true);
  const double batch_loss = BatchLoss(output, step.x, step.y, step.batch,
                                      step.network.output_size(), step.grad, step.correct);
  const double network_loss = NetworkLoss(step.network);
  if (step.parts != nullptr && !network_loss_name().empty()) {
    step.parts[0] = batch_loss;
    step.parts[1] = network_loss;
  }
  const double loss = batch_loss + network_loss;
  if (!std::isfinite(loss)) return loss;  // the trainer reports the divergence
  step.network.Backward(step.grad);
  return loss + step.optimizer.Step(step.parameters);
}

double TrainingObjective::EvaluateBatch(nn::Network& network, ObjectiveState*, const float* x,
                                        const int32_t* y, int64_t, int64_t batch,
                                        int64_t* correct, double* parts) const {
  const float* output = network.Forward(x, batch, /*training=*/false);
  const double batch_loss =
      BatchLoss(output, x, y, batch, network.output_size(), nullptr, correct);
  const double network_loss = NetworkLoss(network);
  if (parts != nullptr && !network_loss_name().empty()) {
    parts[0] = batch_loss;
    parts[1] = network_loss;
  }
  return batch_loss + network_loss;
}

const std::vector<std::string>& ObjectiveNames() {
  static const std::vector<std::string> names = {"classify", "autoencode", "vae", "gan"};
  return names;
}

std::unique_ptr<TrainingObjective> MakeObjective(const std::string& task, const std::string& loss,
                                                 int64_t classes,
                                                 std::vector<float> class_weights,
                                                 const std::string& key_path,
                                                 const Json& settings) {
  const bool known_loss = loss == "auto" || loss == "cross_entropy" || loss == "mse" ||
                          loss == "bce";
  if (!known_loss) {
    throw ConfigError(key_path + ".loss: unknown loss '" + loss +
                      "'; expected auto, cross_entropy, mse or bce");
  }
  if (task == "classify") {
    if (loss != "auto" && loss != "cross_entropy") {
      throw ConfigError(key_path + ".loss: loss '" + loss + "' does not fit task 'classify' "
                        "(classifiers use cross_entropy; autoencoders mse or bce)");
    }
    return std::make_unique<ClassifyObjective>(classes, std::move(class_weights));
  }
  if (task == "autoencode") {
    if (loss == "cross_entropy") {
      throw ConfigError(key_path + ".loss: loss 'cross_entropy' does not fit task 'autoencode' "
                        "(classifiers use cross_entropy; autoencoders mse or bce)");
    }
    return std::make_unique<AutoencodeObjective>(loss == "bce");
  }
  if (task == "vae") {
    if (loss != "auto" && loss != "bce") {
      throw ConfigError(key_path + ".loss: loss '" + loss + "' does not fit task 'vae' (a VAE "
                        "uses bce on logits plus its KL term)");
    }
    return std::make_unique<VaeObjective>();
  }
  if (task == "gan") {
    if (loss != "auto" && loss != "bce") {
      throw ConfigError(key_path + ".loss: loss '" + loss + "' does not fit task 'gan' (its "
                        "discriminator is trained with bce on logits)");
    }
    return MakeGanObjective(settings, key_path);
  }
  throw ConfigError(key_path + ".task: unknown task '" + task + "'; expected classify, "
                    "autoencode, vae or gan");
}

}  // namespace stages
