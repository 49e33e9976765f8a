#pragma once
// Trainer: the epoch loop of the train stage, apart from the stage plumbing so it can be tested
// and resumed on its own. One Trainer trains one network on one training set, optionally
// watching a validation set:
//
//   Trainer trainer(options, rng);                     // after omp_set_num_threads(threads)
//   trainer.LoadInitialState(checkpoint);              // optional: transfer learning
//   while (!trainer.finished()) {
//     const EpochResult r = trainer.RunEpoch(train, validation, on_batch);
//     log r ...
//   }
//   trainer.KeptState();                                // the checkpoint the run keeps
//
// What is optimised is the objective's (objective.h): `classify` trains logits [N, classes]
// against int32 labels "y"; `autoencode` trains the network to reproduce its input; `gan`
// trains the network as a generator against a discriminator the objective's state holds.
//
// Epoch e (1-based) sets the learning rate schedule.LearningRate(e - 1), shuffles with
// BatchIterator's order for e, seeds dropout with a stream derived from e, and then runs the
// mini-batches; so epoch e depends only on the state after epoch e - 1, and SaveState /
// LoadState between epochs continue bit-identically (same thread count). The train loss and
// accuracy of an epoch are means over its batches in training mode (dropout on, batch
// statistics), as PyTorch scripts print them; the loss includes the L1/L2 penalty.
//
// A non-finite batch loss ends training with a StageError naming the epoch, the batch and the
// value (divergence); the caller's sweep goes on.
//
// Not thread-safe; everything parallel in a step (oneDNN, gathering, the loss, the optimiser)
// runs on the caller's OpenMP threads, which the executor sizes to the stage's share.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/params.h"
#include "pipeline/rng.h"
#include "pipeline/tensor.h"
#include "stages/train/batch_iterator.h"
#include "stages/train/early_stopping.h"
#include "stages/train/lr_schedule.h"
#include "stages/train/nn/network.h"
#include "stages/train/objective.h"
#include "stages/train/optimizer.h"

namespace stages {

struct TrainerOptions {
  pipeline::Json layers;        // the network's layer list (layer_spec.h)
  nn::Dims input_shape;         // per example, e.g. {1, 28, 28}
  std::string task = "classify";  // the objective (objective.h)
  std::string loss = "auto";      // its loss; auto: the objective's usual one
  // The objective's own settings (a GAN's `gan` block; objective.h MakeObjective).
  pipeline::Json objective_settings;
  // Set: this objective instead of the one `task` and `loss` name (tests, new objectives).
  std::shared_ptr<const TrainingObjective> objective;
  int64_t classes = 10;         // classify: the network must output this many logits
  int64_t epochs = 10;          // the epoch limit
  int64_t max_steps = 0;        // > 0: also stop after this many mini-batch updates (the last
                                // epoch may be partial; S9 counts iterations, not epochs)
  int64_t batch_size = 100;
  int64_t eval_batch_size = 500;
  bool shuffle = true;
  nn::InitChoice init = nn::InitChoice::kAuto;
  pipeline::Json optimizer = pipeline::Json::object();       // optimizer_factory.h
  pipeline::Json lr_schedule = pipeline::Json::object();     // lr_schedule.h
  pipeline::Json early_stopping = pipeline::Json::object();  // early_stopping.h
  std::vector<float> class_weights;   // classify: one per class; empty: unweighted
  std::vector<std::string> freeze;    // layer names ("*": all) frozen before training...
  std::vector<std::string> trainable; // ...and these unfrozen again afterwards
  std::string key_path = "train";     // prefixes configuration errors
};

// A data set as the trainer reads it: x float32 [N, input_shape...], y int32 [N] (classify).
struct TrainData {
  const pipeline::Tensor* x = nullptr;
  const pipeline::Tensor* y = nullptr;
};

struct Evaluation {
  double loss = 0;
  std::vector<double> parts;  // the objective's part_names(), per-example means
  double accuracy = 0;  // classify only; NaN for autoencoders
};

struct EpochResult {
  int64_t epoch = 0;  // 1-based
  double lr = 0;
  double train_loss = 0;
  std::vector<double> train_parts;  // the objective's part_names(), per-example means
  double train_accuracy = 0;  // NaN for autoencoders
  bool has_validation = false;
  Evaluation validation;
  int64_t examples = 0;       // training examples seen this epoch
  bool is_new_best = false;   // this epoch's weights are now the kept checkpoint
  bool stop = false;          // the early-stopping policy ended training
};

// Everything needed to continue training after an epoch (model, optimiser, policy, kept
// checkpoint), in memory.
struct TrainerState {
  int64_t epochs_done = 0;
  int64_t steps_done = 0;
  std::map<std::string, pipeline::Tensor> model;
  OptimizerState optimizer;
  std::map<std::string, pipeline::Tensor> objective;  // the objective's state (a GAN's D)
  pipeline::Json early_stopping;
  std::map<std::string, pipeline::Tensor> kept;
  int64_t kept_epoch = 0;
};

class Trainer {
 public:
  // Builds the network, optimiser, schedule and policy. Throws ConfigError (naming
  // options.key_path) on a bad configuration, e.g. an output size that does not fit the task
  // or a counter policy for an autoencoder.
  Trainer(const TrainerOptions& options, const pipeline::Rng& rng);
  ~Trainer();

