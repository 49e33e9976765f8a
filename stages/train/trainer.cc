#include "stages/train/trainer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "pipeline/errors.h"
#include "stages/train/nn/denormals.h"
#include "stages/train/nn/loss.h"
#include "stages/train/optimizer_factory.h"

namespace stages {
namespace {

// Independent random streams of one trainer, forked from its generator.
constexpr uint64_t kInitStream = 0;
constexpr uint64_t kShuffleStream = 1;
constexpr uint64_t kDropoutStream = 2;

std::string ShapeText(const nn::Dims& dims) {
  std::ostringstream text;
  text << "[";
  for (size_t i = 0; i < dims.size(); ++i) text << (i ? ", " : "") << dims[i];
  text << "]";
  return text.str();
}

pipeline::Json OrEmpty(const pipeline::Json& config) {
  return config.is_null() ? pipeline::Json::object() : config;
}

// Autoencoders without an explicit monitor watch the validation loss: they have no accuracy.
pipeline::Json PolicyConfig(const TrainerOptions& options) {
  pipeline::Json config = OrEmpty(options.early_stopping);
  if (options.task != TrainTask::kAutoencode || !config.is_object()) return config;
  const std::string policy = config.value("policy", std::string("none"));
  if (policy == "counter") {
    throw pipeline::ConfigError(options.key_path + ".early_stopping: the counter policy needs "
                                "a validation accuracy, which an autoencoder does not have; use "
                                "patience on val_loss");
  }
  if (config.contains("monitor") && config["monitor"] == "val_accuracy") {
    throw pipeline::ConfigError(options.key_path + ".early_stopping.monitor: an autoencoder has "
                                "no accuracy; monitor val_loss");
  }
  config["monitor"] = "val_loss";
  return config;
}

}  // namespace

const char* TrainTaskName(TrainTask task) {
  return task == TrainTask::kClassify ? "classify" : "autoencode";
}

const char* TrainLossName(TrainLoss loss) {
  switch (loss) {
    case TrainLoss::kCrossEntropy: return "cross_entropy";
    case TrainLoss::kMse: return "mse";
    case TrainLoss::kBce: return "bce";
  }
  return "?";
}

TrainTask ParseTrainTask(const std::string& text, const std::string& key_path) {
  if (text == "classify") return TrainTask::kClassify;
  if (text == "autoencode") return TrainTask::kAutoencode;
  throw pipeline::ConfigError(key_path + ": unknown task '" + text +
                              "'; expected classify or autoencode");
}

TrainLoss ParseTrainLoss(const std::string& text, TrainTask task, const std::string& key_path) {
  if (text == "auto") {
    return task == TrainTask::kClassify ? TrainLoss::kCrossEntropy : TrainLoss::kMse;
  }
  TrainLoss loss;
  if (text == "cross_entropy") {
    loss = TrainLoss::kCrossEntropy;
  } else if (text == "mse") {
    loss = TrainLoss::kMse;
  } else if (text == "bce") {
    loss = TrainLoss::kBce;
  } else {
    throw pipeline::ConfigError(key_path + ": unknown loss '" + text +
                                "'; expected auto, cross_entropy, mse or bce");
  }
  if ((task == TrainTask::kClassify) != (loss == TrainLoss::kCrossEntropy)) {
    throw pipeline::ConfigError(key_path + ": loss '" + text + "' does not fit task '" +
                                TrainTaskName(task) +
                                "' (classifiers use cross_entropy; autoencoders mse or bce)");
  }
  return loss;
}

Trainer::Trainer(const TrainerOptions& options, const pipeline::Rng& rng)
    : options_(options),
      rng_(rng),
      optimizer_(MakeOptimizer(OrEmpty(options.optimizer), options.key_path + ".optimizer")),
      schedule_(MakeLrSchedule(OrEmpty(options.lr_schedule), optimizer_->lr(),
                               options.key_path + ".lr_schedule")),
      policy_(MakeEarlyStopping(PolicyConfig(options), options.key_path + ".early_stopping")) {
  if (options_.batch_size < 1 || options_.eval_batch_size < 1 || options_.epochs < 0) {
    throw pipeline::ConfigError(options_.key_path + ": batch sizes must be >= 1 and epochs >= 0");
  }
  nn::NetworkOptions network_options;
  network_options.input_shape = options_.input_shape;
  network_options.seed = rng_.Fork(kInitStream).NextU64();
  network_options.init = options_.init;
  network_options.batch = options_.batch_size;
  network_ = std::make_unique<nn::Network>(options_.layers, network_options);

  const int64_t outputs = network_->output_size();
  if (options_.task == TrainTask::kClassify && outputs != options_.classes) {
    throw pipeline::ConfigError(
        options_.key_path + ".layers: the network outputs " + std::to_string(outputs) +
        " values per example " + ShapeText(network_->output_shape()) + " but the data has " +
        std::to_string(options_.classes) + " classes; make the last linear layer's `out` " +
        std::to_string(options_.classes));
  }
  if (options_.task == TrainTask::kAutoencode && outputs != network_->input_size()) {
    throw pipeline::ConfigError(
        options_.key_path + ".layers: an autoencoder must output its input's shape " +
        ShapeText(options_.input_shape) + " but the network outputs " +
        ShapeText(network_->output_shape()));
  }
  if (!options_.class_weights.empty() &&
      static_cast<int64_t>(options_.class_weights.size()) != options_.classes) {
    throw pipeline::ConfigError(options_.key_path + ": " +
                                std::to_string(options_.class_weights.size()) +
                                " class weights for " + std::to_string(options_.classes) +
                                " classes");
  }

  for (const std::string& name : options_.freeze) network_->SetFrozen(name, true);
  for (const std::string& name : options_.trainable) network_->SetFrozen(name, false);
  parameters_ = network_->Parameters();  // after freezing: the views carry the flag
}

Trainer::~Trainer() = default;

std::vector<std::string> Trainer::LoadInitialState(
    const std::map<std::string, pipeline::Tensor>& state) {
  std::vector<std::string> loaded = network_->LoadStateDict(state, /*strict=*/false);
  if (loaded.empty()) {
    std::string names;
    for (const auto& [name, tensor] : state) names += (names.empty() ? "" : ", ") + name;
    throw pipeline::StageError("no tensor of the initial checkpoint (" + names +
                               ") matches a layer of this network by name and shape");
  }
  return loaded;
}

double Trainer::BatchLoss(const float* output, const float* x, const int32_t* y, int64_t batch,
                          float* grad, int64_t* correct) const {
  const int64_t width = network_->output_size();
  switch (options_.loss) {
    case TrainLoss::kCrossEntropy: {
      if (correct != nullptr) {
        const std::vector<int32_t> predicted = nn::ArgMax(output, batch, width);
        for (int64_t i = 0; i < batch; ++i) *correct += predicted[i] == y[i];
      }
      return nn::SoftmaxCrossEntropy(output, y, batch, width, grad,
                                     options_.class_weights.empty() ? nullptr
                                                                    : &options_.class_weights);
    }
    case TrainLoss::kMse:
      return nn::MeanSquaredError(output, x, batch * width, grad);
    case TrainLoss::kBce:
      return nn::BinaryCrossEntropyWithLogits(output, x, batch * width, grad);
  }
  return 0;
}

EpochResult Trainer::RunEpoch(const TrainData& train, const TrainData& validation,
                              const std::function<void()>& on_batch) {
  if (finished()) throw pipeline::StageError("internal: RunEpoch after training finished");
  const bool classify = options_.task == TrainTask::kClassify;
  if (train.x == nullptr || (classify && train.y == nullptr)) {
    throw pipeline::StageError("the training set needs x" + std::string(classify ? " and y" : ""));
  }
  const nn::ScopedFlushDenormals flush_denormals;  // see denormals.h
  nn::FlushDenormalsInOpenMpThreads();
  EpochResult result;
  result.epoch = epochs_done_ + 1;
  result.lr = schedule_.LearningRate(epochs_done_);
  optimizer_->set_lr(result.lr);
  network_->SeedDropout(rng_.Fork(kDropoutStream).Fork(static_cast<uint64_t>(result.epoch)));

  BatchOptions batch_options;
  batch_options.batch_size = options_.batch_size;
  batch_options.shuffle = options_.shuffle;
  const BatchIterator iterator(train.x->rows(), batch_options, rng_.Fork(kShuffleStream));
  const EpochBatches batches = iterator.Epoch(result.epoch);
  const int64_t row = network_->input_size();
  const int64_t width = network_->output_size();
  batch_x_.resize(static_cast<size_t>(options_.batch_size * row));
  batch_y_.resize(static_cast<size_t>(options_.batch_size));
  grad_.resize(static_cast<size_t>(options_.batch_size * width));

  double loss_sum = 0;
  int64_t correct = 0;
  for (int64_t b = 0; b < batches.count(); ++b) {
    if (options_.max_steps > 0 && steps_done_ >= options_.max_steps) break;
    const BatchIndices batch = batches.Batch(b);
    GatherRows(*train.x, batch, batch_x_.data());
    if (classify) GatherLabels(*train.y, batch, batch_y_.data());
    network_->ZeroGrad();
    const float* output = network_->Forward(batch_x_.data(), batch.size, /*training=*/true);
    double loss = BatchLoss(output, batch_x_.data(), batch_y_.data(), batch.size, grad_.data(),
                            classify ? &correct : nullptr);
    if (!std::isfinite(loss)) {
      throw pipeline::StageError("training diverged in epoch " + std::to_string(result.epoch) +
                                 ", batch " + std::to_string(b + 1) + ": the loss is " +
                                 (std::isnan(loss) ? "NaN" : "infinite") + " (learning rate " +
                                 std::to_string(result.lr) + ")");
    }
    network_->Backward(grad_.data());
    loss += optimizer_->Step(parameters_);
    loss_sum += loss * static_cast<double>(batch.size);
    result.examples += batch.size;
    ++steps_done_;
    if (on_batch) on_batch();
  }
  result.train_loss = result.examples ? loss_sum / static_cast<double>(result.examples) : 0;
  result.train_accuracy =
      classify && result.examples
          ? static_cast<double>(correct) / static_cast<double>(result.examples)
          : std::numeric_limits<double>::quiet_NaN();
  if (!std::isfinite(result.train_loss)) {
    throw pipeline::StageError("training diverged in epoch " + std::to_string(result.epoch) +
                               ": the epoch's mean loss is not finite");
  }

  ++epochs_done_;
  if (validation.x != nullptr) {
    result.has_validation = true;
    result.validation = Evaluate(validation);
    if (!std::isfinite(result.validation.loss)) {
      throw pipeline::StageError("training diverged in epoch " + std::to_string(result.epoch) +
                                 ": the validation loss is not finite");
    }
    const EpochDecision decision =
        policy_->Observe(result.epoch, result.validation.loss, result.validation.accuracy);
    result.is_new_best = decision.is_new_best;
    result.stop = decision.stop;
  } else {
    result.is_new_best = true;  // without validation the last epoch is kept
  }
  if (result.is_new_best) {
    kept_ = network_->StateDict();
    kept_epoch_ = result.epoch;
  }
  return result;
}

Evaluation Trainer::Evaluate(const TrainData& data) {
  const bool classify = options_.task == TrainTask::kClassify;
  if (data.x == nullptr || (classify && data.y == nullptr)) {
    throw pipeline::StageError("the evaluation set needs x" + std::string(classify ? " and y" : ""));
  }
  const int64_t n = data.x->rows();
  const int64_t row = network_->input_size();
  if (data.x->row_size() != row) {
    throw pipeline::StageError("the evaluation set has " + std::to_string(data.x->row_size()) +
                               " values per example, the network takes " + std::to_string(row));
  }
  const nn::ScopedFlushDenormals flush_denormals;
  nn::FlushDenormalsInOpenMpThreads();
  Evaluation evaluation;
  double loss_sum = 0;
  int64_t correct = 0;
  for (int64_t start = 0; start < n; start += options_.eval_batch_size) {
    const int64_t batch = std::min(options_.eval_batch_size, n - start);
    const float* x = data.x->f32() + start * row;
    const float* output = network_->Forward(x, batch, /*training=*/false);
    const int32_t* y = classify ? data.y->i32() + start : nullptr;
    loss_sum += BatchLoss(output, x, y, batch, nullptr, classify ? &correct : nullptr) *
                static_cast<double>(batch);
  }
  evaluation.loss = n ? loss_sum / static_cast<double>(n) : 0;
  evaluation.accuracy = classify && n ? static_cast<double>(correct) / static_cast<double>(n)
                                      : std::numeric_limits<double>::quiet_NaN();
  return evaluation;
}

bool Trainer::finished() const {
  return epochs_done_ >= options_.epochs || policy_->stopped() ||
         (options_.max_steps > 0 && steps_done_ >= options_.max_steps);
}

std::map<std::string, pipeline::Tensor> Trainer::KeptState() {
  return kept_.empty() ? network_->StateDict() : kept_;
}

TrainerState Trainer::SaveState() {
  TrainerState state;
  state.epochs_done = epochs_done_;
  state.steps_done = steps_done_;
  state.model = network_->StateDict();
  state.optimizer = optimizer_->ExportState();
  state.early_stopping = policy_->State();
  state.kept = kept_;
  state.kept_epoch = kept_epoch_;
  return state;
}

void Trainer::LoadState(const TrainerState& state) {
  network_->LoadStateDict(state.model, /*strict=*/true);
  optimizer_->ImportState(state.optimizer);
  policy_->Restore(state.early_stopping);
  epochs_done_ = state.epochs_done;
  steps_done_ = state.steps_done;
  kept_ = state.kept;
  kept_epoch_ = state.kept_epoch;
}

}  // namespace stages
