#include "stages/train/trainer.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "pipeline/errors.h"
#include "stages/train/nn/denormals.h"
#include "stages/train/optimizer_factory.h"

namespace stages {
namespace {

// Independent random streams of one trainer, forked from its generator.
constexpr uint64_t kInitStream = 0;
constexpr uint64_t kShuffleStream = 1;
constexpr uint64_t kDropoutStream = 2;
constexpr uint64_t kObjectiveStream = 3;

pipeline::Json OrEmpty(const pipeline::Json& config) {
  return config.is_null() ? pipeline::Json::object() : config;
}

}  // namespace

Trainer::Trainer(const TrainerOptions& options, const pipeline::Rng& rng)
    : options_(options),
      rng_(rng),
      objective_(options.objective ? options.objective
                                   : MakeObjective(options.task, options.loss, options.classes,
                                                   options.class_weights, options.key_path,
                                                   options.objective_settings)),
      optimizer_(MakeOptimizer(OrEmpty(options.optimizer), options.key_path + ".optimizer")),
      schedule_(MakeLrSchedule(OrEmpty(options.lr_schedule), optimizer_->lr(),
                               options.key_path + ".lr_schedule")),
      policy_(MakeEarlyStopping(objective_->PolicyConfig(OrEmpty(options.early_stopping),
                                                         options.key_path),
                                options.key_path + ".early_stopping")) {
  if (options_.batch_size < 1 || options_.eval_batch_size < 1 || options_.epochs < 0) {
    throw pipeline::ConfigError(options_.key_path + ": batch sizes must be >= 1 and epochs >= 0");
  }
  nn::NetworkOptions network_options;
  network_options.input_shape = objective_->NetworkInputShape(options_.input_shape);
  network_options.seed = rng_.Fork(kInitStream).NextU64();
  network_options.init = options_.init;
  network_options.batch = options_.batch_size;
  network_ = std::make_unique<nn::Network>(options_.layers, network_options);

  objective_->CheckNetwork(*network_, options_.key_path);
  ObjectiveSetup setup;
  setup.example_shape = options_.input_shape;
  setup.batch_size = options_.batch_size;
  setup.seed = rng_.Fork(kObjectiveStream).NextU64();
  setup.init = options_.init;
  setup.key_path = options_.key_path;
  objective_state_ = objective_->MakeState(*network_, setup);
  base_lr_ = optimizer_->lr();

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

EpochResult Trainer::RunEpoch(const TrainData& train, const TrainData& validation,
                              const std::function<void()>& on_batch) {
  if (finished()) throw pipeline::StageError("internal: RunEpoch after training finished");
  const bool classify = objective_->uses_labels();
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
  objective_->BeginEpoch(objective_state_.get(), result.epoch,
                         base_lr_ > 0 ? result.lr / base_lr_ : 1.0);

  BatchOptions batch_options;
  batch_options.batch_size = options_.batch_size;
  batch_options.shuffle = options_.shuffle;
  const BatchIterator iterator(train.x->rows(), batch_options, rng_.Fork(kShuffleStream));
  const EpochBatches batches = iterator.Epoch(result.epoch);
  const int64_t row = objective_->ExampleSize(*network_);
  if (train.x->row_size() != row) {
    throw pipeline::StageError("the training set has " + std::to_string(train.x->row_size()) +
                               " values per example, the network takes " + std::to_string(row));
  }
  const int64_t width = network_->output_size();
  batch_x_.resize(static_cast<size_t>(options_.batch_size * row));
  batch_y_.resize(static_cast<size_t>(options_.batch_size));
  grad_.resize(static_cast<size_t>(options_.batch_size * width));

  const size_t part_count = objective_->part_names().size();
  std::vector<double> part_sums(part_count, 0.0), parts(part_count, 0.0);
  double loss_sum = 0;
  int64_t correct = 0;
  for (int64_t b = 0; b < batches.count(); ++b) {
    if (options_.max_steps > 0 && steps_done_ >= options_.max_steps) break;
    const BatchIndices batch = batches.Batch(b);
    GatherRows(*train.x, batch, batch_x_.data());
    if (classify) GatherLabels(*train.y, batch, batch_y_.data());
    const double loss = objective_->RunStep(
        {*network_, *optimizer_, parameters_, batch_x_.data(),
         classify ? batch_y_.data() : nullptr, batch.size, grad_.data(),
         objective_->has_accuracy() ? &correct : nullptr, objective_state_.get(), steps_done_,
         parts.data()});
    if (!std::isfinite(loss)) {
      throw pipeline::StageError("training diverged in epoch " + std::to_string(result.epoch) +
                                 ", batch " + std::to_string(b + 1) + ": the loss is " +
                                 (std::isnan(loss) ? "NaN" : "infinite") + " (learning rate " +
                                 std::to_string(result.lr) + ")");
    }
    loss_sum += loss * static_cast<double>(batch.size);
    for (size_t k = 0; k < part_count; ++k) {
      part_sums[k] += parts[k] * static_cast<double>(batch.size);
    }
    result.examples += batch.size;
    ++steps_done_;
    if (on_batch) on_batch();
  }
  result.train_loss = result.examples ? loss_sum / static_cast<double>(result.examples) : 0;
  result.train_parts.resize(part_count);
  for (size_t k = 0; k < part_count; ++k) {
    result.train_parts[k] =
        result.examples ? part_sums[k] / static_cast<double>(result.examples) : 0;
  }
  result.train_accuracy =
      objective_->has_accuracy() && result.examples
          ? static_cast<double>(correct) / static_cast<double>(result.examples)
          : std::numeric_limits<double>::quiet_NaN();
  if (!std::isfinite(result.train_loss)) {
    throw pipeline::StageError("training diverged in epoch " + std::to_string(result.epoch) +
                               ": the epoch's mean loss is not finite");
  }

  objective_->EndEpoch(objective_state_.get(), *network_, result.epoch, result.train_parts);

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
    result.is_new_best = decision.is_new_best || !objective_->chooses_by_validation();
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
  const bool classify = objective_->uses_labels();
  const bool accuracy = objective_->has_accuracy();
  if (data.x == nullptr || (classify && data.y == nullptr)) {
    throw pipeline::StageError("the evaluation set needs x" + std::string(classify ? " and y" : ""));
  }
  const int64_t n = data.x->rows();
  const int64_t row = objective_->ExampleSize(*network_);
  if (data.x->row_size() != row) {
    throw pipeline::StageError("the evaluation set has " + std::to_string(data.x->row_size()) +
                               " values per example, the network takes " + std::to_string(row));
  }
  const nn::ScopedFlushDenormals flush_denormals;
  nn::FlushDenormalsInOpenMpThreads();
  Evaluation evaluation;
  const size_t part_count = objective_->part_names().size();
  std::vector<double> part_sums(part_count, 0.0), parts(part_count, 0.0);
  double loss_sum = 0;
  int64_t correct = 0;
  for (int64_t start = 0; start < n; start += options_.eval_batch_size) {
    const int64_t batch = std::min(options_.eval_batch_size, n - start);
    const float* x = data.x->f32() + start * row;
    const int32_t* y = classify ? data.y->i32() + start : nullptr;
    loss_sum += objective_->EvaluateBatch(*network_, objective_state_.get(), x, y, start, batch,
                                          accuracy ? &correct : nullptr, parts.data()) *
                static_cast<double>(batch);
    for (size_t k = 0; k < part_count; ++k) part_sums[k] += parts[k] * static_cast<double>(batch);
  }
  evaluation.loss = n ? loss_sum / static_cast<double>(n) : 0;
  evaluation.parts.resize(part_count);
  for (size_t k = 0; k < part_count; ++k) {
    evaluation.parts[k] = n ? part_sums[k] / static_cast<double>(n) : 0;
  }
  evaluation.accuracy = accuracy && n ? static_cast<double>(correct) / static_cast<double>(n)
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
  if (objective_state_) state.objective = objective_state_->Save();
  state.early_stopping = policy_->State();
  state.kept = kept_;
  state.kept_epoch = kept_epoch_;
  return state;
}

void Trainer::LoadState(const TrainerState& state) {
  network_->LoadStateDict(state.model, /*strict=*/true);
  optimizer_->ImportState(state.optimizer);
  if (objective_state_) objective_state_->Load(state.objective);
  policy_->Restore(state.early_stopping);
  epochs_done_ = state.epochs_done;
  steps_done_ = state.steps_done;
  kept_ = state.kept;
  kept_epoch_ = state.kept_epoch;
}

}  // namespace stages
