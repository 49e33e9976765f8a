#pragma once
// What training optimises. A TrainingObjective scores a network's output on a batch (the loss
// and its gradient with respect to the output), says which data it needs and what it reports,
// checks that a network fits it, adapts the early-stopping policy to what it measures, and runs
// one training step. The trainer, the train stage, `evaluate`, `encode` and the model artifact
// ask the objective instead of switching on a task; a new kind of training is a new objective
// in MakeObjective — a VAE adds its KL term through NetworkLoss (its sampling layer's backward
// adds the gradient), a GAN (gan_objective.h) keeps its discriminator in an ObjectiveState and
// overrides RunStep and EvaluateBatch with its alternating updates.
//
//   classify    logits [N, classes] against int32 labels y, softmax cross-entropy (optionally
//               class-weighted); reports accuracy
//   autoencode  the network reproduces its input: mse, or bce on logits (the reconstruction is
//               then sigmoid(output))
//   vae         a variational autoencoder: the network has one gaussian_sample layer and ends
//               in logits; loss per image in nats = the per-pixel binary cross-entropy summed
//               over the image + the sampling layer's KL term (PyTorch's VAE example)
//   gan         a generative adversarial network: the trainer's network is the generator
//               (noise in, image out, ending in tanh); the discriminator, its optimiser and
//               the noise live in the objective's state (gan_objective.h)
//
// Objectives are immutable after construction and thread-safe; what changes while training
// (a GAN's discriminator) is an ObjectiveState, one per trainer, made by MakeState.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/params.h"
#include "stages/train/nn/network.h"
#include "stages/train/optimizer.h"

namespace stages {

// What an objective keeps from step to step besides the trainer's network (a GAN's
// discriminator with its optimiser), saved in the trainer's checkpoints. Not thread-safe.
class ObjectiveState {
 public:
  virtual ~ObjectiveState();
  // Everything needed to continue bit-identically, as named tensors.
  virtual std::map<std::string, pipeline::Tensor> Save() = 0;
  // Restores what Save returned (by a state made with the same settings); throws StageError
  // when it does not fit.
  virtual void Load(const std::map<std::string, pipeline::Tensor>& saved) = 0;
};

// What MakeState may need from the trainer.
struct ObjectiveSetup {
  nn::Dims example_shape;      // of the training data, e.g. {1, 28, 28}
  int64_t batch_size = 0;
  uint64_t seed = 0;           // of the objective's own random streams
  nn::InitChoice init = nn::InitChoice::kAuto;
  std::string key_path;        // prefixes configuration errors
};

// One gathered mini-batch and the means to update on it.
struct TrainStep {
  nn::Network& network;
  Optimizer& optimizer;
  const std::vector<ParameterView>& parameters;
  const float* x;      // [batch, input...]
  const int32_t* y;    // [batch] labels, or nullptr when the objective uses none
  int64_t batch;
  float* grad;         // scratch of batch * output size
  int64_t* correct;    // correct predictions are added here (objectives with accuracy)
  ObjectiveState* state = nullptr;  // the objective's state (nullptr if it has none)
  int64_t index = 0;   // updates done before this one (0-based step number)
  double* parts = nullptr;  // part_names().size() batch means are written here
};

class TrainingObjective {
 public:
  virtual ~TrainingObjective();

  virtual std::string task() const = 0;  // the train stage's `task`, e.g. "classify"
  virtual std::string loss() const = 0;  // the resolved loss, e.g. "cross_entropy"
  virtual bool uses_labels() const = 0;
  virtual bool has_accuracy() const = 0;
  // The network's output as a reconstruction of its input (autoencoders), one value at a time;
  // objectives that do not reconstruct return false from reconstructs().
  virtual bool reconstructs() const { return false; }
  virtual float Reconstruction(float output) const { return output; }

  // Throws ConfigError naming `key_path` when the network's output cannot serve the objective.
  virtual void CheckNetwork(const nn::Network& network, const std::string& key_path) const = 0;
  // The early-stopping settings made to fit what the objective measures (e.g. val_loss when it
  // has no accuracy); throws ConfigError naming `key_path` for a policy it cannot serve.
  virtual pipeline::Json PolicyConfig(pipeline::Json config, const std::string& key_path) const;