  // Initialises from a checkpoint: every tensor whose name and shape match is loaded (the rest
  // keep their fresh initialisation); returns the names loaded. Throws StageError when nothing
  // matches. Call before the first epoch.
  std::vector<std::string> LoadInitialState(const std::map<std::string, pipeline::Tensor>& state);

  // Runs the next epoch. `validation.x` may be nullptr (no validation: the kept checkpoint is
  // the last epoch's). `on_batch` is called after every batch (e.g. to check for Ctrl-C).
  EpochResult RunEpoch(const TrainData& train, const TrainData& validation,
                       const std::function<void()>& on_batch = {});

  // Loss (and accuracy) of the current weights on `data`, in inference mode, in batches of
  // eval_batch_size in order.
  Evaluation Evaluate(const TrainData& data);

  // True after the epoch or step limit or when the policy stopped.
  bool finished() const;
  int64_t epochs_done() const { return epochs_done_; }
  int64_t steps_done() const { return steps_done_; }
  const EarlyStopping& early_stopping() const { return *policy_; }
  // The epoch of the kept checkpoint (0 before the first epoch).
  int64_t kept_epoch() const { return kept_epoch_; }
  // The kept checkpoint: the policy's chosen epoch with validation, else the last epoch.
  std::map<std::string, pipeline::Tensor> KeptState();

  TrainerState SaveState();
  // Restores a state saved by a Trainer with the same options and seed.
  void LoadState(const TrainerState& state);

  nn::Network& network() { return *network_; }
  Optimizer& optimizer() { return *optimizer_; }
  const TrainingObjective& objective() const { return *objective_; }
  ObjectiveState* objective_state() { return objective_state_.get(); }
  const TrainerOptions& options() const { return options_; }

 private:
  TrainerOptions options_;
  pipeline::Rng rng_;
  std::shared_ptr<const TrainingObjective> objective_;
  std::unique_ptr<nn::Network> network_;
  std::unique_ptr<ObjectiveState> objective_state_;  // after network_: it may refer to it
  std::unique_ptr<Optimizer> optimizer_;
  double base_lr_ = 0;  // the optimiser's configured learning rate
  LrSchedule schedule_;
  std::unique_ptr<EarlyStopping> policy_;
  // The network's parameter views, made once: they stay valid while the network lives.
  std::vector<ParameterView> parameters_;
  int64_t epochs_done_ = 0;
  int64_t steps_done_ = 0;
  std::map<std::string, pipeline::Tensor> kept_;
  int64_t kept_epoch_ = 0;
  std::vector<float> batch_x_;
  std::vector<int32_t> batch_y_;
  std::vector<float> grad_;
};

}  // namespace stages