  // The mean loss of a batch of `output` ([batch, width]) for inputs `x` and labels `y`; writes
  // d loss / d output into `grad` when not null and adds correct predictions to `correct`
  // when not null.
  virtual double BatchLoss(const float* output, const float* x, const int32_t* y, int64_t batch,
                           int64_t width, float* grad, int64_t* correct) const = 0;

  // A loss term the network computes itself in its last forward pass (a VAE's KL divergence),
  // added to BatchLoss by the trainer in training and evaluation; its gradient is the
  // network's own (added in its backward pass). Default 0.
  virtual double NetworkLoss(const nn::Network& network) const { return 0; }
  // The names under which the two parts of the loss are logged per epoch ("reconstruction" and
  // "kl" for a VAE); empty when the objective has no network loss.
  virtual std::string batch_loss_name() const { return ""; }
  virtual std::string network_loss_name() const { return ""; }

  // What the objective reports per epoch besides the loss, as per-example means logged with the
  // prefix train_ or val_ (a VAE: reconstruction and kl; a GAN: g_loss, d_loss, d_real,
  // d_fake). Default: the two loss parts above, when there is a network loss.
  virtual std::vector<std::string> part_names() const;

  // The network's input shape for data examples of `example_shape` (a GAN's generator takes
  // noise instead); default the example shape.
  virtual nn::Dims NetworkInputShape(const nn::Dims& example_shape) const {
    return example_shape;
  }
  // Values per data example the objective reads (default: the network's input size).
  virtual int64_t ExampleSize(const nn::Network& network) const { return network.input_size(); }
  // The state one trainer keeps for this objective; nullptr (the default) when it needs none.
  virtual std::unique_ptr<ObjectiveState> MakeState(const nn::Network& network,
                                                    const ObjectiveSetup& setup) const;
  // False when validation must not choose the kept checkpoint (a GAN's losses do not say
  // which epoch is best): the last epoch is kept.
  virtual bool chooses_by_validation() const { return true; }
  // Called before each epoch's training with the schedule's factor for it (the epoch's learning
  // rate over the optimiser's own). Default: nothing.
  virtual void BeginEpoch(ObjectiveState* state, int64_t epoch, double lr_scale) const {}
  // Called after each epoch's training with its mean parts; throws StageError to end training
  // (a GAN's collapse). Default: nothing.
  virtual void EndEpoch(ObjectiveState* state, nn::Network& network, int64_t epoch,
                        const std::vector<double>& parts) const;

  // Samples from noise (generative objectives): the noise values per sample (0 when the
  // objective does not generate), and the network's output for `count` noise vectors
  // (inference mode, plain [count, output...], valid until the next forward).
  virtual int64_t NoiseSize(const nn::Network& network) const { return 0; }
  virtual const float* Generate(nn::Network& network, const float* noise, int64_t count) const;

  // One update: forward in training mode, BatchLoss + NetworkLoss, backward, the optimiser's
  // step. Returns the loss including the optimiser's penalties; fills step.parts.
  virtual double RunStep(const TrainStep& step) const;

  // The loss of one evaluation batch (inference mode) of examples first .. first + batch - 1
  // of the evaluated set; adds correct predictions to `correct` when not null and writes the
  // parts' batch means into `parts` when not null.
  virtual double EvaluateBatch(nn::Network& network, ObjectiveState* state, const float* x,
                               const int32_t* y, int64_t first, int64_t batch, int64_t* correct,
                               double* parts) const;
};

// The valid values of `task`.
const std::vector<std::string>& ObjectiveNames();

// The objective for `task` and `loss` ("auto": the task's usual loss). `classes` and
// `class_weights` (empty: unweighted) are for classifiers. Throws ConfigError naming `key_path`
// for an unknown task or loss, or a loss that does not fit the task.
// `settings` are the objective's own settings (the train stage's `gan` block for a GAN).
std::unique_ptr<TrainingObjective> MakeObjective(const std::string& task, const std::string& loss,
                                                 int64_t classes,
                                                 std::vector<float> class_weights,
                                                 const std::string& key_path,
                                                 const pipeline::Json& settings = {});

}  // namespace stages
